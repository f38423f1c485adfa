package abi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func validManifest() Manifest {
	return Manifest{
		ABI: "1.0", Name: "halo", Version: "1.2.3", Category: CategoryPSA, Description: "HaloPSA.",
		Config: []Field{
			{Name: "base_url", Type: TypeURL, Required: true},
			{Name: "client_secret", Type: TypeString, Secret: true},
			{Name: "page_size", Type: TypeInteger, Default: float64(50)},
			{Name: "region", Type: TypeString, Enum: []any{"eu", "us"}},
		},
		Auth:         &Auth{Type: AuthBearer, Secret: "client_secret"},
		Actions:      []Action{{Name: "list_tickets", Input: json.RawMessage(`{"type":"object"}`)}},
		Capabilities: []Capability{CapOrganizations},
		Hosts:        []string{"{config.base_url}", "*.halopsa.com", "auth.example.com:8443"},
	}
}

func TestValidateAcceptsAGoodManifest(t *testing.T) {
	m := validManifest()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Manifest)
		want   string
	}{
		{"abi", func(m *Manifest) { m.ABI = "one" }, "abi"},
		{"name", func(m *Manifest) { m.Name = "Halo PSA" }, `name "Halo PSA"`},
		{"version", func(m *Manifest) { m.Version = "1.2" }, `version "1.2"`},
		{"category", func(m *Manifest) { m.Category = "CRM" }, `category "CRM"`},
		{"description", func(m *Manifest) { m.Description = " " }, "description"},
		{"field type", func(m *Manifest) { m.Config[0].Type = "date" }, `config[0] "base_url": type "date"`},
		{"duplicate field", func(m *Manifest) { m.Config[1].Name = "base_url" }, "declared twice"},
		{"secret default", func(m *Manifest) { m.Config[1].Default = "x" }, "secret fields cannot have a default"},
		{"default type", func(m *Manifest) { m.Config[2].Default = "fifty" }, `config[2] "page_size": default`},
		{"auth secret not secret", func(m *Manifest) { m.Auth.Secret = "base_url" }, "not marked secret"},
		{"auth unknown field", func(m *Manifest) { m.Auth.Secret = "nope" }, `no config field "nope"`},
		{"header auth without name", func(m *Manifest) { m.Auth.Type = AuthHeader }, "header or parameter name"},
		{"action name", func(m *Manifest) { m.Actions[0].Name = "List Tickets" }, `actions[0] "List Tickets"`},
		{"action schema", func(m *Manifest) { m.Actions[0].Input = json.RawMessage(`[1]`) }, "input schema is not a JSON object"},
		{"capability", func(m *Manifest) { m.Capabilities = append(m.Capabilities, "teleport") }, `unknown capability "teleport"`},
		{"host URL", func(m *Manifest) { m.Hosts[1] = "https://x.com/" }, "not a URL"},
		{"host field", func(m *Manifest) { m.Hosts[0] = "{config.nope}" }, `no config field "nope"`},
		{"host secret field", func(m *Manifest) { m.Hosts[0] = "{config.client_secret}" }, "is secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validManifest()
			tt.change(&m)
			err := m.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	// Several problems are reported together.
	m := validManifest()
	m.Name, m.Version = "", ""
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "version") {
		t.Fatalf("err = %v, want both problems", err)
	}
}

func TestHostPatterns(t *testing.T) {
	config := map[string]any{"base_url": "https://acme.halopsa.com:8443/api", "bare": "tool.example.net"}
	tests := []struct {
		pattern string
		url     string
		match   bool
	}{
		{"api.example.com", "https://api.example.com/x", true},
		{"api.example.com", "https://API.example.com/x", true},
		{"api.example.com", "https://api.example.com:8443/x", false},
		{"api.example.com", "http://api.example.com/x", true},
		{"api.example.com", "https://evil.com/api.example.com", false},
		{"api.example.com", "https://api.example.com.evil.com/", false},
		{"*.example.com", "https://a.b.example.com/", true},
		{"*.example.com", "https://example.com/", false},
		{"*.example.com", "https://badexample.com/", false},
		{"api.example.com:8443", "https://api.example.com:8443/", true},
		{"api.example.com:*", "https://api.example.com:1234/", true},
		{"{config.base_url}", "https://acme.halopsa.com:8443/api/Client", true},
		{"{config.base_url}", "https://acme.halopsa.com/api/Client", false},
		{"{config.bare}", "https://tool.example.net/", true},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/", true},
	}
	for _, tt := range tests {
		p, err := ParseHostPattern(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		p, err = p.Resolve(config)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		u, _ := url.Parse(tt.url)
		if got := p.Matches(u); got != tt.match {
			t.Errorf("%s matches %s = %v, want %v", tt.pattern, tt.url, got, tt.match)
		}
	}
	for _, bad := range []string{"", "*", "*.", "a.*.com", "http://x.com", "x.com/path", "{config.}", "{env.HOME}", "x.com:99999", "*.10.0.0.1"} {
		if _, err := ParseHostPattern(bad); err == nil {
			t.Errorf("ParseHostPattern(%q) accepted", bad)
		}
	}
	p, _ := ParseHostPattern("{config.missing}")
	if _, err := p.Resolve(config); err == nil {
		t.Error("resolved a pattern whose field is unset")
	}
}

func TestAuthInject(t *testing.T) {
	config := map[string]any{"key": "s3cret", "user": "api"}
	tests := []struct {
		auth   Auth
		header string
		value  string
		url    string
	}{
		{Auth{Type: AuthBearer, Secret: "key"}, "Authorization", "Bearer s3cret", ""},
		{Auth{Type: AuthBasic, Secret: "key", Username: "user"}, "Authorization", "Basic YXBpOnMzY3JldA==", ""},
		{Auth{Type: AuthHeader, Secret: "key", Name: "X-Api-Key", Prefix: "Token "}, "X-Api-Key", "Token s3cret", ""},
		{Auth{Type: AuthQuery, Secret: "key", Name: "api_key"}, "", "", "https://x.com/a?api_key=s3cret&q=1"},
	}
	for _, tt := range tests {
		req := &HTTPRequest{URL: "https://x.com/a?q=1"}
		if err := tt.auth.Inject(req, config); err != nil {
			t.Fatal(err)
		}
		if tt.header != "" && (len(req.Header[tt.header]) != 1 || req.Header[tt.header][0] != tt.value) {
			t.Errorf("%s: header %v", tt.auth.Type, req.Header)
		}
		if tt.url != "" && req.URL != tt.url {
			t.Errorf("%s: url %s", tt.auth.Type, req.URL)
		}
	}
	if err := (&Auth{Type: AuthBearer, Secret: "unset"}).Inject(&HTTPRequest{}, config); err == nil {
		t.Error("injected an unset secret")
	}
}

// FuzzManifest: any bytes decode and validate without panicking, and a
// manifest that validates survives a JSON round trip still valid.
func FuzzManifest(f *testing.F) {
	good, _ := json.Marshal(validManifest())
	f.Add(good)
	f.Add([]byte(`{"abi":"1.0","name":"x","version":"1.0.0","category":"Other","description":"d","actions":[]}`))
	f.Add([]byte(`{"hosts":["{config.a}","*.b.com:*"],"config":[{"name":"a","type":"url","default":3}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Manifest
		if json.Unmarshal(data, &m) != nil {
			return
		}
		if m.Validate() != nil {
			return
		}
		again, err := json.Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		var m2 Manifest
		if err := json.Unmarshal(again, &m2); err != nil {
			t.Fatal(err)
		}
		if err := m2.Validate(); err != nil {
			t.Fatalf("valid manifest invalid after round trip: %v", err)
		}
	})
}

func FuzzHostPattern(f *testing.F) {
	for _, s := range []string{"api.example.com", "*.x.com:*", "{config.base_url}", "[::1]:80", "1.2.3.4"} {
		f.Add(s, "https://api.example.com:443/x")
	}
	f.Fuzz(func(t *testing.T, pattern, rawURL string) {
		p, err := ParseHostPattern(pattern)
		if err != nil {
			return
		}
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		if r, err := p.Resolve(map[string]any{"base_url": rawURL}); err == nil {
			r.Matches(u)
		}
	})
}

func TestSemver(t *testing.T) {
	for _, ok := range []string{"0.1.0", "1.2.3", "v10.20.30", "1.0.0-rc.1", "1.0.0+build.5", "1.0.0-beta-2+x"} {
		if !semver(ok) {
			t.Errorf("%s refused", ok)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "1.2.3+", "1.2.3-a b"} {
		if semver(bad) {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	m := validManifest()
	full, guest, problems := m.CheckConfig(map[string]any{
		"base_url": "https://acme.example", "client_secret": "s", "page_size": 25,
	})
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	if full["client_secret"] != "s" || guest["client_secret"] != nil {
		t.Errorf("secret: full %v, guest %v", full["client_secret"], guest["client_secret"])
	}
	if guest["page_size"] != float64(25) || guest["base_url"] != "https://acme.example" {
		t.Errorf("guest = %v", guest)
	}
	_, _, problems = m.CheckConfig(map[string]any{"page_size": "many", "region": "mars", "colour": "red"})
	got := map[string]bool{}
	for _, p := range problems {
		got[p.Field] = true
	}
	for _, f := range []string{"base_url", "page_size", "region", "colour"} {
		if !got[f] {
			t.Errorf("no problem for %s: %v", f, problems)
		}
	}
	if _, guest, _ := m.CheckConfig(map[string]any{"base_url": "https://x.example"}); guest["page_size"] != float64(50) {
		t.Errorf("default not filled: %v", guest)
	}
}

func TestCodeForStatus(t *testing.T) {
	for status, want := range map[int]Code{200: CodeUpstream, 302: CodeUpstream, 400: CodeInvalidInput, 401: CodeUnauthenticated,
		403: CodePermissionDenied, 404: CodeNotFound, 408: CodeTimeout, 409: CodeInvalidInput, 422: CodeInvalidInput,
		429: CodeRateLimited, 500: CodeUnavailable, 503: CodeUnavailable, 504: CodeTimeout, 700: CodeUpstream} {
		if got := CodeForStatus(status); got != want {
			t.Errorf("CodeForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestTokenParams(t *testing.T) {
	base := `{"abi":"1.0","name":"tool","version":"1.0.0","category":"PSA","description":"d",
		"config":[{"name":"id","type":"string","required":true},{"name":"secret","type":"string","secret":true,"required":true}],
		"auth":{"type":"oauth2_client_credentials","token_url":"https://login.example/token","client_id":"id","secret":"secret","token_params":%s},
		"hosts":["api.example.com","login.example"],"actions":[{"name":"a"}]}`
	for params, want := range map[string]string{
		`{"audience":"api://p8p.client"}`: "",
		`{"client_secret":"x"}`:           `token_params: "client_secret" is not a field a connector may set`,
		`{"grant_type":"password"}`:       `token_params: "grant_type" is not a field a connector may set`,
	} {
		var m Manifest
		if err := json.Unmarshal([]byte(fmt.Sprintf(base, params)), &m); err != nil {
			t.Fatal(err)
		}
		err := m.Validate()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("token_params %s: %v, want %q", params, err, want)
		}
	}
}
