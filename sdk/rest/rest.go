// Package rest describes a custom integration as data: a REST API's base
// URL, authentication, default headers and endpoints. The host keeps a
// Definition with the integration, turns it into a manifest (each endpoint
// an action), and hands the generic REST connector (plugins/rest) one
// Endpoint per call; the connector builds the request, pages through the
// answers and decodes them. Definitions come from `roost integrations new`
// (by hand) or `roost integrations import-openapi`.
//
// The package is standard library only: both the host and the connector
// import it.
package rest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Definition is a custom integration.
type Definition struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category,omitempty"`
	Version     string `json:"version,omitempty"`
	BaseURL     string `json:"base_url,omitempty"`
	Auth        Auth   `json:"auth"`
	// Headers go with every request (not credentials: those are Auth's).
	Headers map[string]string `json:"headers,omitempty"`
	// RateLimit caps requests per second to the tool; 0 means no cap.
	RateLimit float64    `json:"rate_limit,omitempty"`
	Endpoints []Endpoint `json:"endpoints"`
	// Removed lists the Source of imported endpoints the user removed, so
	// a re-import leaves them out.
	Removed []string `json:"removed,omitempty"`
}

// Auth kinds.
const (
	AuthNone              = "none"
	AuthAPIKey            = "api_key"
	AuthBasic             = "basic"
	AuthBearer            = "bearer"
	AuthClientCredentials = "oauth2_client_credentials"
	AuthAuthorizationCode = "oauth2_authorization_code" // PKCE sign-in via roost integrations authorize
)

// Auth says how requests are authenticated. The secrets themselves live
// in the integration's configuration, sealed by the host.
type Auth struct {
	Kind string `json:"kind"`
	// In is "header" (default) or "query" for an API key; Name is the
	// header or parameter (default X-Api-Key); Prefix goes before the key
	// ("Token ").
	In     string `json:"in,omitempty"`
	Name   string `json:"name,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	// OAuth2: the token URL, scopes, how the token request is encoded
	// ("form", the default, or "json"), and where the token is in the
	// answer (a dot path; default "access_token").
	TokenURL     string   `json:"token_url,omitempty"`
	AuthorizeURL string   `json:"authorize_url,omitempty"`
	Scopes       []string `json:"scopes,omitempty"`
	TokenRequest string   `json:"token_request,omitempty"`
	TokenPath    string   `json:"token_path,omitempty"`
}

// Param is one parameter of an endpoint.
type Param struct {
	Name string `json:"name"`
	// In is "path", "query" or "header".
	In          string          `json:"in"`
	Required    bool            `json:"required,omitempty"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
}

// Endpoint is one operation of the API, offered as an action.
type Endpoint struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Method      string  `json:"method"`
	Path        string  `json:"path"`
	Params      []Param `json:"params,omitempty"`
	// Body is the JSON Schema of the request body; nil means no body. The
	// action's input carries it as "body".
	Body         json.RawMessage `json:"body,omitempty"`
	BodyRequired bool            `json:"body_required,omitempty"`
	// Output is the JSON Schema of a successful answer.
	Output json.RawMessage `json:"output,omitempty"`
	// ResultsKey is a dot path to the list in the answer ("data.items");
	// empty means the answer itself.
	ResultsKey string      `json:"results_key,omitempty"`
	Pagination *Pagination `json:"pagination,omitempty"`
	// Organizations marks the endpoint that lists the tool's customers for
	// organization mapping, with the fields that hold their id, name and
	// domain.
	Organizations *OrgFields `json:"organizations,omitempty"`
	// Retry lets a non-idempotent request (POST) be retried after a 429,
	// 5xx or network error; idempotent methods always are.
	Retry bool     `json:"retry,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	// Source identifies the operation an import made it from ("GET
	// /pets/{id}"), so a re-import can keep the user's edits.
	Source string `json:"source,omitempty"`
}

// OrgFields name the fields of an organizations endpoint's items.
type OrgFields struct {
	ID     string `json:"id,omitempty"`     // default "id"
	Name   string `json:"name,omitempty"`   // default "name"
	Domain string `json:"domain,omitempty"` // optional: a website or domain field
}

// Pagination kinds.
const (
	PageNone   = "none"
	PageOffset = "offset" // offset/limit (index)
	PageNumber = "page"   // page number and size
	PageLink   = "link"   // RFC 8288 Link header, or a next URL in the body
	PageCursor = "cursor" // a cursor from the body sent back as a parameter
)

// Pagination says how an endpoint pages.
type Pagination struct {
	Kind string `json:"kind"`
	// PageParam is the page-number or offset parameter ("page", "offset");
	// SizeParam the page-size or limit parameter; PageSize the size asked.
	PageParam string `json:"page_param,omitempty"`
	SizeParam string `json:"size_param,omitempty"`
	PageSize  int    `json:"page_size,omitempty"`
	// FirstPage is the number of the first page (default 1; some APIs 0).
	FirstPage *int `json:"first_page,omitempty"`
	// NextPath is a dot path in the answer to the next URL (link kind; empty
	// means the Link header) or the next cursor (cursor kind).
	NextPath string `json:"next_path,omitempty"`
	// CursorParam is the parameter the cursor is sent back in.
	CursorParam string `json:"cursor_param,omitempty"`
	// MaxPages stops a listing after this many pages (default 100).
	MaxPages int `json:"max_pages,omitempty"`
}

// validName checks a name of lower-case letters, digits and sep, starting
// with a letter (written out: the package avoids regexp, which would grow
// every connector that imports it).
func validName(s string, sep byte, maxLen int) bool {
	if s == "" || len(s) > maxLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == sep) {
			return false
		}
	}
	return true
}

// Validate reports every problem of a definition, one per line.
func (d *Definition) Validate() error {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if !validName(d.Name, '-', 63) {
		bad("name %q: use lower-case letters, digits and '-', starting with a letter", d.Name)
	}
	if d.BaseURL != "" && !strings.HasPrefix(d.BaseURL, "http://") && !strings.HasPrefix(d.BaseURL, "https://") {
		bad("base_url %q: want an http or https URL", d.BaseURL)
	}
	switch d.Auth.Kind {
	case "", AuthNone, AuthBasic, AuthBearer:
	case AuthAPIKey:
		if d.Auth.In != "" && d.Auth.In != "header" && d.Auth.In != "query" {
			bad("auth.in %q: want header or query", d.Auth.In)
		}
	case AuthAuthorizationCode:
	case AuthClientCredentials:
		if d.Auth.TokenRequest != "" && d.Auth.TokenRequest != "form" && d.Auth.TokenRequest != "json" {
			bad("auth.token_request %q: want form or json", d.Auth.TokenRequest)
		}
	default:
		bad("auth.kind %q: want none, api_key, basic, bearer, oauth2_client_credentials or oauth2_authorization_code", d.Auth.Kind)
	}
	if d.RateLimit < 0 {
		bad("rate_limit %v: want 0 (none) or requests per second", d.RateLimit)
	}
	seen := map[string]bool{}
	orgs := 0
	for i, e := range d.Endpoints {
		where := fmt.Sprintf("endpoint %d (%s)", i+1, e.Name)
		if !validName(e.Name, '_', 64) {
			bad("%s: name %q: use lower-case letters, digits and '_', starting with a letter", where, e.Name)
		}
		if seen[e.Name] {
			bad("%s: a second endpoint named %q", where, e.Name)
		}
		seen[e.Name] = true
		switch strings.ToUpper(e.Method) {
		case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE":
		default:
			bad("%s: method %q", where, e.Method)
		}
		if !strings.HasPrefix(e.Path, "/") && !strings.HasPrefix(e.Path, "http") {
			bad("%s: path %q: want /something", where, e.Path)
		}
		for _, p := range e.Params {
			if p.In != "path" && p.In != "query" && p.In != "header" {
				bad("%s: parameter %q: in %q, want path, query or header", where, p.Name, p.In)
			}
			if p.In == "path" && !strings.Contains(e.Path, "{"+p.Name+"}") {
				bad("%s: path parameter %q is not in the path %s", where, p.Name, e.Path)
			}
		}
		if pg := e.Pagination; pg != nil {
			switch pg.Kind {
			case PageNone, PageLink:
			case PageOffset, PageNumber:
				if pg.PageParam == "" {
					bad("%s: %s pagination needs page_param", where, pg.Kind)
				}
			case PageCursor:
				if pg.NextPath == "" || pg.CursorParam == "" {
					bad("%s: cursor pagination needs next_path and cursor_param", where)
				}
			default:
				bad("%s: pagination kind %q: want none, offset, page, link or cursor", where, pg.Kind)
			}
		}
		if e.Organizations != nil {
			orgs++
		}
	}
	if orgs > 1 {
		bad("%d endpoints are marked as the organizations source; mark one", orgs)
	}
	if len(probs) > 0 {
		return fmt.Errorf("definition %s:\n  %s", d.Name, strings.Join(probs, "\n  "))
	}
	return nil
}

// OrganizationsEndpoint returns the endpoint marked as the organizations
// source, if any.
func (d *Definition) OrganizationsEndpoint() *Endpoint {
	for i := range d.Endpoints {
		if d.Endpoints[i].Organizations != nil {
			return &d.Endpoints[i]
		}
	}
	return nil
}

// Endpoint returns the endpoint named name.
func (d *Definition) Endpoint(name string) *Endpoint {
	for i := range d.Endpoints {
		if d.Endpoints[i].Name == name {
			return &d.Endpoints[i]
		}
	}
	return nil
}

// Call is the input of the REST connector's "call" action: the endpoint
// to call, the request defaults, and the action's arguments.
type Call struct {
	BaseURL   string            `json:"base_url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Endpoint  Endpoint          `json:"endpoint"`
	Arguments json.RawMessage   `json:"arguments,omitempty"`
}

// Lookup follows a dot path ("data.items", "meta.next") into a decoded JSON
// value; "" is the value itself.
func Lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, part := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Request is an HTTP request built from an endpoint and an action's
// arguments.
type Request struct {
	Method string
	URL    string
	Header map[string]string
	Body   []byte
	// Retry lets a non-idempotent request be retried.
	Retry bool
}

// InputError is an action input that does not fit its endpoint.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// BuildRequest makes the request for endpoint e with the action's
// arguments (a JSON object; path, query and header parameters by name, the
// request body as "body"). Both the host and the REST connector use it, so
// they build exactly the same request. Errors are *InputError.
func BuildRequest(base string, headers map[string]string, e *Endpoint, arguments json.RawMessage) (*Request, error) {
	bad := func(format string, args ...any) error { return &InputError{Message: fmt.Sprintf(format, args...)} }
	args := map[string]json.RawMessage{}
	if len(arguments) > 0 && string(arguments) != "null" {
		if err := json.Unmarshal(arguments, &args); err != nil {
			return nil, bad("the input must be a JSON object: %v", err)
		}
	}
	if base == "" && !strings.HasPrefix(e.Path, "http") {
		return nil, bad("base_url is not configured")
	}
	path := e.Path
	q := url.Values{}
	h := make(map[string]string, len(headers)+2)
	for k, v := range headers {
		h[k] = v
	}
	used := make(map[string]bool, len(e.Params)+1)
	for _, p := range e.Params {
		raw, ok := args[p.Name]
		used[p.Name] = true
		if !ok || string(raw) == "null" {
			if p.Required {
				return nil, bad("%s %s: %s parameter %q is required", e.Method, e.Path, p.In, p.Name)
			}
			continue
		}
		values, err := scalars(raw)
		if err != nil {
			return nil, bad("parameter %q: %v", p.Name, err)
		}
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(strings.Join(values, ",")))
		case "query":
			for _, v := range values {
				q.Add(p.Name, v)
			}
		case "header":
			h[p.Name] = strings.Join(values, ",")
		}
	}
	r := &Request{Method: strings.ToUpper(e.Method), Header: h, Retry: e.Retry}
	if raw, ok := args["body"]; ok && e.Body != nil {
		r.Body = raw
		used["body"] = true
		h["Content-Type"] = "application/json"
	} else if e.BodyRequired {
		return nil, bad("%s %s: a body is required (the input's \"body\")", e.Method, e.Path)
	}
	var unknown []string
	for k := range args {
		if !used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, bad("%s %s: unknown input %s (it takes %s)", e.Method, e.Path, strings.Join(unknown, ", "), takes(e))
	}
	if strings.Contains(path, "{") {
		return nil, bad("%s %s: path parameters not given", e.Method, path)
	}
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = strings.TrimRight(base, "/") + path
	}
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q.Encode()
	}
	if _, ok := h["Accept"]; !ok {
		h["Accept"] = "application/json"
	}
	r.URL = u
	return r, nil
}

func takes(e *Endpoint) string {
	var names []string
	for _, p := range e.Params {
		names = append(names, p.Name)
	}
	if e.Body != nil {
		names = append(names, "body")
	}
	if len(names) == 0 {
		return "no input"
	}
	return strings.Join(names, ", ")
}

// scalars renders a parameter value: a string, number or boolean as one
// value, an array as several.
func scalars(raw json.RawMessage) ([]string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	one := func(x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case float64:
			return strconv.FormatFloat(t, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(t), nil
		}
		return "", fmt.Errorf("want a string, number, boolean or a list of them")
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(v)
	return []string{s}, err
}

// Paginated reports whether the endpoint pages.
func (e *Endpoint) Paginated() bool {
	return e.Pagination != nil && e.Pagination.Kind != "" && e.Pagination.Kind != PageNone
}
