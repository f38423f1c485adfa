package host_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/rest"
)

func sharedOpenAPI(t *testing.T, name string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "testdata", "openapi", name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("skipping: the shared OpenAPI documents are not beside the repository (%v)", err)
	}
	return data
}

// petstore is a local fake of the Swagger Petstore, recording requests.
type petstore struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD path?query auth api_key body"
}

func newPetstore(t *testing.T, prefix string) *petstore {
	p := &petstore{}
	pets := map[string]map[string]any{"7": {"id": 7, "name": "Rex", "status": "sold"}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.seen = append(p.seen, strings.TrimSpace(r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("api_key")+" "+string(body)))
		p.mu.Unlock()
		path := strings.TrimPrefix(r.URL.Path, prefix)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && path == "/pet/findByStatus":
			var out []any
			for _, pet := range pets {
				if pet["status"] == r.URL.Query().Get("status") {
					out = append(out, pet)
				}
			}
			json.NewEncoder(w).Encode(out)
		case r.Method == "GET" && strings.HasPrefix(path, "/pet/"):
			pet, ok := pets[strings.TrimPrefix(path, "/pet/")]
			if !ok {
				w.WriteHeader(404)
				io.WriteString(w, `{"message":"Pet not found"}`)
				return
			}
			json.NewEncoder(w).Encode(pet)
		case r.Method == "POST" && path == "/pet":
			var pet map[string]any
			if json.Unmarshal(body, &pet) != nil {
				w.WriteHeader(400)
				return
			}
			pets["8"] = pet
			json.NewEncoder(w).Encode(pet)
		case r.Method == "DELETE" && strings.HasPrefix(path, "/pet/"):
			delete(pets, strings.TrimPrefix(path, "/pet/"))
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *petstore) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[len(p.seen)-1]
}

func TestPetstoreImportsAndCalls(t *testing.T) {
	for _, c := range []struct {
		file, name, prefix string
		set                map[string]any
		secrets            map[string]string
		auth               string
	}{
		{"petstore-v2.swagger.yaml", "petstore2", "/v2", nil, map[string]string{"api_key": "special-key"}, "special-key"},
		{"petstore-v3.openapi.yaml", "petstore3", "/api/v3", nil, map[string]string{"api_key": "k3y"}, "k3y"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			data := sharedOpenAPI(t, c.file)
			api := newPetstore(t, c.prefix)
			h := openBundled(t, newHome(t))
			res, err := h.Integrations().ImportOpenAPI(ctx, data, host.OpenAPIOptions{Name: c.name, Source: c.file})
			if err != nil {
				t.Fatal(err)
			}
			if res.Report.Endpoints != res.Report.Operations || res.Install.Action != "installed" {
				t.Fatalf("import: %+v", res.Report)
			}
			yes := true
			if _, err := h.Integrations().Configure(ctx, c.name, host.ConfigureInput{Config: "default", AllowPrivateNetworks: &yes, SkipCheck: true,
				Set: map[string]any{"base_url": api.URL + c.prefix}, Secrets: c.secrets}); err != nil {
				t.Fatal(err)
			}
			cl, err := h.Client(ctx, c.name, "")
			if err != nil {
				t.Fatal(err)
			}
			out, err := cl.Invoke(ctx, "get_pet_by_id", json.RawMessage(`{"petId":7}`))
			if err != nil || !strings.Contains(string(out), `"name":"Rex"`) {
				t.Fatalf("get_pet_by_id: %s %v", out, err)
			}
			if got := api.last(); !strings.HasPrefix(got, "GET "+c.prefix+"/pet/7") || !strings.Contains(got, c.auth) {
				t.Errorf("request: %q (want auth %q)", got, c.auth)
			}
			out, err = cl.Invoke(ctx, "find_pets_by_status", json.RawMessage(`{"status":"sold"}`))
			if err != nil || !strings.Contains(string(out), `"id":7`) || !strings.Contains(api.last(), "/pet/findByStatus?status=sold") {
				t.Errorf("find_pets_by_status: %s %v %q", out, err, api.last())
			}
			out, err = cl.Invoke(ctx, "add_pet", json.RawMessage(`{"body":{"id":8,"name":"Tom","status":"available"}}`))
			if err != nil || !strings.Contains(string(out), `"Tom"`) || !strings.Contains(api.last(), `POST `+c.prefix+`/pet`) || !strings.Contains(api.last(), `"name":"Tom"`) {
				t.Errorf("add_pet: %s %v %q", out, err, api.last())
			}
			_, err = cl.Invoke(ctx, "get_pet_by_id", json.RawMessage(`{"petId":99}`))
			if err == nil || !strings.Contains(err.Error(), "not_found") {
				t.Errorf("missing pet: %v", err)
			}
			if _, err := cl.Invoke(ctx, "delete_pet", json.RawMessage(`{"petId":8}`)); err != nil || !strings.HasPrefix(api.last(), "DELETE "+c.prefix+"/pet/8") {
				t.Errorf("delete_pet: %v %q", err, api.last())
			}
		})
	}
}

// TestReimportKeepsEdits renames, paginates, marks and removes endpoints,
// then imports a newer document: the edits survive and the changes are
// reported.
func TestReimportKeepsEdits(t *testing.T) {
	ctx := context.Background()
	h := openBundled(t, newHome(t))
	in := h.Integrations()
	v1 := `{"openapi":"3.0.0","info":{"title":"Tickets","version":"1.0"},"servers":[{"url":"https://t.example.com"}],
"paths":{"/tickets":{"get":{"operationId":"listTickets","parameters":[{"name":"page","in":"query"},{"name":"per_page","in":"query"}],"responses":{"200":{"description":"ok"}}}},
"/tickets/{id}":{"get":{"operationId":"getTicket","responses":{"200":{"description":"ok"}}},"delete":{"operationId":"deleteTicket","responses":{"204":{"description":"gone"}}}},
"/customers":{"get":{"operationId":"listCustomers","responses":{"200":{"description":"ok"}}}}}}`
	res, err := in.ImportOpenAPI(ctx, []byte(v1), host.OpenAPIOptions{})
	if err != nil || res.Name != "tickets" || len(res.Report.LooksPaginated) != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	page, _ := rest.ParsePagination("page,page_param=page,size_param=per_page,page_size=50")
	extra, _ := rest.ParseEndpoint("GET /health health")
	if _, err := in.EditCustom(ctx, "tickets", host.CustomEdit{Rename: map[string]string{"get_ticket": "ticket"},
		Paginate: map[string]*rest.Pagination{"list_tickets": page}, Remove: []string{"delete_ticket"},
		Organizations: "list_customers", Add: []rest.Endpoint{extra}}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.EditCustom(ctx, "tickets", host.CustomEdit{Rename: map[string]string{"nope": "x"}}); err == nil {
		t.Error("renaming a missing endpoint")
	}
	v2 := strings.Replace(v1, `"/customers"`, `"/users":{"get":{"operationId":"listUsers","responses":{"200":{"description":"ok"}}}},"/customers"`, 1)
	v2 = strings.Replace(v2, `"1.0"`, `"1.1"`, 1)
	res, err = in.ImportOpenAPI(ctx, []byte(v2), host.OpenAPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Added, ",") != "list_users" || res.Install.Action != "updated" {
		t.Errorf("re-import: added %v, %s", res.Added, res.Install.Action)
	}
	def, _ := in.CustomDefinition(ctx, "tickets")
	var names []string
	for _, e := range def.Endpoints {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "list_tickets,ticket,list_users,list_customers,health" {
		t.Errorf("endpoints after re-import: %v", names)
	}
	if def.Endpoint("list_tickets").Pagination == nil || def.Endpoint("list_customers").Organizations == nil || def.Version != "1.1.0" {
		t.Errorf("edits lost: %+v", def)
	}
	d, err := in.Show(ctx, "tickets")
	if err != nil || len(d.Manifest.Actions) != 5 {
		t.Errorf("show: %v", err)
	}
}
