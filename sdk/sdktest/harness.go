package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/abi"
)

// Config is a configuration: field name to value, secret fields included
// (the harness, like the host, keeps them from the connector).
type Config map[string]any

// LogEntry is one line the connector logged.
type LogEntry struct {
	Level   slog.Level
	Message string
	Attrs   map[string]any
}

// Harness runs one connector natively against a fake host.
type Harness struct {
	t         testing.TB
	conn      *sdk.Connector
	manifest  *abi.Manifest
	config    Config
	guestConf []byte
	client    *http.Client

	mu    sync.Mutex
	kv    map[string][]byte
	logs  []LogEntry
	token string // OAuth2 access token, fetched once
}

// New validates the connector's manifest (failing t if it is invalid) and
// returns a harness using config, with defaults from the manifest filled in.
func New(t testing.TB, c *sdk.Connector, config Config) *Harness {
	t.Helper()
	m := c.Manifest()
	if err := m.Validate(); err != nil {
		t.Fatalf("sdktest: invalid manifest for connector %q:\n%v", c.Name, err)
	}
	h := &Harness{t: t, conn: c, manifest: m, kv: map[string][]byte{}, client: &http.Client{Timeout: 30 * time.Second}}
	h.SetConfig(config)
	return h
}

// Manifest returns the connector's manifest.
func (h *Harness) Manifest() *abi.Manifest { return h.manifest }

// SetConfig replaces the configuration. Each field is checked against the
// manifest; a bad value fails the test.
func (h *Harness) SetConfig(config Config) {
	h.t.Helper()
	full, guest, problems := h.manifest.CheckConfig(config)
	for _, p := range problems {
		h.t.Errorf("sdktest: config field %q: %s", p.Field, p.Problem)
	}
	if len(problems) > 0 {
		h.t.FailNow()
	}
	b, err := json.Marshal(guest)
	if err != nil {
		h.t.Fatalf("sdktest: encode config: %v", err)
	}
	h.config, h.guestConf = full, b
}

// Invoke runs action with in (any JSON-encodable value) and decodes the
// result into out (a pointer, or nil). A connector error is returned as an
// *sdk.Error.
func (h *Harness) Invoke(action string, in, out any) error {
	h.t.Helper()
	input, err := json.Marshal(in)
	if err != nil {
		h.t.Fatalf("sdktest: encode input: %v", err)
	}
	return h.call(abi.OpAction, action, input, out)
}

// InvokeRaw runs action with a raw JSON input and returns the raw result.
func (h *Harness) InvokeRaw(action string, input []byte) ([]byte, error) {
	h.t.Helper()
	out, e := h.conn.Handle(context.Background(), (*fakeHost)(h), abi.OpAction, action, input)
	if e != nil {
		return nil, e
	}
	return out, nil
}

// Check runs the connector's configuration check.
func (h *Harness) Check() (abi.CheckResult, error) {
	h.t.Helper()
	var res abi.CheckResult
	err := h.call(abi.OpCheck, "", []byte("{}"), &res)
	return res, err
}

// OrganizationsPage fetches one page of accounts.
func (h *Harness) OrganizationsPage(req abi.PageRequest) (abi.OrganizationPage, error) {
	h.t.Helper()
	input, _ := json.Marshal(req)
	var page abi.OrganizationPage
	err := h.call(abi.OpOrganizations, "", input, &page)
	return page, err
}

// Organizations fetches every page of accounts, pageSize at a time, and
// fails the test if the connector repeats a cursor (which would loop
// forever in the host).
func (h *Harness) Organizations(pageSize int) ([]abi.Account, error) {
	h.t.Helper()
	var all []abi.Account
	seen := map[string]bool{}
	cursor := ""
	for {
		page, err := h.OrganizationsPage(abi.PageRequest{Cursor: cursor, Size: pageSize})
		if err != nil {
			return all, err
		}
		all = append(all, page.Accounts...)
		if page.Next == "" {
			return all, nil
		}
		if seen[page.Next] {
			h.t.Fatalf("sdktest: organizations repeated cursor %q", page.Next)
		}
		seen[page.Next] = true
		cursor = page.Next
	}
}

func (h *Harness) call(op abi.Op, name string, input []byte, out any) error {
	res, e := h.conn.Handle(context.Background(), (*fakeHost)(h), op, name, input)
	if e != nil {
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		h.t.Fatalf("sdktest: %s %s returned %s, which does not decode: %v", op, name, res, err)
	}
	return nil
}

// Logs returns what the connector logged so far.
func (h *Harness) Logs() []LogEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogEntry(nil), h.logs...)
}

// KV returns a copy of the key-value store's contents.
func (h *Harness) KV() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][]byte, len(h.kv))
	for k, v := range h.kv {
		out[k] = bytes.Clone(v)
	}
	return out
}

// fakeHost implements sdk.Host natively.
type fakeHost Harness

var _ sdk.Host = (*fakeHost)(nil)

func (f *fakeHost) Log(level slog.Level, msg string, attrs []byte) {
	e := LogEntry{Level: level, Message: msg}
	if len(attrs) > 0 {
		_ = json.Unmarshal(attrs, &e.Attrs)
	}
	f.mu.Lock()
	f.logs = append(f.logs, e)
	f.mu.Unlock()
}

func (f *fakeHost) Config() []byte { return f.guestConf }

// HTTP checks the destination against the manifest's hosts (loopback is
// allowed here, since the fake tool is an httptest server), injects the
// credentials, and sends the request with net/http.
func (f *fakeHost) HTTP(ctx context.Context, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error) {
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: fmt.Sprintf("bad URL %q", req.URL)}
	}
	if !f.allowed(u) {
		return nil, nil, &abi.Error{Code: abi.CodePermissionDenied, Message: fmt.Sprintf("host %s is not in the manifest's hosts %v", u.Host, f.manifest.Hosts)}
	}
	if a := f.manifest.Auth; a != nil && a.Type == abi.AuthOAuth2ClientCredentials {
		tok, err := f.oauthToken(ctx)
		if err != nil {
			return nil, nil, &abi.Error{Code: abi.CodeUnauthenticated, Message: err.Error()}
		}
		if req.Header == nil {
			req.Header = map[string][]string{}
		}
		req.Header["Authorization"] = []string{"Bearer " + tok}
	} else if err := f.manifest.Auth.Inject(req, f.config); err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeUnauthenticated, Message: err.Error()}
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: err.Error()}
	}
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	resp, err := f.client.Do(hreq)
	if err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeUnavailable, Message: err.Error(), Retryable: true}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeUnavailable, Message: err.Error(), Retryable: true}
	}
	return &abi.HTTPResponse{Status: resp.StatusCode, Header: resp.Header}, b, nil
}

// oauthToken fetches a client-credentials token the simple way (no expiry
// handling: a harness lives for one test).
func (f *fakeHost) oauthToken(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" {
		return f.token, nil
	}
	a := f.manifest.Auth
	tokenURL, err := abi.ExpandTemplate(a.TokenURL, f.config)
	if err != nil {
		return "", err
	}
	id, _ := f.config[a.ClientID].(string)
	secret, _ := f.config[a.Secret].(string)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	if len(a.Scopes) > 0 {
		form.Set("scope", strings.Join(a.Scopes, " "))
	}
	for k, v := range a.TokenParams {
		if form.Get(k) == "" {
			form.Set(k, v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, "POST", tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 || answer.AccessToken == "" {
		return "", fmt.Errorf("token request to %s: status %d", tokenURL, resp.StatusCode)
	}
	f.token = answer.AccessToken
	return f.token, nil
}

func (f *fakeHost) allowed(u *url.URL) bool {
	for _, h := range f.manifest.Hosts {
		p, err := abi.ParseHostPattern(h)
		if err != nil {
			continue
		}
		if p, err = p.Resolve(f.config); err == nil && p.Matches(u) {
			return true
		}
	}
	return false
}

func (f *fakeHost) KVGet(key string) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.kv[key]
	return bytes.Clone(v), ok, nil
}

func (f *fakeHost) KVSet(key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kv[key] = bytes.Clone(value)
	return nil
}

func (f *fakeHost) KVDelete(key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.kv, key)
	return nil
}
