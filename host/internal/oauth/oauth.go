package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

// PostForm sends a form-encoded POST and returns the status and body. The
// host passes one that goes through its HTTP policy (allowed hosts,
// time-outs, size caps).
type PostForm func(ctx context.Context, url string, form url.Values) (status int, body []byte, err error)

// PostJSON sends a JSON POST and returns the status and body.
type PostJSON func(ctx context.Context, url string, body []byte) (status int, answer []byte, err error)

// ClientCredentials is a token source for the client-credentials grant.
// The zero value is not usable; fill in the exported fields.
type ClientCredentials struct {
	TokenURL string
	ClientID string
	Secret   string
	Scopes   []string
	// Params are further fields of the token request (Auth0's audience).
	Params map[string]string
	Post   PostForm
	// PostJSON, if set, sends the token request as a JSON object instead
	// of a form (some APIs want that).
	PostJSON PostJSON
	// TokenPath and ExpiresPath are dot paths to the token and its
	// lifetime in the answer; defaults "access_token" and "expires_in".
	TokenPath, ExpiresPath string
	// RefreshToken, if set, makes this a refresh-token source (the
	// authorization-code grant's second half): each fetch trades it for an
	// access token. OnRotate is called when the tool sends a new one.
	RefreshToken string
	OnRotate     func(refreshToken string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CoolDown is how long a failed fetch is remembered. Default 5s.
	CoolDown time.Duration

	mu       sync.Mutex
	token    string
	expiry   time.Time
	failedAt time.Time
	failure  error
	fetches  int
}

// early is how long before its stated expiry a token is replaced, so a
// request never leaves with a token about to lapse.
const early = 30 * time.Second

func (c *ClientCredentials) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Token returns a valid access token, fetching one if none is cached.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != "" && now.Before(c.expiry) {
		return c.token, nil
	}
	cool := c.CoolDown
	if cool <= 0 {
		cool = 5 * time.Second
	}
	if c.failure != nil && now.Sub(c.failedAt) < cool {
		return "", c.failure
	}
	tok, life, err := c.fetch(ctx)
	c.fetches++
	if err != nil {
		c.token, c.failure, c.failedAt = "", err, now
		return "", err
	}
	c.failure = nil
	c.token = tok
	if life > 2*early {
		life -= early
	}
	c.expiry = now.Add(life)
	return tok, nil
}

// Invalidate drops the cached token, so the next Token fetches a new one.
func (c *ClientCredentials) Invalidate() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// Fetches reports how many token requests were sent (for tests and logs).
func (c *ClientCredentials) Fetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

func (c *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.Secret}}
	if c.RefreshToken != "" {
		form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.RefreshToken}, "client_id": {c.ClientID}}
		if c.Secret != "" {
			form.Set("client_secret", c.Secret)
		}
	}
	if len(c.Scopes) > 0 && c.RefreshToken == "" {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	for k, v := range c.Params {
		if form.Get(k) == "" {
			form.Set(k, v)
		}
	}
	var (
		status int
		body   []byte
		err    error
	)
	if c.PostJSON != nil {
		obj := map[string]string{}
		for k := range form {
			obj[k] = form.Get(k)
		}
		payload, _ := json.Marshal(obj)
		status, body, err = c.PostJSON(ctx, c.TokenURL, payload)
	} else {
		status, body, err = c.Post(ctx, c.TokenURL, form)
	}
	where := redact(c.TokenURL)
	if err != nil {
		return "", 0, fmt.Errorf("fetch OAuth2 token from %s: %w", where, err)
	}
	var answer struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Refresh     string          `json:"refresh_token"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	_ = json.Unmarshal(body, &answer)
	if c.TokenPath != "" || c.ExpiresPath != "" {
		var doc any
		_ = json.Unmarshal(body, &doc)
		if c.TokenPath != "" {
			if v, ok := lookup(doc, c.TokenPath).(string); ok {
				answer.AccessToken = v
			} else {
				answer.AccessToken = ""
			}
		}
		if c.ExpiresPath != "" {
			if v := lookup(doc, c.ExpiresPath); v != nil {
				answer.ExpiresIn, _ = json.Marshal(v)
			}
		}
	}
	if status < 200 || status > 299 {
		code := abi.CodeUnavailable
		if status == 400 || status == 401 || status == 403 {
			code = abi.CodeUnauthenticated
		}
		msg := fmt.Sprintf("OAuth2 token request to %s was refused with status %d", where, status)
		if answer.Error != "" {
			msg += ": " + answer.Error
			if answer.Description != "" {
				msg += " (" + answer.Description + ")"
			}
		}
		if code == abi.CodeUnauthenticated {
			msg += "; check the client id and secret in the configuration"
		}
		return "", 0, &abi.Error{Code: code, Message: msg, Retryable: code == abi.CodeUnavailable}
	}
	if answer.AccessToken == "" {
		path := c.TokenPath
		if path == "" {
			path = "access_token"
		}
		return "", 0, &abi.Error{Code: abi.CodeUpstream, Message: fmt.Sprintf("OAuth2 token answer from %s has no %s", where, path)}
	}
	if answer.TokenType != "" && !strings.EqualFold(answer.TokenType, "bearer") {
		return "", 0, &abi.Error{Code: abi.CodeUpstream, Message: fmt.Sprintf("OAuth2 token from %s is of type %q; only bearer tokens are supported", where, answer.TokenType)}
	}
	if answer.Refresh != "" && c.RefreshToken != "" && answer.Refresh != c.RefreshToken {
		c.RefreshToken = answer.Refresh
		if c.OnRotate != nil {
			c.OnRotate(answer.Refresh)
		}
	}
	life := time.Hour
	if s := strings.Trim(string(answer.ExpiresIn), `"`); s != "" && s != "null" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			life = time.Duration(n) * time.Second
		}
	}
	return answer.AccessToken, life, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the token URL"
	}
	u.RawQuery = ""
	return u.String()
}

// lookup follows a dot path into decoded JSON.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

// Exchange trades an authorization code (with its PKCE verifier) for
// tokens at tokenURL and returns the refresh token.
func Exchange(ctx context.Context, post PostForm, tokenURL, clientID, clientSecret, code, verifier, redirect string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {clientID}, "code_verifier": {verifier}}
	if clientSecret != "" {
		form.Set("client_secret", clientSecret)
	}
	status, body, err := post(ctx, tokenURL, form)
	if err != nil {
		return "", fmt.Errorf("exchange the authorization code at %s: %w", redact(tokenURL), err)
	}
	var answer struct {
		Refresh     string `json:"refresh_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &answer)
	if status < 200 || status > 299 {
		return "", fmt.Errorf("the token endpoint %s refused the authorization code (status %d): %s %s", redact(tokenURL), status, answer.Error, answer.Description)
	}
	if answer.Refresh == "" {
		return "", fmt.Errorf("the token endpoint %s sent no refresh_token (ask for offline access in the scopes)", redact(tokenURL))
	}
	return answer.Refresh, nil
}
