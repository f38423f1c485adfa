package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/httpx"
	"github.com/roosthq/roost/host/internal/oauth"
	"github.com/roosthq/roost/sdk/abi"
)

// AuthorizeOptions change how a person signs an integration in.
type AuthorizeOptions struct {
	// Config names the configuration; "" is the default.
	Config string `json:"config,omitempty"`
	// Open is given the URL the person must visit; the CLI prints it. The
	// sign-in completes when the tool redirects the browser back.
	Open func(url string) error `json:"-"`
	// Timeout bounds the wait for the redirect. Default 5 minutes.
	Timeout time.Duration `json:"timeout_ns,omitempty"`
}

// Authorize signs an integration with oauth2_authorization_code auth in to
// its tool: it listens on a loopback port, sends the person to the tool's
// authorization URL with a PKCE challenge (S256) and a state, takes the
// code from the redirect, trades it (with the verifier) for a refresh
// token, and seals that in the configuration. From then on the host
// trades the refresh token for access tokens as needed.
func (in *integrationsSvc) Authorize(ctx context.Context, name string, opts AuthorizeOptions) error {
	st, err := in.h.openStore()
	if err != nil {
		return err
	}
	rec, m, err := in.installed(st, name)
	if err != nil {
		return err
	}
	if m.Auth == nil || m.Auth.Type != abi.AuthOAuth2AuthorizationCode {
		return fmt.Errorf("%s does not sign in with OAuth2 authorization code; nothing to authorize", name)
	}
	cfgName := opts.Config
	if cfgName == "" {
		cfgName = rec.DefaultConfig
	}
	if cfgName == "" {
		return &NoConfigurationError{Integration: name, Missing: []string{"client_id"}}
	}
	c, err := st.Configuration(name, cfgName)
	if err != nil {
		return fmt.Errorf("%s has no configuration %q: %w", name, cfgName, err)
	}
	values, err := in.h.openConfiguration(c)
	if err != nil {
		return err
	}
	full, _, _ := m.CheckConfig(values) // fills in defaults such as the URLs
	auth := m.Auth
	authorizeURL, err := abi.ExpandTemplate(auth.AuthorizeURL, full)
	if err != nil {
		return fmt.Errorf("authorize URL: %w", err)
	}
	tokenURL, err := abi.ExpandTemplate(auth.TokenURL, full)
	if err != nil {
		return fmt.Errorf("token URL: %w", err)
	}
	clientID, _ := full[auth.ClientID].(string)
	if clientID == "" {
		return &NoConfigurationError{Integration: name, Config: opts.Config, Missing: []string{auth.ClientID}}
	}
	clientSecret, _ := full[auth.ClientSecret].(string)

	verifier := randomString(48)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	state := randomString(24)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the sign-in redirect: %w", err)
	}
	defer l.Close()
	redirect := "http://" + l.Addr().String() + "/callback"
	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var res result
		switch {
		case q.Get("state") != state:
			res.err = errors.New("the redirect's state does not match; the sign-in was not started here")
		case q.Get("error") != "":
			res.err = fmt.Errorf("the tool refused: %s %s", q.Get("error"), q.Get("error_description"))
		case q.Get("code") == "":
			res.err = errors.New("the redirect carries no code")
		default:
			res.code = q.Get("code")
		}
		if res.err != nil {
			http.Error(w, "Roost: "+res.err.Error(), http.StatusBadRequest)
		} else {
			fmt.Fprintln(w, "Roost is signed in. You can close this window.")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(l)
	defer srv.Close()

	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	if len(auth.Scopes) > 0 {
		q.Set("scope", strings.Join(auth.Scopes, " "))
	}
	sep := "?"
	if strings.Contains(authorizeURL, "?") {
		sep = "&"
	}
	if opts.Open != nil {
		if err := opts.Open(authorizeURL + sep + q.Encode()); err != nil {
			return err
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	var res result
	select {
	case res = <-got:
	case <-time.After(timeout):
		return &SignInTimeoutError{Integration: name, Waited: timeout}
	case <-ctx.Done():
		return ctx.Err()
	}
	if res.err != nil {
		return res.err
	}
	// The code exchange goes through the configuration's HTTP policy.
	policy := &httpx.Policy{AllowPrivate: in.h.cfg.HTTP.AllowPrivateNetworks || c.AllowPrivateNetworks}
	for _, raw := range m.Hosts {
		if p, err := abi.ParseHostPattern(raw); err == nil {
			if p, err = p.Resolve(full); err == nil {
				policy.Hosts = append(policy.Hosts, p)
			}
		}
	}
	post := func(ctx context.Context, u string, form url.Values) (int, []byte, error) {
		req := &abi.HTTPRequest{Method: "POST", URL: u, Header: map[string][]string{
			"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}}
		resp, body, err := in.h.http.Do(ctx, policy, req, []byte(form.Encode()))
		if err != nil {
			return 0, nil, err
		}
		return resp.Status, body, nil
	}
	refresh, err := oauth.Exchange(ctx, post, tokenURL, clientID, clientSecret, res.code, verifier, redirect)
	if err != nil {
		return err
	}
	_, err = in.Configure(ctx, name, ConfigureInput{Config: cfgName, Secrets: map[string]string{auth.Secret: refresh}, SkipCheck: true})
	return err
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
