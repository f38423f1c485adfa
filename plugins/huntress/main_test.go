package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/huntress"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func start(t *testing.T, opts huntress.Options) (*huntress.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := huntress.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake, wasmtest.Open(t, "huntress", map[string]any{"api_key": "hk_roost", "api_secret": "hs_roost", "base_url": fake.URL() + "/v1"})
}

func TestOrganizationsFollowsTheCursorToTheEnd(t *testing.T) {
	fake, c := start(t, huntress.Options{Count: 1201})
	accounts, pages, err := c.Organizations(300)
	if err != nil {
		t.Fatal(err)
	}
	want := fake.Organizations()
	if len(accounts) != 1201 || pages != 5 {
		t.Fatalf("got %d accounts in %d pages, want 1201 in 5", len(accounts), pages)
	}
	for i, a := range accounts {
		if a.ID != strconv.Itoa(want[i].ID) || a.Name != want[i].Name || a.Attributes["key"] != want[i].Key {
			t.Fatalf("account %d = %+v, want %+v", i, a, want[i])
		}
	}
	for _, r := range fake.Requests() {
		if u, p, ok := basicAuth(r.Header.Get("Authorization")); !ok || u != "hk_roost" || p != "hs_roost" {
			t.Fatalf("request without Basic auth: %v", r.Header)
		}
	}
}

func TestCheckAgentsReportsAndOnboarding(t *testing.T) {
	fake, c := start(t, huntress.Options{Count: 12})
	if res, err := c.Check(); err != nil || !strings.Contains(res.Message, "Roost MSP") {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	org := fake.Organizations()[3]
	var agents []Agent
	if err := c.Invoke("list_agents", ListInput{OrganizationID: strconv.Itoa(org.ID)}, &agents); err != nil || len(agents) != 2 || agents[0].Hostname == "" {
		t.Fatalf("agents: %v %+v", err, agents)
	}
	var all []Agent
	if err := c.Invoke("list_agents", ListInput{Limit: 15}, &all); err != nil || len(all) != 15 {
		t.Fatalf("15 of all agents: %v %d", err, len(all))
	}
	var reports []IncidentReport
	if err := c.Invoke("list_incident_reports", ListReportsInput{ListInput: ListInput{OrganizationID: strconv.Itoa(org.ID)}}, &reports); err != nil || len(reports) != 1 || reports[0].Status != "sent" {
		t.Fatalf("open reports: %v %+v", err, reports)
	}
	var created Organization
	if err := c.Invoke("create_organization", CreateOrganizationInput{Name: "Harbor Dental & Co."}, &created); err != nil || created.Key != "harbor-dental-co" || created.ID == 0 {
		t.Fatalf("create: %v %+v", err, created)
	}
	var got Organization
	if err := c.Invoke("get_organization", OrgRef{ID: strconv.Itoa(created.ID)}, &got); err != nil || got.Name != "Harbor Dental & Co." {
		t.Fatalf("get: %v %+v", err, got)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"taken key", "create_organization", CreateOrganizationInput{Name: "Harbor Dental & Co."}, abi.CodeInvalidInput},
		{"missing organization", "get_organization", OrgRef{ID: "1"}, abi.CodeNotFound},
		{"unknown status", "list_incident_reports", ListReportsInput{Status: "open"}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestWrongSecretIsUnauthenticated(t *testing.T) {
	fake, err := huntress.Start(huntress.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c := wasmtest.Open(t, "huntress", map[string]any{"api_key": "hk_roost", "api_secret": "wrong", "base_url": fake.URL() + "/v1"})
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeUnauthenticated {
		t.Fatalf("check: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	fake, c := start(t, huntress.Options{Count: 150})
	fake.Limit.Set(2, 1)
	accounts, _, err := c.Organizations(100)
	if err != nil || len(accounts) != 150 {
		t.Fatalf("with every other request limited: %d accounts, %v", len(accounts), err)
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
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeRateLimited {
		t.Fatalf("check while limited: %v", err)
	}
}

func TestStuckCursorIsRefused(t *testing.T) {
	fake, c := start(t, huntress.Options{Count: 300})
	fake.StuckCursor(true)
	if _, _, err := c.Organizations(100); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("organizations: %v", err)
	}
	if err := c.Invoke("list_agents", ListInput{}, nil); wasmtest.Code(err) != abi.CodeUpstream {
		t.Fatalf("list_agents: %v", err)
	}
}

func basicAuth(h string) (user, pass string, ok bool) {
	r := &http.Request{Header: http.Header{"Authorization": {h}}}
	return r.BasicAuth()
}
