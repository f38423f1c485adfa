package abi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Manifest is what a connector says about itself from roost_describe. The
// host reads it before serving the connector and caches it.
type Manifest struct {
	// ABI is the ABI version the connector was written for, "1.0".
	ABI         string   `json:"abi"`
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Category    Category `json:"category"`
	Description string   `json:"description"`
	Tags        []string `json:"tags,omitempty"`
	Homepage    string   `json:"homepage,omitempty"`

	// Config is the schema of a configuration of this connector.
	Config []Field `json:"config,omitempty"`
	// Auth says how the host puts secret configuration fields into outbound
	// requests, so the connector never sees them.
	Auth *Auth `json:"auth,omitempty"`

	Actions      []Action     `json:"actions"`
	Capabilities []Capability `json:"capabilities,omitempty"`

	// Hosts are the outbound hosts the connector may reach: "api.example.com",
	// "*.example.com", "api.example.com:8443", "api.example.com:*", or a
	// reference to a configuration field holding a URL or host,
	// "{config.base_url}".
	Hosts []string `json:"hosts,omitempty"`
}

// Category is the kind of tool a connector talks to.
type Category string

const (
	CategoryPSA           Category = "PSA"
	CategoryRMM           Category = "RMM"
	CategoryDocumentation Category = "Documentation"
	CategorySecurity      Category = "Security"
	CategoryBackup        Category = "Backup"
	CategoryDistribution  Category = "Distribution"
	CategoryOther         Category = "Other"
)

// Categories lists every known category in display order.
var Categories = []Category{CategoryPSA, CategoryRMM, CategoryDocumentation, CategorySecurity, CategoryBackup, CategoryDistribution, CategoryOther}

// Capability is something a connector can do besides its actions.
type Capability string

const (
	// CapOrganizations: the connector answers OpOrganizations, listing the
	// tool's customer accounts page by page, for organization mapping.
	CapOrganizations Capability = "organizations"
	// CapCheck: the connector answers OpCheck, testing a configuration.
	CapCheck Capability = "check"
)

// FieldType is the type of a configuration field's value.
type FieldType string

const (
	TypeString  FieldType = "string"
	TypeInteger FieldType = "integer"
	TypeNumber  FieldType = "number"
	TypeBoolean FieldType = "boolean"
	TypeURL     FieldType = "url" // a string holding an absolute http(s) URL
)

// Field is one configuration field.
type Field struct {
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	Type        FieldType `json:"type"`
	Required    bool      `json:"required,omitempty"`
	Default     any       `json:"default,omitempty"`
	Enum        []any     `json:"enum,omitempty"`
	// Secret fields are stored encrypted, never shown, and never given to
	// the connector: the host injects them into requests as Auth says.
	Secret bool `json:"secret,omitempty"`
}

// AuthType is how credentials go into a request.
type AuthType string

const (
	AuthBearer AuthType = "bearer" // Authorization: Bearer <secret>
	AuthBasic  AuthType = "basic"  // Authorization: Basic base64(<username>:<secret>)
	AuthHeader AuthType = "header" // <name>: <prefix><secret>
	AuthQuery  AuthType = "query"  // ?<name>=<secret>
	// AuthOAuth2ClientCredentials: the host fetches an access token from
	// TokenURL with the client id and secret (form-encoded, RFC 6749 §4.4),
	// caches it until it expires, refreshes it once on a 401, and sends
	// Authorization: Bearer <token>.
	AuthOAuth2ClientCredentials AuthType = "oauth2_client_credentials"
	// AuthOAuth2AuthorizationCode: a person signs in once through the
	// tool's AuthorizeURL (roost integrations authorize: PKCE, a loopback
	// redirect); the host keeps the refresh token in the Secret field and
	// trades it at TokenURL for access tokens, sent as bearer tokens.
	AuthOAuth2AuthorizationCode AuthType = "oauth2_authorization_code"
)

// Auth declares how the host authenticates the connector's outbound requests
// to its allowed hosts.
type Auth struct {
	Type AuthType `json:"type"`
	// Secret names the (secret) config field holding the token or password.
	Secret string `json:"secret"`
	// Username names the config field holding the user name (basic only),
	// or is a template of config fields such as
	// "{config.company_id}+{config.public_key}".
	Username string `json:"username,omitempty"`
	// Name is the header or query parameter name (header and query only).
	Name string `json:"name,omitempty"`
	// Prefix goes before the secret in a header ("Token ").
	Prefix string `json:"prefix,omitempty"`
	// TokenURL is where an OAuth2 token is fetched, a template of config
	// fields: "{config.base_url}/auth/token?tenant={config.tenant}".
	TokenURL string `json:"token_url,omitempty"`
	// ClientID names the config field holding the OAuth2 client id.
	ClientID string `json:"client_id,omitempty"`
	// ClientSecret names the optional config field holding the client
	// secret of an authorization-code client (public clients have none).
	ClientSecret string `json:"client_secret,omitempty"`
	// AuthorizeURL is where a person signs in (authorization code), a
	// template of config fields like TokenURL.
	AuthorizeURL string `json:"authorize_url,omitempty"`
	// Scopes are requested with an OAuth2 token, space-separated on the wire.
	Scopes []string `json:"scopes,omitempty"`
	// TokenRequest is how the token request is encoded: "form" (the
	// default, RFC 6749) or "json".
	TokenRequest string `json:"token_request,omitempty"`
	// TokenParams are further fields of the client-credentials token
	// request that a tool requires, such as Auth0's "audience". They are
	// not secret (they are in the manifest) and may not replace the grant's
	// own fields.
	TokenParams map[string]string `json:"token_params,omitempty"`
	// TokenPath is the dot path to the token in the answer; default
	// "access_token". ExpiresPath likewise for its lifetime in seconds;
	// default "expires_in".
	TokenPath   string `json:"token_path,omitempty"`
	ExpiresPath string `json:"expires_path,omitempty"`
}

// ExpandTemplate replaces each {config.FIELD} in s with that field's value
// from config (a trailing "/" dropped, so "{config.base_url}/x" works either
// way). A reference to an unset field is an error naming it, unless it is
// written {config.FIELD?}, which expands to "" when unset.
func ExpandTemplate(s string, config map[string]any) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{config.")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("template %q: unclosed {", s)
		}
		field := s[i+len("{config.") : i+j]
		field, optional := strings.CutSuffix(field, "?")
		v, ok := config[field]
		if !ok || v == nil || v == "" {
			if !optional {
				return "", fmt.Errorf("config field %q is not set", field)
			}
			v = ""
		}
		b.WriteString(s[:i])
		b.WriteString(strings.TrimSuffix(fmt.Sprint(v), "/"))
		s = s[i+j+1:]
	}
}

// templateFields returns the config fields a template refers to.
func templateFields(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{config.")
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return append(out, "")
		}
		out = append(out, strings.TrimSuffix(s[i+len("{config."):i+j], "?"))
		s = s[i+j+1:]
	}
}

// Action is one operation a connector offers.
type Action struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Input and Output are JSON Schemas of the action's input and output.
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
}

// Has reports whether the manifest declares capability c.
func (m *Manifest) Has(c Capability) bool {
	for _, have := range m.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Action returns the action called name.
func (m *Manifest) Action(name string) (*Action, bool) {
	for i := range m.Actions {
		if m.Actions[i].Name == name {
			return &m.Actions[i], true
		}
	}
	return nil, false
}

// Field returns the configuration field called name.
func (m *Manifest) Field(name string) (*Field, bool) {
	for i := range m.Config {
		if m.Config[i].Name == name {
			return &m.Config[i], true
		}
	}
	return nil, false
}

// The name checks are written out rather than as regular expressions:
// this package is linked into every connector, and package regexp would add
// its code and the compilation of each pattern to every instance's start.

// identifier reports whether s is a lower-case letter followed by up to 62
// lower-case letters, digits or sep.
func identifier(s string, sep byte) bool {
	if len(s) == 0 || len(s) > 63 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == sep) {
			return false
		}
	}
	return true
}

type nameRule byte

func (r nameRule) MatchString(s string) bool { return identifier(s, byte(r)) }

var (
	nameRE   = nameRule('-') // connector names: ^[a-z][a-z0-9-]{0,62}$
	actionRE = nameRule('_') // action names: ^[a-z][a-z0-9_]{0,62}$
	fieldRE  = nameRule('_') // config fields: ^[a-z][a-z0-9_]{0,62}$
)

// semver reports whether s is MAJOR.MINOR.PATCH with an optional v, an
// optional -pre-release and an optional +build, numbers without leading
// zeros.
func semver(s string) bool {
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !dotted(s[i+1:]) {
			return false
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if !dotted(s[i+1:]) {
			return false
		}
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// dotted reports whether s is non-empty and made of [0-9A-Za-z.-].
func dotted(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Validate reports every problem with the manifest at once, each naming the
// field it is about.
func (m *Manifest) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if _, _, err := ParseVersion(m.ABI); err != nil {
		bad("abi: %v", err)
	}
	if !nameRE.MatchString(m.Name) {
		bad("name %q: want lower-case letters, digits and dashes, starting with a letter", m.Name)
	}
	if !semver(m.Version) {
		bad("version %q: want a semantic version such as 1.2.3", m.Version)
	}
	if !m.Category.Valid() {
		bad("category %q: want one of %s", m.Category, joinCategories())
	}
	if strings.TrimSpace(m.Description) == "" {
		bad("description: must not be empty")
	}

	fields := map[string]*Field{}
	for i := range m.Config {
		f := &m.Config[i]
		where := fmt.Sprintf("config[%d] %q", i, f.Name)
		if !fieldRE.MatchString(f.Name) {
			bad("%s: name wants lower-case letters, digits and underscores", where)
		}
		if fields[f.Name] != nil {
			bad("%s: declared twice", where)
		}
		fields[f.Name] = f
		if err := f.validate(); err != nil {
			bad("%s: %v", where, err)
		}
	}

	if m.Auth != nil {
		if err := m.Auth.validate(fields); err != nil {
			bad("auth: %v", err)
		}
	}

	actions := map[string]bool{}
	for i, a := range m.Actions {
		where := fmt.Sprintf("actions[%d] %q", i, a.Name)
		if !actionRE.MatchString(a.Name) {
			bad("%s: name wants lower-case letters, digits and underscores, starting with a letter", where)
		}
		if actions[a.Name] {
			bad("%s: declared twice", where)
		}
		actions[a.Name] = true
		for _, s := range []struct {
			name   string
			schema json.RawMessage
		}{{"input", a.Input}, {"output", a.Output}} {
			if len(s.schema) == 0 {
				continue
			}
			var obj map[string]any
			if err := json.Unmarshal(s.schema, &obj); err != nil {
				bad("%s: %s schema is not a JSON object: %v", where, s.name, err)
			}
		}
	}

	for _, c := range m.Capabilities {
		if c != CapOrganizations && c != CapCheck {
			bad("capabilities: unknown capability %q (known: %s, %s)", c, CapOrganizations, CapCheck)
		}
	}

	for i, h := range m.Hosts {
		p, err := ParseHostPattern(h)
		if err != nil {
			bad("hosts[%d]: %v", i, err)
			continue
		}
		if p.ConfigField != "" {
			f := fields[p.ConfigField]
			if f == nil {
				bad("hosts[%d] %q: no config field %q", i, h, p.ConfigField)
			} else if f.Secret {
				bad("hosts[%d] %q: config field %q is secret", i, h, p.ConfigField)
			}
		}
	}
	return errors.Join(errs...)
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

func joinCategories() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func (f *Field) validate() error {
	switch f.Type {
	case TypeString, TypeInteger, TypeNumber, TypeBoolean, TypeURL:
	default:
		return fmt.Errorf("type %q: want string, integer, number, boolean or url", f.Type)
	}
	if f.Secret && f.Type != TypeString {
		return fmt.Errorf("secret fields must be of type string")
	}
	if f.Secret && f.Default != nil {
		return fmt.Errorf("secret fields cannot have a default")
	}
	if f.Default != nil {
		if err := f.Check(f.Default); err != nil {
			return fmt.Errorf("default: %v", err)
		}
	}
	for _, v := range f.Enum {
		if err := f.checkType(v); err != nil {
			return fmt.Errorf("enum value %v: %v", v, err)
		}
	}
	return nil
}

// Check reports whether v (as decoded from JSON) is a valid value of f.
func (f *Field) Check(v any) error {
	if err := f.checkType(v); err != nil {
		return err
	}
	if len(f.Enum) > 0 {
		for _, e := range f.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				return nil
			}
		}
		return fmt.Errorf("%v is not one of %v", v, f.Enum)
	}
	return nil
}

func (f *Field) checkType(v any) error {
	switch f.Type {
	case TypeString:
		if _, ok := v.(string); !ok {
			return fmt.Errorf("want a string, got %T", v)
		}
	case TypeURL:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a URL string, got %T", v)
		}
		if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
			return fmt.Errorf("%q is not an http(s) URL", s)
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want true or false, got %T", v)
		}
	case TypeInteger:
		switch n := v.(type) {
		case float64:
			if n != float64(int64(n)) {
				return fmt.Errorf("want an integer, got %v", n)
			}
		case int, int64, json.Number:
		default:
			return fmt.Errorf("want an integer, got %T", v)
		}
	case TypeNumber:
		switch v.(type) {
		case float64, int, int64, json.Number:
		default:
			return fmt.Errorf("want a number, got %T", v)
		}
	}
	return nil
}

func (a *Auth) validate(fields map[string]*Field) error {
	switch a.Type {
	case AuthBearer, AuthBasic, AuthHeader, AuthQuery, AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode:
	default:
		return fmt.Errorf("type %q: want bearer, basic, header, query, oauth2_client_credentials or oauth2_authorization_code", a.Type)
	}
	f := fields[a.Secret]
	if f == nil {
		return fmt.Errorf("secret: no config field %q", a.Secret)
	}
	if !f.Secret {
		return fmt.Errorf("secret: config field %q is not marked secret", a.Secret)
	}
	if a.Type == AuthBasic && a.Username != "" {
		names := []string{a.Username}
		if strings.Contains(a.Username, "{") {
			names = templateFields(a.Username)
		}
		for _, n := range names {
			if fields[n] == nil {
				return fmt.Errorf("username: no config field %q", n)
			}
		}
	}
	if a.Type == AuthOAuth2AuthorizationCode {
		if a.AuthorizeURL == "" {
			return fmt.Errorf("authorize_url: oauth2_authorization_code auth needs the authorization URL")
		}
		for _, n := range templateFields(a.AuthorizeURL) {
			if fields[n] == nil {
				return fmt.Errorf("authorize_url: no config field %q", n)
			}
		}
		if a.ClientSecret != "" && (fields[a.ClientSecret] == nil || !fields[a.ClientSecret].Secret) {
			return fmt.Errorf("client_secret: %q must be a secret config field", a.ClientSecret)
		}
	}
	if a.Type == AuthOAuth2ClientCredentials || a.Type == AuthOAuth2AuthorizationCode {
		if a.TokenURL == "" {
			return fmt.Errorf("token_url: oauth2_client_credentials auth needs the token URL")
		}
		for _, n := range templateFields(a.TokenURL) {
			if fields[n] == nil {
				return fmt.Errorf("token_url: no config field %q", n)
			}
		}
		if fields[a.ClientID] == nil {
			return fmt.Errorf("client_id: no config field %q", a.ClientID)
		}
		if a.TokenRequest != "" && a.TokenRequest != "form" && a.TokenRequest != "json" {
			return fmt.Errorf("token_request %q: want form or json", a.TokenRequest)
		}
		for k := range a.TokenParams {
			switch k {
			case "", "grant_type", "client_id", "client_secret", "scope", "refresh_token", "code", "redirect_uri", "code_verifier":
				return fmt.Errorf("token_params: %q is not a field a connector may set", k)
			}
		}
	}
	if (a.Type == AuthHeader || a.Type == AuthQuery) && a.Name == "" {
		return fmt.Errorf("name: %s auth needs the header or parameter name", a.Type)
	}
	return nil
}

// ParseVersion parses an ABI version "MAJOR.MINOR".
func ParseVersion(s string) (major, minor int, err error) {
	maj, min, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, fmt.Errorf("ABI version %q: want MAJOR.MINOR such as %q", s, Version)
	}
	if major, err = strconv.Atoi(maj); err != nil || major < 0 {
		return 0, 0, fmt.Errorf("ABI version %q: bad major version", s)
	}
	if minor, err = strconv.Atoi(min); err != nil || minor < 0 {
		return 0, 0, fmt.Errorf("ABI version %q: bad minor version", s)
	}
	return major, minor, nil
}

// Inject adds the credentials that a declares to an outbound request, taking
// values from config (which here includes secret fields). The connector
// never sees the result: the host applies it after the request has left the
// guest.
func (a *Auth) Inject(req *HTTPRequest, config map[string]any) error {
	if a == nil {
		return nil
	}
	secret, _ := config[a.Secret].(string)
	if secret == "" {
		return fmt.Errorf("auth: secret config field %q is not set", a.Secret)
	}
	if req.Header == nil {
		req.Header = map[string][]string{}
	}
	switch a.Type {
	case AuthBearer:
		req.Header["Authorization"] = []string{"Bearer " + secret}
	case AuthBasic:
		user := ""
		if strings.Contains(a.Username, "{") {
			u, err := ExpandTemplate(a.Username, config)
			if err != nil {
				return fmt.Errorf("auth: username: %v", err)
			}
			user = u
		} else if a.Username != "" {
			user, _ = config[a.Username].(string)
		}
		req.Header["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))}
	case AuthHeader:
		req.Header[a.Name] = []string{a.Prefix + secret}
	case AuthOAuth2ClientCredentials, AuthOAuth2AuthorizationCode:
		return fmt.Errorf("auth: oauth2 tokens are fetched by the host's token source, not injected from config")
	case AuthQuery:
		u, err := url.Parse(req.URL)
		if err != nil {
			return fmt.Errorf("auth: %v", err)
		}
		q := u.Query()
		q.Set(a.Name, secret)
		u.RawQuery = q.Encode()
		req.URL = u.String()
	default:
		return fmt.Errorf("auth: unknown type %q", a.Type)
	}
	return nil
}

// ConfigProblem is one bad configuration value, named by its field.
type ConfigProblem struct {
	Field   string
	Problem string
}

// CheckConfig checks values against the manifest's config schema and fills
// in defaults. It returns the full configuration (secrets included, for the
// host's auth injection), the part a connector may see (without secret
// fields), and every problem found. Values are normalised to what JSON
// decoding yields (numbers become float64), as a stored configuration would
// be.
func (m *Manifest) CheckConfig(values map[string]any) (full, guest map[string]any, problems []ConfigProblem) {
	full, guest = map[string]any{}, map[string]any{}
	for _, f := range m.Config {
		v, ok := values[f.Name]
		if (!ok || v == nil) && f.Default != nil {
			v, ok = f.Default, true
		}
		if !ok || v == nil {
			if f.Required {
				problems = append(problems, ConfigProblem{f.Name, "required but not set"})
			}
			continue
		}
		v, err := normaliseJSON(v)
		if err == nil {
			err = f.Check(v)
		}
		if err != nil {
			problems = append(problems, ConfigProblem{f.Name, err.Error()})
			continue
		}
		full[f.Name] = v
		if !f.Secret {
			guest[f.Name] = v
		}
	}
	var unknown []string
	for k := range values {
		if _, ok := m.Field(k); !ok {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		problems = append(problems, ConfigProblem{k, fmt.Sprintf("not a field of %s", m.Name)})
	}
	return full, guest, problems
}

// normaliseJSON turns a Go value into what decoding its JSON gives.
func normaliseJSON(v any) (any, error) {
	switch v.(type) {
	case string, bool, float64:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not a JSON value: %v", err)
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// ConfigSchema is the JSON Schema (draft 2020-12) of a configuration of
// this connector: one property per field, with its type, enum, default,
// title and description; secret fields are writeOnly; required fields
// without a default are required; other properties are not allowed.
func (m *Manifest) ConfigSchema() map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, f := range m.Config {
		p := map[string]any{}
		switch f.Type {
		case TypeURL:
			p["type"] = "string"
			p["format"] = "uri"
			p["pattern"] = "^https?://[^\\s/?#]+"
		default:
			p["type"] = string(f.Type)
		}
		if f.Title != "" {
			p["title"] = f.Title
		}
		if f.Description != "" {
			p["description"] = f.Description
		}
		if f.Default != nil {
			p["default"] = f.Default
		}
		if len(f.Enum) > 0 {
			p["enum"] = f.Enum
		}
		if f.Secret {
			p["writeOnly"] = true
		}
		props[f.Name] = p
		if f.Required && f.Default == nil {
			required = append(required, f.Name)
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"title":                m.Name + " configuration",
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
}
