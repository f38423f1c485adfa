package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/msgraph"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func configFor(fake *msgraph.Server, secret string) map[string]any {
	return map[string]any{"tenant_id": msgraph.DefaultPartnerTenantID, "client_id": msgraph.DefaultClientID,
		"client_secret": secret, "login_url": fake.URL(), "graph_url": fake.URL()}
}

func start(t *testing.T, opts msgraph.Options) (*msgraph.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := msgraph.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake, wasmtest.Open(t, "m365", configFor(fake, "roost-secret"))
}

func TestOrganizationsAreCustomerTenantsWithTheirConsent(t *testing.T) {
	fake, c := start(t, msgraph.Options{Count: 1234})
	accounts, pages, err := c.Organizations(250)
	if err != nil {
		t.Fatal(err)
	}
	want := fake.Contracts()
	if len(accounts) != len(want) || pages != 5 {
		t.Fatalf("got %d accounts in %d pages, want %d in 5", len(accounts), pages, len(want))
	}
	wantConsent := []string{ConsentNone, ConsentExpiring, ConsentPending, ConsentExpired, ConsentGranted}
	for i, a := range accounts {
		if a.ID != want[i].CustomerID || a.Name != want[i].DisplayName || len(a.Domains) != 1 || a.Attributes["tenant_id"] != a.ID {
			t.Fatalf("account %d = %+v, want the contract %+v", i, a, want[i])
		}
		if got := a.Attributes["consent"]; got != wantConsent[i%5] {
			t.Fatalf("account %d: consent %q, want %q (%+v)", i, got, wantConsent[i%5], a.Attributes)
		}
	}
	if a := accounts[4]; a.Attributes["gdap_relationships"] != "2" || a.Attributes["gdap_ends"] == "" || a.Attributes["gdap_roles"] != "1" {
		t.Errorf("a renewed relationship's attributes: %+v", a.Attributes)
	}
	// The relationships are fetched once per listing, on its first page.
	rels := 0
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/delegatedAdminRelationships") {
			rels++
		}
	}
	if want := (len(fake.Relationships()) + 299) / 300; rels != want {
		t.Errorf("%d relationship pages fetched, want %d", rels, want)
	}
	if n := fake.TokensIssued(); n != 1 {
		t.Errorf("%d tokens fetched, want 1", n)
	}
}

func TestCheckAndGDAPActions(t *testing.T) {
	fake, c := start(t, msgraph.Options{Count: 20})
	if res, err := c.Check(); err != nil || res.Message == "" {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	var expiring []Relationship
	if err := c.Invoke("list_relationships", ListRelationshipsInput{EndingWithinDays: 30}, &expiring); err != nil || len(expiring) != 4 {
		t.Fatalf("expiring: %v %d", err, len(expiring))
	}
	var one []Relationship
	if err := c.Invoke("list_relationships", ListRelationshipsInput{CustomerTenantID: msgraph.TenantID(4)}, &one); err != nil || len(one) != 2 {
		t.Fatalf("one customer's: %v %+v", err, one)
	}
	var cust Customer
	if err := c.Invoke("get_customer", CustomerRef{TenantID: msgraph.TenantID(4)}, &cust); err != nil || cust.TenantID != msgraph.TenantID(4) {
		t.Fatalf("get customer: %v %+v", err, cust)
	}
	in := RequestRelationshipInput{CustomerTenantID: msgraph.TenantID(0), DisplayName: "Roost helpdesk",
		RoleIDs: []string{"729827e3-9c14-49f7-bb1b-9608f156bbb8"}}
	var rel Relationship
	if err := c.Invoke("request_relationship", in, &rel); err != nil {
		t.Fatal(err)
	}
	if rel.Status != "approvalPending" || !strings.HasSuffix(rel.ApprovalURL, rel.ID) || rel.Duration != "P730D" {
		t.Fatalf("requested %+v", rel)
	}
	if got := fake.ActionsRequested(rel.ID); len(got) != 1 || got[0] != "lockForApproval" {
		t.Errorf("actions on the new relationship: %v", got)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"the same name twice", "request_relationship", in, abi.CodeInvalidInput},
		{"no active relationship", "get_customer", CustomerRef{TenantID: msgraph.TenantID(3)}, abi.CodeNotFound},
		{"not a tenant id", "get_customer", CustomerRef{TenantID: "contoso.com"}, abi.CodeInvalidInput},
		{"no roles", "request_relationship", RequestRelationshipInput{CustomerTenantID: msgraph.TenantID(0), DisplayName: "x"}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	fake, err := msgraph.Start(msgraph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"wrong secret", configFor(fake, "wrong"), "invalid_client"},
		{"unknown tenant", func() map[string]any {
			m := configFor(fake, "roost-secret")
			m["tenant_id"] = "00000000-0000-4000-8000-000000000000"
			return m
		}(), "AADSTS90002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wasmtest.Open(t, "m365", tc.cfg).Check()
			if wasmtest.Code(err) != abi.CodeUnauthenticated || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check: %v, want unauthenticated with %s", err, tc.want)
			}
		})
	}
}

func TestThrottling(t *testing.T) {
	fake, c := start(t, msgraph.Options{Count: 150})
	fake.Limit.Set(2, 1)
	accounts, _, err := c.Organizations(100)
	if err != nil || len(accounts) != 150 {
		t.Fatalf("with every other request throttled: %d accounts, %v", len(accounts), err)
	}
	limited := 0
	for _, r := range fake.Requests() {
		if r.Status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Error("no request was answered 429: the test tests nothing")
	}
	fake.Limit.Set(1, 1)
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeRateLimited || !strings.Contains(err.Error(), "TooManyRequests") {
		t.Fatalf("check while throttled: %v", err)
	}
}

func TestRepeatedNextLinkIsRefused(t *testing.T) {
	// 300 customers have 300 relationships: one page of them, three of contracts.
	fake, c := start(t, msgraph.Options{Count: 300})
	fake.RepeatNextLink(true)
	if _, _, err := c.Organizations(100); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("organizations: %v", err)
	}
	fake, c = start(t, msgraph.Options{Count: 400})
	fake.RepeatNextLink(true)
	if err := c.Invoke("list_relationships", ListRelationshipsInput{}, nil); wasmtest.Code(err) != abi.CodeUpstream || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("list_relationships: %v", err)
	}
}
