package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/httpx"
	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/rest"
)

// Definition is a custom integration described as data (see sdk/rest).
type Definition = rest.Definition

// RESTConnector is the bundled connector custom integrations run on.
const RESTConnector = "rest"

// custom is what turns the generic REST connector into one custom
// integration: its definition and the manifest made from it.
type custom struct {
	def      *rest.Definition
	manifest *abi.Manifest
	raw      json.RawMessage
	limiter  *httpx.Limiter
}

// Config fields of custom integrations, by auth kind.
const (
	fieldBaseURL      = "base_url"
	fieldAPIKey       = "api_key"
	fieldUsername     = "username"
	fieldPassword     = "password"
	fieldToken        = "token"
	fieldClientID     = "client_id"
	fieldClientSecret = "client_secret"
	fieldTokenURL     = "token_url"
	fieldAuthorizeURL = "authorize_url"
	fieldRefreshToken = "refresh_token"
)

// CustomManifest makes the manifest a custom integration presents: each
// endpoint an action, configuration fields for the base URL and the
// credentials its auth kind needs, and the auth the host injects.
func CustomManifest(def *rest.Definition) (*abi.Manifest, error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	version := def.Version
	if version == "" {
		version = "1.0.0"
	}
	category := abi.Category(def.Category)
	if category == "" {
		category = abi.CategoryOther
	}
	desc := def.Description
	if desc == "" {
		desc = "Custom integration " + def.Name + "."
	}
	m := &abi.Manifest{ABI: abi.Version, Name: def.Name, Version: version, Category: category,
		Description: oneLineText(desc, 300), Tags: []string{"custom"}, Hosts: []string{"{config." + fieldBaseURL + "}"},
		Capabilities: []abi.Capability{abi.CapCheck}}
	base := abi.Field{Name: fieldBaseURL, Type: abi.TypeURL, Required: true, Description: "The API's base URL."}
	if def.BaseURL != "" && !strings.Contains(def.BaseURL, "{") {
		base.Default = def.BaseURL
	}
	m.Config = append(m.Config, base)
	secret := func(name, desc string) abi.Field {
		return abi.Field{Name: name, Type: abi.TypeString, Required: true, Secret: true, Description: desc}
	}
	a := def.Auth
	switch a.Kind {
	case rest.AuthAPIKey:
		m.Config = append(m.Config, secret(fieldAPIKey, "The API key."))
		name := a.Name
		if name == "" {
			name = "X-Api-Key"
		}
		if a.In == "query" {
			m.Auth = &abi.Auth{Type: abi.AuthQuery, Name: name, Secret: fieldAPIKey}
		} else {
			m.Auth = &abi.Auth{Type: abi.AuthHeader, Name: name, Prefix: a.Prefix, Secret: fieldAPIKey}
		}
	case rest.AuthBasic:
		m.Config = append(m.Config, abi.Field{Name: fieldUsername, Type: abi.TypeString, Required: true, Description: "The user name."},
			secret(fieldPassword, "The password."))
		m.Auth = &abi.Auth{Type: abi.AuthBasic, Username: fieldUsername, Secret: fieldPassword}
	case rest.AuthBearer:
		m.Config = append(m.Config, secret(fieldToken, "The bearer token."))
		m.Auth = &abi.Auth{Type: abi.AuthBearer, Secret: fieldToken}
	case rest.AuthClientCredentials:
		tok := abi.Field{Name: fieldTokenURL, Type: abi.TypeURL, Required: true, Description: "Where OAuth2 tokens are fetched."}
		if a.TokenURL != "" {
			tok.Default = a.TokenURL
		}
		m.Config = append(m.Config, abi.Field{Name: fieldClientID, Type: abi.TypeString, Required: true, Description: "The OAuth2 client id."},
			secret(fieldClientSecret, "The OAuth2 client secret."), tok)
		m.Auth = &abi.Auth{Type: abi.AuthOAuth2ClientCredentials, TokenURL: "{config." + fieldTokenURL + "}", ClientID: fieldClientID,
			Secret: fieldClientSecret, Scopes: a.Scopes, TokenRequest: a.TokenRequest, TokenPath: a.TokenPath}
		m.Hosts = append(m.Hosts, "{config."+fieldTokenURL+"}")
	}
	if a.Kind == rest.AuthAuthorizationCode {
		authz := abi.Field{Name: fieldAuthorizeURL, Type: abi.TypeURL, Required: true, Description: "Where a person signs in."}
		if a.AuthorizeURL != "" {
			authz.Default = a.AuthorizeURL
		}
		tok := abi.Field{Name: fieldTokenURL, Type: abi.TypeURL, Required: true, Description: "Where tokens are fetched."}
		if a.TokenURL != "" {
			tok.Default = a.TokenURL
		}
		m.Config = append(m.Config, abi.Field{Name: fieldClientID, Type: abi.TypeString, Required: true, Description: "The OAuth2 client id."},
			abi.Field{Name: fieldClientSecret, Type: abi.TypeString, Secret: true, Description: "The client secret, if the client has one (PKCE clients may not)."},
			abi.Field{Name: fieldRefreshToken, Type: abi.TypeString, Secret: true, Description: "Set when a person signs in (authorize)."},
			authz, tok)
		m.Auth = &abi.Auth{Type: abi.AuthOAuth2AuthorizationCode, AuthorizeURL: "{config." + fieldAuthorizeURL + "}",
			TokenURL: "{config." + fieldTokenURL + "}", ClientID: fieldClientID, ClientSecret: fieldClientSecret,
			Secret: fieldRefreshToken, Scopes: a.Scopes}
		m.Hosts = append(m.Hosts, "{config."+fieldTokenURL+"}")
	}
	if def.OrganizationsEndpoint() != nil {
		m.Capabilities = append(m.Capabilities, abi.CapOrganizations)
	}
	for i := range def.Endpoints {
		e := &def.Endpoints[i]
		in, err := endpointInput(e)
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: %w", e.Name, err)
		}
		out := e.Output
		if e.Pagination != nil && e.Pagination.Kind != "" && e.Pagination.Kind != rest.PageNone {
			item := json.RawMessage(`{}`)
			if len(out) > 0 {
				item = out
			}
			out, _ = json.Marshal(map[string]any{"type": "array", "items": item})
		}
		if len(out) == 0 {
			out = json.RawMessage(`{}`)
		}
		desc := e.Description
		if desc == "" {
			desc = strings.ToUpper(e.Method) + " " + e.Path
		}
		m.Actions = append(m.Actions, abi.Action{Name: e.Name, Description: oneLineText(desc, 500), Input: in, Output: out})
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("definition %s makes an invalid manifest: %w", def.Name, err)
	}
	return m, nil
}

func oneLineText(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// endpointInput is an action's input schema: one property per parameter,
// and "body" for the request body.
func endpointInput(e *rest.Endpoint) (json.RawMessage, error) {
	props := map[string]any{}
	var required []string
	for _, p := range e.Params {
		var s any = map[string]any{"type": "string"}
		if len(p.Schema) > 0 {
			s = json.RawMessage(p.Schema)
		}
		if p.Description != "" {
			if obj, ok := asObject(p.Schema); ok {
				obj["description"] = oneLineText(p.Description, 300)
				s = obj
			}
		}
		props[p.Name] = s
		if p.Required {
			required = append(required, p.Name)
		}
	}
	if e.Body != nil {
		props["body"] = json.RawMessage(e.Body)
		if e.BodyRequired {
			required = append(required, "body")
		}
	}
	schema := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		schema["required"] = required
	}
	return json.Marshal(schema)
}

func asObject(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 {
		return map[string]any{}, true
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	return m, true
}

func newCustom(raw json.RawMessage) (*custom, error) {
	var def rest.Definition
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("custom integration definition is damaged: %w", err)
	}
	m, err := CustomManifest(&def)
	if err != nil {
		return nil, err
	}
	c := &custom{def: &def, manifest: m, raw: raw}
	if def.RateLimit > 0 {
		c.limiter = httpx.NewLimiter(def.RateLimit)
	}
	return c, nil
}

// guestConfig is what the REST connector is given for a configuration.
func (cu *custom) guestConfig(full map[string]any) map[string]any {
	g := map[string]any{fieldBaseURL: full[fieldBaseURL]}
	if len(cu.def.Headers) > 0 {
		b, _ := json.Marshal(cu.def.Headers)
		g["headers_json"] = string(b)
	}
	if e := cu.def.OrganizationsEndpoint(); e != nil {
		b, _ := json.Marshal(e)
		g["organizations_json"] = string(b)
	}
	return g
}

// callInput is the REST connector's input for one action.
func (cu *custom) callInput(action string, baseURL any, input json.RawMessage) (json.RawMessage, error) {
	e := cu.def.Endpoint(action)
	if e == nil {
		return nil, fmt.Errorf("no endpoint %q", action)
	}
	base, _ := baseURL.(string)
	return json.Marshal(rest.Call{BaseURL: base, Headers: cu.def.Headers, Endpoint: *e, Arguments: input})
}

// InstallCustom installs (or updates) a custom integration from its
// definition. It runs on the bundled REST connector; configurations and
// mappings of an existing integration of the same name stay.
func (in *integrationsSvc) InstallCustom(ctx context.Context, def *rest.Definition, source string) (*InstallResult, error) {
	m, err := CustomManifest(def)
	if err != nil {
		return nil, err
	}
	h := in.h
	st, err := h.openStore()
	if err != nil {
		return nil, err
	}
	wasm, _, err := in.resolve(ctx, st, RESTConnector)
	if err != nil {
		return nil, fmt.Errorf("custom integrations run on the bundled %q connector, which is not available: %w", RESTConnector, err)
	}
	sha := digest(wasm)
	if err := h.writeModule(sha, wasm); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	manifest, _ := json.Marshal(m)
	now := time.Now().UTC()
	rec := store.Integration{Name: def.Name, Version: m.Version, Category: string(m.Category), Description: m.Description,
		Tags: m.Tags, SHA256: sha, Size: int64(len(wasm)), Source: source, Manifest: manifest, Custom: raw,
		InstalledAt: now, UpdatedAt: now}
	res := &InstallResult{Action: "installed"}
	old, err := st.Integration(def.Name)
	switch {
	case err == nil:
		if old.Custom == nil {
			return nil, fmt.Errorf("%s is an installed connector, not a custom integration; choose another name", def.Name)
		}
		rec.InstalledAt, rec.DefaultConfig = old.InstalledAt, old.DefaultConfig
		res.Action, res.FromVersion = "updated", old.Version
		res.Changes = diffManifests(old.Manifest, m)
		if string(old.Custom) == string(raw) && old.SHA256 == sha {
			res.Action = "unchanged"
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if res.Action != "unchanged" {
		if err := st.PutIntegration(rec); err != nil {
			return nil, err
		}
		h.dropLoaded(ctx, def.Name)
	}
	res.Integration = Installed(rec)
	if maps, err := st.Mappings(def.Name); err == nil {
		res.Mapped = len(maps)
	}
	return res, nil
}

// CustomDefinition returns a custom integration's definition.
func (in *integrationsSvc) CustomDefinition(_ context.Context, name string) (*rest.Definition, error) {
	st, err := in.h.openStore()
	if err != nil {
		return nil, err
	}
	rec, _, err := in.installed(st, name)
	if err != nil {
		return nil, err
	}
	if rec.Custom == nil {
		return nil, fmt.Errorf("%s is a connector, not a custom integration", name)
	}
	var def rest.Definition
	if err := json.Unmarshal(rec.Custom, &def); err != nil {
		return nil, fmt.Errorf("custom integration %s: the stored definition is damaged: %w", name, err)
	}
	return &def, nil
}

// direct runs a single-request endpoint in the host: the request is built
// by rest.BuildRequest, as the REST connector builds it, and sent through
// the client's HTTP policy (allowed hosts, credentials, retries, rate
// limit). Only paginated endpoints need the connector's loop; skipping the
// guest here saves the Go guest's JSON work on every call.
func (cu *custom) direct(ctx context.Context, cl *Client, e *rest.Endpoint, input json.RawMessage) (json.RawMessage, error) {
	name := cu.manifest.Name
	fail := func(code abi.Code, retry bool, format string, args ...any) error {
		return &CallError{Connector: name, Op: "action " + e.Name, Code: code, Retryable: retry, Message: fmt.Sprintf(format, args...)}
	}
	base, _ := cl.baseURL.(string)
	r, err := rest.BuildRequest(base, cu.def.Headers, e, input)
	if err != nil {
		return nil, fail(abi.CodeInvalidInput, false, "%v", err)
	}
	head := &abi.HTTPRequest{Method: r.Method, URL: r.URL, Header: make(map[string][]string, len(r.Header)), Retry: r.Retry}
	for k, v := range r.Header {
		head.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	timeout := cl.conn.host.cfg.Limits.CallTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, body, err := cl.env.HTTP(ctx, head, r.Body)
	if err != nil {
		var ae *abi.Error
		if errors.As(err, &ae) {
			return nil, fail(ae.Code, ae.Retryable, "%s", ae.Message)
		}
		return nil, fail(abi.CodeUnavailable, true, "%v", err)
	}
	if resp.Status < 200 || resp.Status > 299 {
		code, retry := statusCode(resp.Status)
		msg := strings.TrimSpace(string(body))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return nil, fail(code, retry, "%s %s answered %d: %s", r.Method, redactURL(r.URL), resp.Status, msg)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return json.RawMessage("null"), nil
	}
	if !json.Valid(body) {
		return json.Marshal(string(body))
	}
	if e.ResultsKey == "" {
		return body, nil
	}
	var doc any
	json.Unmarshal(body, &doc)
	v, ok := rest.Lookup(doc, e.ResultsKey)
	if !ok {
		return nil, fail(abi.CodeUpstream, false, "%s %s: the answer has no %q", r.Method, e.Path, e.ResultsKey)
	}
	return json.Marshal(v)
}

// statusCode maps an HTTP status to an error code, as the SDK does.
func statusCode(status int) (abi.Code, bool) {
	c := abi.CodeForStatus(status)
	return c, c.Retryable()
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the URL"
	}
	u.RawQuery = ""
	return u.String()
}
