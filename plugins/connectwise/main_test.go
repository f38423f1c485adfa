package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/connectwise"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

func start(t *testing.T, opts connectwise.Options) (*connectwise.Server, *sdktest.Harness) {
	t.Helper()
	fake, err := connectwise.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": fake.BaseURL(), "company_id": "roost",
		"public_key": "pub", "private_key": "priv", "client_id": connectwise.DefaultClientID})
	return fake, h
}

func TestOrganizationsFollowsLinkHeaders(t *testing.T) {
	fake, h := start(t, connectwise.Options{Count: 2100})
	accounts, err := h.Organizations(1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 2100 {
		t.Fatalf("got %d accounts, want 2100", len(accounts))
	}
	if accounts[0].Attributes["identifier"] == "" || len(accounts[0].Domains) != 1 {
		t.Errorf("first account lacks identifier or domain: %+v", accounts[0])
	}
	var pages []string
	for _, r := range fake.Requests() {
		if r.Path == connectwise.BasePath+"/company/companies" {
			pages = append(pages, r.Query)
			if r.Header.Get("clientId") != connectwise.DefaultClientID {
				t.Errorf("request without the clientId header: %v", r.Header)
			}
		}
	}
	if len(pages) != 3 || !strings.Contains(pages[2], "page=3") {
		t.Errorf("pages requested: %v", pages)
	}
}

func TestCheckTicketsAndErrors(t *testing.T) {
	fake, h := start(t, connectwise.Options{Count: 4})
	if res, err := h.Check(); err != nil || !strings.Contains(res.Message, "4 companies") {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	var tk Ticket
	if err := h.Invoke("create_ticket", CreateTicketInput{CompanyID: "251", Summary: "Printer offline"}, &tk); err != nil {
		t.Fatal(err)
	}
	if tk.Company == nil || tk.Company.Name != fake.Companies()[1].Name {
		t.Fatalf("created %+v", tk)
	}
	var list []Ticket
	if err := h.Invoke("list_tickets", ListTicketsInput{CompanyID: "251"}, &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	err := h.Invoke("get_company", CompanyRef{ID: "999"}, &Company{})
	if e, ok := err.(*abi.Error); !ok || e.Code != abi.CodeNotFound {
		t.Fatalf("missing company: %v", err)
	}
}
