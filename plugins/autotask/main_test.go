package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/autotask"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func start(t *testing.T, opts autotask.Options) (*autotask.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := autotask.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	c := wasmtest.Open(t, "autotask", map[string]any{"username": "api@roost.example", "secret": "roost-secret",
		"integration_code": "ROOSTTRACKINGID", "zone_lookup_url": fake.ZoneLookupURL()})
	return fake, c
}

// customers are the companies organizations should list: active customers.
func customers(fake *autotask.Server) []autotask.Company {
	var out []autotask.Company
	for _, c := range fake.Companies() {
		if c.IsActive && c.CompanyType == autotask.TypeCustomer {
			out = append(out, c)
		}
	}
	return out
}

func TestOrganizationsFollowsNextPageURLsToTheEnd(t *testing.T) {
	fake, c := start(t, autotask.Options{Count: 1234})
	accounts, pages, err := c.Organizations(200)
	if err != nil {
		t.Fatal(err)
	}
	want := customers(fake)
	if len(accounts) != len(want) || len(want) < 900 {
		t.Fatalf("got %d accounts, want %d", len(accounts), len(want))
	}
	if wantPages := (len(want) + 199) / 200; pages != wantPages {
		t.Errorf("%d pages, want %d", pages, wantPages)
	}
	for i, a := range accounts {
		if a.Name != want[i].CompanyName || a.ID == "" || len(a.Domains) != 1 || a.Attributes["company_number"] == "" {
			t.Fatalf("account %d = %+v, want the company %+v", i, a, want[i])
		}
	}
	if n := fake.ZoneLookups(); n != 1 {
		t.Errorf("zone looked up %d times, want once (it is kept in the key-value store)", n)
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Path, "/V1.0/") && (r.Header.Get("UserName") == "" || r.Header.Get("ApiIntegrationCode") == "" || r.Header.Get("Secret") == "") {
			t.Fatalf("request %s without the three credential headers: %v", r.Path, r.Header)
		}
	}
}

func TestCheckAndTickets(t *testing.T) {
	fake, c := start(t, autotask.Options{Count: 12})
	res, err := c.Check()
	if err != nil || !strings.Contains(res.Message, "active customers") {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	var tk Ticket
	if err := c.Invoke("create_ticket", CreateTicketInput{CompanyID: "301", Title: "Backup failed"}, &tk); err != nil {
		t.Fatal(err)
	}
	if tk.ID == 0 || tk.CompanyID != 301 || tk.Status != 1 || tk.Priority != 2 || tk.TicketNumber == "" {
		t.Fatalf("created %+v", tk)
	}
	var list []Ticket
	if err := c.Invoke("list_tickets", ListTicketsInput{CompanyID: "301"}, &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	var cos []Company
	name := fake.Companies()[3].CompanyName
	if err := c.Invoke("list_companies", ListCompaniesInput{Search: name[:len(name)-2]}, &cos); err != nil || len(cos) == 0 || cos[0].CompanyName != name {
		t.Fatalf("search %q: %v %+v", name, err, cos)
	}
	var co Company
	if err := c.Invoke("get_company", CompanyRef{ID: "302"}, &co); err != nil || co.CompanyName != fake.Companies()[2].CompanyName {
		t.Fatalf("get: %v %+v", err, co)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"missing company", "get_company", CompanyRef{ID: "99"}, abi.CodeNotFound},
		{"bad id", "get_company", CompanyRef{ID: "acme"}, abi.CodeInvalidInput},
		{"no title", "create_ticket", CreateTicketInput{CompanyID: "301"}, abi.CodeInvalidInput},
		{"company Autotask does not have", "create_ticket", CreateTicketInput{CompanyID: "77", Title: "x"}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	fake, err := autotask.Start(autotask.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	for _, tc := range []struct {
		name         string
		user, secret string
		code         abi.Code
	}{
		{"wrong secret", "api@roost.example", "wrong", abi.CodeUnauthenticated},
		{"unknown user", "nobody@roost.example", "roost-secret", abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := wasmtest.Open(t, "autotask", map[string]any{"username": tc.user, "secret": tc.secret,
				"integration_code": "ROOSTTRACKINGID", "zone_lookup_url": fake.ZoneLookupURL()})
			if _, err := c.Check(); wasmtest.Code(err) != tc.code {
				t.Fatalf("check: %v, want %s", err, tc.code)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	fake, c := start(t, autotask.Options{Count: 200})
	fake.Limit.Set(3, 1) // every third request: the host waits a second and retries
	accounts, _, err := c.Organizations(100)
	if err != nil || len(accounts) != len(customers(fake)) {
		t.Fatalf("with every third request limited: %d accounts, %v", len(accounts), err)
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
	fake.Limit.Set(1, 1) // every request: the host gives up after its retries
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeRateLimited {
		t.Fatalf("check while limited: %v", err)
	}
}

func TestRepeatedNextPageURLIsRefused(t *testing.T) {
	fake, c := start(t, autotask.Options{Count: 300})
	fake.RepeatPage(true)
	if _, _, err := c.Organizations(50); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("a looping nextPageUrl: %v", err)
	}
}
