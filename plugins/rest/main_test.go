package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/roosthq/roost/sdk/rest"
	"github.com/roosthq/roost/sdk/sdktest"
)

// TestCallPagesAndOrganizations runs the connector natively (sdktest) on
// a page-numbered endpoint: every page's items come back as one list, and
// the same endpoint feeds the organizations capability page by page.
func TestCallPagesAndOrganizations(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		var items []map[string]any
		for i := (page - 1) * size; i < min(page*size, 12); i++ {
			items = append(items, map[string]any{"key": fmt.Sprint(i), "title": fmt.Sprintf("Client %d", i)})
		}
		json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"items": items}})
	}))
	defer api.Close()
	ep := rest.Endpoint{Name: "clients", Method: "GET", Path: "/clients", ResultsKey: "result.items",
		Pagination:    &rest.Pagination{Kind: rest.PageNumber, PageParam: "page", SizeParam: "size", PageSize: 5},
		Organizations: &rest.OrgFields{ID: "key", Name: "title"}}
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": api.URL})
	in, _ := json.Marshal(rest.Call{BaseURL: api.URL, Endpoint: ep})
	out, err := h.InvokeRaw("call", in)
	var all []any
	if err == nil {
		err = json.Unmarshal(out, &all)
	}
	if err != nil || len(all) != 12 {
		t.Fatalf("call: %d items, %v", len(all), err)
	}
	orgs, _ := json.Marshal(ep)
	h.SetConfig(sdktest.Config{"base_url": api.URL, "organizations_json": string(orgs)})
	accounts, err := h.Organizations(5)
	if err != nil || len(accounts) != 12 || accounts[11].Name != "Client 11" || accounts[11].ID != "11" {
		t.Fatalf("organizations: %+v %v", accounts, err)
	}
}
