package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/roosthq/roost/host/internal/httpx"
	"github.com/roosthq/roost/host/internal/memkv"
	"github.com/roosthq/roost/host/internal/oauth"
	"github.com/roosthq/roost/host/internal/wasmrt"
	"github.com/roosthq/roost/sdk/abi"
)

// Connector is one loaded connector build with its instance pool.
type Connector struct {
	host      *Host
	mod       *wasmrt.Module
	custom    *custom // set for a custom integration on the REST connector
	kv        KV
	closeOnce sync.Once
	closeErr  error
}

func newConnector(h *Host, mod *wasmrt.Module, o LoadOptions) *Connector {
	kv := o.KV
	if kv == nil {
		kv = &memkv.Store{}
	}
	return &Connector{host: h, mod: mod, kv: kv}
}

// Manifest returns the connector's manifest. Do not modify it.
func (c *Connector) Manifest() *abi.Manifest {
	if c.custom != nil {
		return c.custom.manifest
	}
	return c.mod.Manifest()
}

// ManifestJSON returns the manifest exactly as the connector wrote it (for
// a custom integration, as the host made it from the definition).
func (c *Connector) ManifestJSON() json.RawMessage {
	if c.custom != nil {
		b, _ := json.Marshal(c.custom.manifest)
		return b
	}
	return c.mod.ManifestJSON()
}

// Info describes the module: digest, size, ABI version.
type Info struct {
	SHA256 string `json:"sha256"` // hex digest of the module bytes
	Size   int    `json:"size"`   // bytes
	ABI    string `json:"abi"`    // the ABI version the manifest declares
}

// Info returns the module's digest, size and ABI version.
func (c *Connector) Info() Info { return Info(c.mod.Info()) }

// Stats describes the instance pool.
type Stats struct {
	Instances int   `json:"instances"` // live instances, idle and busy
	Idle      int   `json:"idle"`
	Retired   int64 `json:"retired"` // instances discarded so far
	// IdleMemoryBytes is the linear memory of the idle instances.
	IdleMemoryBytes uint64 `json:"idle_memory_bytes"`
}

// Stats returns the pool's counters.
func (c *Connector) Stats() Stats { return Stats(c.mod.Stats()) }

// call runs one guest call, the runtime's errors turned into the host's.
func (c *Connector) call(ctx context.Context, env *wasmrt.Env, op abi.Op, name string, input []byte) (json.RawMessage, error) {
	out, err := c.mod.Call(ctx, env, op, name, input)
	return out, rtErr(err)
}

// Close waits for calls in flight (until ctx is done) and frees the
// connector's instances and compiled code.
func (c *Connector) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.closeErr = c.mod.Close(ctx)
		c.host.forget(c)
	})
	return c.closeErr
}

// Configure checks values against the connector's config schema, fills in
// defaults, and returns a Client bound to that configuration. Secret fields
// are kept in the host: the connector never sees them; the host injects
// them into requests as the manifest's Auth says. The error is a
// *ConfigError naming every bad field.
func (c *Connector) Configure(values map[string]any, opts ...ClientOptions) (*Client, error) {
	var o ClientOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	m := c.Manifest()
	full, guest, problems := m.CheckConfig(values)
	if len(problems) > 0 {
		return nil, &ConfigError{Connector: m.Name, Problems: problems}
	}
	if c.custom != nil {
		guest = c.custom.guestConfig(full)
	}
	guestJSON, err := json.Marshal(guest)
	if err != nil {
		return nil, fmt.Errorf("configure %s: encode configuration: %w", m.Name, err)
	}
	policy := &httpx.Policy{AllowPrivate: c.host.cfg.HTTP.AllowPrivateNetworks || o.AllowPrivateNetworks}
	if c.custom != nil {
		policy.Limiter = c.custom.limiter
	}
	for _, raw := range m.Hosts {
		p, err := abi.ParseHostPattern(raw)
		if err == nil {
			p, err = p.Resolve(full)
		}
		if err != nil {
			// An unset optional base URL simply allows nothing.
			continue
		}
		policy.Hosts = append(policy.Hosts, p)
	}
	if m.Auth != nil {
		auth := m.Auth
		if secret, _ := full[auth.Secret].(string); secret != "" {
			policy.Auth = func(_ context.Context, r *abi.HTTPRequest) error { return auth.Inject(r, full) }
			policy.AuthHeader = "Authorization"
			if auth.Type == abi.AuthHeader {
				policy.AuthHeader = auth.Name
			}
			if auth.Type == abi.AuthOAuth2ClientCredentials || auth.Type == abi.AuthOAuth2AuthorizationCode {
				src, err := c.tokenSource(auth, full, *policy, o.RotateSecret)
				if err != nil {
					return nil, &ConfigError{Connector: m.Name, Problems: []abi.ConfigProblem{{Field: auth.ClientID, Problem: err.Error()}}}
				}
				policy.Auth = func(ctx context.Context, r *abi.HTTPRequest) error {
					tok, err := src.Token(ctx)
					if err != nil {
						return err
					}
					r.Header["Authorization"] = []string{"Bearer " + tok}
					return nil
				}
				policy.Reauth = src.Invalidate
			}
		} else if auth.Type == abi.AuthOAuth2AuthorizationCode {
			policy.Auth = func(context.Context, *abi.HTTPRequest) error {
				return &abi.Error{Code: abi.CodeUnauthenticated, Message: fmt.Sprintf(
					"%s is not signed in to the tool yet", m.Name)}
			}
		}
	}
	cl := &Client{conn: c, baseURL: full["base_url"], env: &wasmrt.Env{
		Config: guestJSON,
		KV:     c.kv,
		HTTP: func(ctx context.Context, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error) {
			return c.host.http.Do(ctx, policy, req, body)
		},
	}}
	return cl, nil
}

// tokenSource makes the OAuth2 token source of one configuration. Token
// requests go through the same host policy as the connector's own, without
// credentials.
func (c *Connector) tokenSource(auth *abi.Auth, full map[string]any, policy httpx.Policy, rotate func(field, value string)) (*oauth.ClientCredentials, error) {
	tokenURL, err := abi.ExpandTemplate(auth.TokenURL, full)
	if err != nil {
		return nil, fmt.Errorf("token URL: %v", err)
	}
	id, _ := full[auth.ClientID].(string)
	secret, _ := full[auth.Secret].(string)
	refresh := ""
	if auth.Type == abi.AuthOAuth2AuthorizationCode {
		refresh = secret
		secret, _ = full[auth.ClientSecret].(string)
	}
	policy.Auth, policy.Reauth = nil, nil
	sum := sha256.Sum256([]byte(c.Manifest().Name + "\x00" + tokenURL + "\x00" + id + "\x00" + secret + "\x00" + refresh + "\x00" + strings.Join(auth.Scopes, " ") +
		"\x00" + auth.TokenRequest + "\x00" + auth.TokenPath + "\x00" + auth.ExpiresPath + "\x00" + fmt.Sprint(auth.TokenParams)))
	key := hex.EncodeToString(sum[:])
	c.host.mu.Lock()
	defer c.host.mu.Unlock()
	if src, ok := c.host.tokens[key]; ok {
		return src, nil
	}
	if c.host.tokens == nil {
		c.host.tokens = map[string]*oauth.ClientCredentials{}
	}
	src := &oauth.ClientCredentials{
		TokenURL: tokenURL, ClientID: id, Secret: secret, Scopes: auth.Scopes, Params: auth.TokenParams,
		Post: func(ctx context.Context, u string, form url.Values) (int, []byte, error) {
			req := &abi.HTTPRequest{Method: "POST", URL: u, Header: map[string][]string{
				"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}}
			resp, body, err := c.host.http.Do(ctx, &policy, req, []byte(form.Encode()))
			if err != nil {
				return 0, nil, err
			}
			return resp.Status, body, nil
		},
	}
	src.TokenPath, src.ExpiresPath = auth.TokenPath, auth.ExpiresPath
	if refresh != "" {
		src.RefreshToken = refresh
		field := auth.Secret
		src.OnRotate = func(tok string) {
			if rotate != nil {
				rotate(field, tok)
			}
		}
	}
	if auth.TokenRequest == "json" {
		src.PostJSON = func(ctx context.Context, u string, body []byte) (int, []byte, error) {
			req := &abi.HTTPRequest{Method: "POST", URL: u, Header: map[string][]string{
				"Content-Type": {"application/json"}, "Accept": {"application/json"}}}
			resp, answer, err := c.host.http.Do(ctx, &policy, req, body)
			if err != nil {
				return 0, nil, err
			}
			return resp.Status, answer, nil
		}
	}
	c.host.tokens[key] = src
	return src, nil
}

// ClientOptions change how one configuration reaches the network.
type ClientOptions struct {
	// AllowPrivateNetworks lets this client reach loopback and private
	// addresses even when the host does not allow them (a tool on the
	// local network).
	AllowPrivateNetworks bool
	// RotateSecret, if set, stores a secret the tool replaced (an OAuth2
	// refresh token it rotated) in the configuration.
	RotateSecret func(field, value string)
}

// Client is a Connector bound to one configuration. It is cheap to keep and
// safe for concurrent use; calls run in parallel up to the pool size.
type Client struct {
	conn    *Connector
	env     *wasmrt.Env
	baseURL any // a custom integration's base URL
}

// Connector returns the connector the client calls.
func (cl *Client) Connector() *Connector { return cl.conn }

// Invoke runs action with input (a JSON value; empty means {}) and returns
// its JSON output. The error is a *CallError.
func (cl *Client) Invoke(ctx context.Context, action string, input json.RawMessage) (json.RawMessage, error) {
	m := cl.conn.Manifest()
	if _, ok := m.Action(action); !ok {
		return nil, &CallError{Connector: m.Name, Op: "action " + action, Code: abi.CodeUnknownAction,
			Message: fmt.Sprintf("no action %q (actions: %s)", action, actionNames(m))}
	}
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	if cu := cl.conn.custom; cu != nil {
		if e := cu.def.Endpoint(action); e != nil && !e.Paginated() {
			return cu.direct(ctx, cl, e, input)
		}
		call, err := cu.callInput(action, cl.baseURL, input)
		if err != nil {
			return nil, &CallError{Connector: m.Name, Op: "action " + action, Code: abi.CodeInvalidInput, Message: err.Error()}
		}
		out, err := cl.conn.call(ctx, cl.env, abi.OpAction, "call", call)
		var ce *CallError
		if errors.As(err, &ce) {
			ce.Connector, ce.Op = m.Name, "action "+action
		}
		return out, err
	}
	return cl.conn.call(ctx, cl.env, abi.OpAction, action, input)
}

func actionNames(m *abi.Manifest) string {
	if len(m.Actions) == 0 {
		return "none"
	}
	names := make([]string, len(m.Actions))
	for i, a := range m.Actions {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// Check runs the connector's configuration check.
func (cl *Client) Check(ctx context.Context) (abi.CheckResult, error) {
	var res abi.CheckResult
	m := cl.conn.Manifest()
	if !m.Has(abi.CapCheck) {
		return res, &CallError{Connector: m.Name, Op: "check", Code: abi.CodeNotImplemented, Message: "the connector declares no check capability"}
	}
	out, err := cl.conn.call(ctx, cl.env, abi.OpCheck, "", []byte("{}"))
	if err != nil {
		return res, err
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return res, &CallError{Connector: m.Name, Op: "check", Code: abi.CodeInternal, Message: "check result is not a CheckResult: " + err.Error()}
	}
	return res, nil
}

// Organizations fetches one page of the tool's customer accounts.
func (cl *Client) Organizations(ctx context.Context, req abi.PageRequest) (abi.OrganizationPage, error) {
	var page abi.OrganizationPage
	m := cl.conn.Manifest()
	if !m.Has(abi.CapOrganizations) {
		return page, &CallError{Connector: m.Name, Op: "organizations", Code: abi.CodeNotImplemented, Message: "the connector declares no organizations capability"}
	}
	input, _ := json.Marshal(req)
	out, err := cl.conn.call(ctx, cl.env, abi.OpOrganizations, "", input)
	if err != nil {
		return page, err
	}
	if err := json.Unmarshal(out, &page); err != nil {
		return page, &CallError{Connector: m.Name, Op: "organizations", Code: abi.CodeInternal, Message: "page is not an OrganizationPage: " + err.Error()}
	}
	return page, nil
}

// ErrRepeatedCursor is returned by AllOrganizations when a connector hands
// back a cursor it already gave: a bug in the connector that would
// otherwise page forever.
var ErrRepeatedCursor = errors.New("connector repeated a page cursor")

// AllOrganizations pages through every account, pageSize at a time, calling
// fn with each page. It stops at the first error (from the connector or
// from fn) and refuses a repeated cursor.
func (cl *Client) AllOrganizations(ctx context.Context, pageSize int, fn func(abi.OrganizationPage) error) error {
	seen := map[string]bool{}
	cursor := ""
	for {
		page, err := cl.Organizations(ctx, abi.PageRequest{Cursor: cursor, Size: pageSize})
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		if seen[page.Next] {
			return fmt.Errorf("organizations of %s: %w %q", cl.conn.Manifest().Name, ErrRepeatedCursor, page.Next)
		}
		seen[page.Next] = true
		cursor = page.Next
	}
}
