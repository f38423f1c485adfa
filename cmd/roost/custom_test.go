package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCustomIntegrationsThroughTheCLI(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Key") != "s3cret" {
			w.WriteHeader(401)
			return
		}
		switch {
		case r.URL.Path == "/v1/tickets" && r.Method == "GET":
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			var data []map[string]any
			for i := (page - 1) * 2; i < min(page*2, 5); i++ {
				data = append(data, map[string]any{"id": i + 1})
			}
			json.NewEncoder(w).Encode(map[string]any{"data": data})
		case r.URL.Path == "/v1/tickets" && r.Method == "POST":
			var in map[string]any
			json.NewDecoder(r.Body).Decode(&in)
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(map[string]any{"id": 9, "summary": in["summary"]})
		case strings.HasPrefix(r.URL.Path, "/v1/tickets/"):
			fmt.Fprintf(w, `{"id":%q}`, strings.TrimPrefix(r.URL.Path, "/v1/tickets/"))
		default:
			w.WriteHeader(404)
		}
	}))
	defer api.Close()
	dir := newHome(t)
	run := func(stdin string, args ...string) result { return roostAt(t, dir, nil, stdin, args...) }
	must := func(stdin string, args ...string) result {
		t.Helper()
		r := run(stdin, args...)
		if r.code != 0 {
			t.Fatalf("roost %s: %+v", strings.Join(args, " "), r)
		}
		return r
	}

	// From OpenAPI: a report of what was worked around.
	r := must("", "integrations", "import-openapi", "testdata/tickets-openapi.yaml", "--name", "tickets")
	for _, want := range []string{"imported tickets: OpenAPI 3.0.3 \"Tickets\", 3 operations → 3 actions", "installed as a custom integration",
		"required property \"missing\"", "operations without an operationId", "1 actions look paginated"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.stdout)
		}
	}
	must("s3cret\n", "integrations", "configure", "tickets", "--set", "base_url="+api.URL+"/v1", "--secret", "api_key", "--allow-private-networks", "--no-check")
	r = must("", "invoke", "tickets", "get_tickets_by_id", "--input", `{"id":"42"}`)
	if !strings.Contains(r.stdout, `"id": "42"`) {
		t.Errorf("get_tickets_by_id: %s", r.stdout)
	}
	r = must("", "invoke", "tickets", "create_ticket", "--input", `{"body":{"summary":"Printer"}}`)
	if !strings.Contains(r.stdout, `"summary": "Printer"`) {
		t.Errorf("create_ticket: %s", r.stdout)
	}
	// Mark pagination; the action now returns every page's items.
	must("", "integrations", "edit", "tickets", "--paginate", "list_tickets=page,page_param=page,size_param=per_page,page_size=2",
		"--results-key", "list_tickets=data", "--rename", "get_tickets_by_id=get_ticket")
	r = must("", "invoke", "tickets", "list_tickets", "--json")
	var env struct {
		Result []map[string]any `json:"result"`
	}
	json.Unmarshal([]byte(r.stdout), &env)
	if len(env.Result) != 5 {
		t.Errorf("paged list: %s", r.stdout)
	}
	r = must("", "integrations", "edit", "tickets", "--print")
	if !strings.Contains(r.stdout, "name: get_ticket") || !strings.Contains(r.stdout, "kind: page") {
		t.Errorf("print: %s", r.stdout)
	}
	// Re-import keeps the edits.
	r = must("", "integrations", "import-openapi", "testdata/tickets-openapi.yaml", "--name", "tickets")
	if !strings.Contains(r.stdout, "kept your edit: GET /tickets/{id}: named get_ticket") || !strings.Contains(r.stdout, "kept your edit: GET /tickets: pagination") {
		t.Errorf("re-import: %s", r.stdout)
	}
	if r := run("", "integrations", "edit", "tickets", "--paginate", "list_tickets=sideways"); r.code == 0 || !strings.Contains(r.stderr, "pagination kind") {
		t.Errorf("bad pagination: %+v", r)
	}

	// By hand, from flags and from a file.
	r = must("", "integrations", "new", "status", "--base-url", api.URL+"/v1", "--auth", "api_key", "--auth-name", "X-Key",
		"--endpoint", "GET /tickets/{id} ticket", "--endpoint", "POST /tickets open")
	if !strings.Contains(r.stdout, "installed status: custom integration with 2 actions") || !strings.Contains(r.stdout, "--secret api_key") {
		t.Errorf("new: %s", r.stdout)
	}
	if r := must("s3cret\n", "integrations", "configure", "status", "--secret", "api_key", "--allow-private-networks"); !strings.Contains(r.stdout, "passed") {
		t.Errorf("configure with a check: %s", r.stdout)
	}
	if r := run("", "integrations", "authorize", "status"); r.code == 0 || !strings.Contains(r.stderr, "does not sign in with OAuth2 authorization code") {
		t.Errorf("authorize: %+v", r)
	}
	if r := must("", "invoke", "status", "ticket", "--input", `{"id":7}`); !strings.Contains(r.stdout, `"7"`) {
		t.Errorf("by hand: %s", r.stdout)
	}
	file := filepath.Join(t.TempDir(), "def.yaml")
	os.WriteFile(file, []byte("name: fromfile\nbase_url: https://x.example.com\nauth: {kind: bearer}\nendpoints:\n  - {name: ping, method: GET, path: /ping}\n"), 0o644)
	must("", "integrations", "new", "--from-file", file)
	os.WriteFile(file, []byte("name: broken\nendpoints:\n  - {name: Bad Name, method: FETCH, path: nope}\n"), 0o644)
	r = run("", "integrations", "new", "--from-file", file)
	if r.code == 0 || !strings.Contains(r.stderr, "method \"FETCH\"") || !strings.Contains(r.stderr, "Bad Name") {
		t.Errorf("bad definition: %+v", r)
	}
	if r := run("", "integrations", "install", "rest"); r.code == 0 || !strings.Contains(r.stderr, "engine custom integrations run on") {
		t.Errorf("install rest: %+v", r)
	}
	if r := run("", "integrations", "list"); !strings.Contains(r.stdout, "tickets") || !strings.Contains(r.stdout, "fromfile") || strings.Contains(r.stdout, "  rest ") {
		t.Errorf("list: %s", r.stdout)
	}
}
