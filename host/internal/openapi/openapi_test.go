package openapi

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/roosthq/roost/sdk/rest"
)

// sharedDocs finds ../shared/testdata/openapi beside the repository, or
// skips: a plain clone has no shared data.
func sharedDocs(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	docs := filepath.Join(dir, "..", "shared", "testdata", "openapi")
	if _, err := os.Stat(docs); err != nil {
		t.Skipf("skipping: the shared OpenAPI documents are not at %s (they sit beside the repository on the team's machines)", docs)
	}
	return docs
}

// TestImportEverySharedDocument imports each real-world document: it
// succeeds, makes one endpoint per operation, and the definition is valid.
func TestImportEverySharedDocument(t *testing.T) {
	dir := sharedDocs(t)
	want := map[string]int{ // operations, counted independently (SOURCES.md and the petstores)
		"halopsa-swagger.json": 1216, "autotask-rest-v1.swagger.json": 2070, "hudu-api-docs-v2.44.0.swagger.json": 158,
		"slack-web-openapi-v2.json": 174, "petstore-v2.swagger.yaml": 20, "petstore-v3.openapi.yaml": 19,
		"petstore-v3.1.openapi.yaml": 6,
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	more, _ := filepath.Glob(filepath.Join(dir, "oai-examples", "*"))
	for _, f := range append(files, more...) {
		base := filepath.Base(f)
		if strings.HasSuffix(base, ".md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		def, rep, err := Import(data, "imported", Options{})
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		if n, ok := want[base]; ok && (rep.Operations != n || rep.Endpoints != n) {
			t.Errorf("%s: %d operations, %d endpoints; want %d", base, rep.Operations, rep.Endpoints, n)
		}
		if rep.Endpoints != rep.Operations || len(def.Endpoints) != rep.Endpoints {
			t.Errorf("%s: %d operations but %d endpoints", base, rep.Operations, rep.Endpoints)
		}
		if err := def.Validate(); err != nil {
			t.Errorf("%s: %v", base, err)
		}
		t.Logf("%s: %s %q, %d endpoints, %d kinds of warnings, auth %s, base %q", base, rep.Spec, rep.Title, rep.Endpoints, len(rep.Warnings), def.Auth.Kind, def.BaseURL)
	}
}

func TestImportFiltersAndTolerance(t *testing.T) {
	doc := `openapi: 3.0.3
info: {title: Tickets, version: "2.1"}
servers: [{url: "https://{tenant}.example.com/api", variables: {tenant: {default: acme}}}]
components:
  securitySchemes:
    cc: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://auth.example.com/token", scopes: {read: r}}}}
  schemas:
    Node: {type: object, properties: {child: {$ref: "#/components/schemas/Node"}, name: {type: string, pattern: "([a-"}}, required: [name, ghost]}
security: [{cc: []}]
paths:
  /tickets:
    get:
      tags: [tickets]
      parameters: [{name: page, in: query, schema: {type: int}}, {name: per_page, in: query, schema: {type: integer}}, {name: sid, in: cookie}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Node"}}}}}
    post:
      operationId: createTicket
      tags: [tickets]
      requestBody: {required: true, content: {application/json: {schema: {$ref: "./external.yaml#/Ticket"}}}}
      responses: {"201": {description: created}}
  /tickets/{id}/:
    get: {operationId: createTicket, tags: [admin], responses: {"200": {description: ok}}}
`
	def, rep, err := Import([]byte(doc), "tickets", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if def.BaseURL != "https://acme.example.com/api" || def.Auth.Kind != rest.AuthClientCredentials || def.Auth.TokenURL != "https://auth.example.com/token" || def.Version != "2.1.0" {
		t.Errorf("definition: %+v", def)
	}
	names := []string{}
	for _, e := range def.Endpoints {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "get_tickets,create_ticket,create_ticket_2" {
		t.Errorf("names %v", names)
	}
	var msgs []string
	for _, w := range rep.Warnings {
		msgs = append(msgs, w.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"duplicate action name", "cookie parameters", "non-standard type \"int\"", "circular", "required property \"ghost\"", "unresolvable reference ./external.yaml#/Ticket"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning about %s in:\n%s", want, all)
		}
	}
	if len(rep.LooksPaginated) != 1 || rep.LooksPaginated[0] != "get_tickets" {
		t.Errorf("looks paginated: %v", rep.LooksPaginated)
	}
	def, rep, _ = Import([]byte(doc), "tickets", Options{Tags: []string{"admin"}})
	if len(def.Endpoints) != 1 || rep.FilteredOut != 2 {
		t.Errorf("--tag admin: %d endpoints, %d filtered", len(def.Endpoints), rep.FilteredOut)
	}
	def, _, _ = Import([]byte(doc), "tickets", Options{Include: regexp.MustCompile(`^POST `)})
	if len(def.Endpoints) != 1 || def.Endpoints[0].Name != "create_ticket" {
		t.Errorf("--include: %+v", def.Endpoints)
	}
}

func TestImportRejectsWhatIsNotOpenAPI(t *testing.T) {
	for _, doc := range []string{"", "hello", "[1,2,3]", "just: yaml\n"} {
		if _, _, err := Import([]byte(doc), "x", Options{}); err == nil {
			t.Errorf("%q imported without error", doc)
		}
	}
}

// FuzzImport feeds the importer malformed documents: errors are fine,
// panics and hangs are not.
func FuzzImport(f *testing.F) {
	f.Add([]byte(`{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{"/a/{b}":{"get":{"parameters":[{"name":"b","in":"path"}]}}}}`))
	f.Add([]byte("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {/x: {post: {parameters: [{in: body, name: b, schema: {$ref: '#/definitions/X'}}]}}}\n"))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/p":{"get":{"responses":{"200":{"content":{"application/json":{"schema":{"$ref":"#/x"}}}}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		def, _, err := Import(data, "fuzzed", Options{})
		if err == nil && def == nil {
			t.Fatal("no definition and no error")
		}
	})
}

func BenchmarkImportHaloPSA(b *testing.B)  { benchImport(b, "halopsa-swagger.json") }
func BenchmarkImportAutotask(b *testing.B) { benchImport(b, "autotask-rest-v1.swagger.json") }

// benchImport measures the import figure for one document.
func benchImport(b *testing.B, name string) {
	data, err := os.ReadFile(filepath.Join(sharedDocs(b), name))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		if _, _, err := Import(data, "bench", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
