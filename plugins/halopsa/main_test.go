package main

import (
	"testing"

	"github.com/roosthq/roost/plugins/fakes/halopsa"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

func start(t *testing.T, opts halopsa.Options) (*halopsa.Server, *sdktest.Harness) {
	t.Helper()
	fake, err := halopsa.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": fake.URL(), "tenant": opts.Tenant,
		"client_id": "roost-client", "client_secret": "roost-secret"})
	return fake, h
}

func TestOrganizationsPagesThroughEveryClient(t *testing.T) {
	fake, h := start(t, halopsa.Options{Count: 237, Tenant: "acme"})
	accounts, err := h.Organizations(50)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 237 {
		t.Fatalf("got %d accounts, want 237", len(accounts))
	}
	want := fake.Clients()
	for i, a := range accounts {
		if a.Name != want[i].Name || a.ID == "" || len(a.Domains) != 1 {
			t.Fatalf("account %d = %+v, want the client %+v with its domain", i, a, want[i])
		}
	}
	pages := 0
	for _, r := range fake.Requests() {
		if r.Path == "/api/Client" {
			pages++
		}
	}
	if pages != 5 {
		t.Errorf("%d list requests for 237 clients at 50 a page, want 5", pages)
	}
}

func TestCheckAndTickets(t *testing.T) {
	fake, h := start(t, halopsa.Options{Count: 3})
	res, err := h.Check()
	if err != nil || res.Message == "" {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	client := fake.Clients()[1]
	var tk Ticket
	if err := h.Invoke("create_ticket", CreateTicketInput{ClientID: "101", Summary: "Disk full"}, &tk); err != nil {
		t.Fatal(err)
	}
	if tk.ClientID != client.ID || tk.ClientName != client.Name || tk.ID == 0 {
		t.Fatalf("created %+v", tk)
	}
	var list ListTicketsOutput
	if err := h.Invoke("list_tickets", ListTicketsInput{ClientID: "101"}, &list); err != nil || list.Total != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	err = h.Invoke("create_ticket", CreateTicketInput{ClientID: "acme", Summary: "x"}, &tk)
	if e, ok := err.(*abi.Error); !ok || e.Code != abi.CodeInvalidInput {
		t.Fatalf("bad client id: %v", err)
	}
}

func TestWrongSecretIsUnauthenticated(t *testing.T) {
	fake, err := halopsa.Start(halopsa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": fake.URL(), "client_id": "roost-client", "client_secret": "wrong"})
	if _, err := h.Check(); err == nil {
		t.Fatal("check passed with a wrong secret")
	}
}
