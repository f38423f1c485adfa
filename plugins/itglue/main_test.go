package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/itglue"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func start(t *testing.T, opts itglue.Options) (*itglue.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := itglue.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake, wasmtest.Open(t, "itglue", map[string]any{"base_url": fake.URL(), "api_key": "ITG.roost"})
}

func TestOrganizationsFollowsNextPageToTheEnd(t *testing.T) {
	fake, c := start(t, itglue.Options{Count: 2345})
	accounts, pages, err := c.Organizations(500)
	if err != nil {
		t.Fatal(err)
	}
	want := fake.Organizations()
	if len(accounts) != len(want) || pages != 5 {
		t.Fatalf("got %d accounts in %d pages, want %d in 5", len(accounts), pages, len(want))
	}
	for i, a := range accounts {
		if a.Name != want[i].Name || a.ID != want[i].ID || a.Attributes["short_name"] == "" {
			t.Fatalf("account %d = %+v, want %+v", i, a, want[i])
		}
	}
	if accounts[0].Attributes["psa_id"] == "" || accounts[len(accounts)-1].Attributes["primary"] != "true" {
		t.Errorf("PSA id or primary flag lost: %+v … %+v", accounts[0], accounts[len(accounts)-1])
	}
	for _, r := range fake.Requests() {
		if r.Header.Get("x-api-key") != "ITG.roost" {
			t.Fatalf("request without the API key: %v", r.Header)
		}
	}
}

func TestCheckConfigurationsAndContacts(t *testing.T) {
	fake, c := start(t, itglue.Options{Count: 5})
	if res, err := c.Check(); err != nil || !strings.Contains(res.Message, "5 organizations") {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	var o Organization
	if err := c.Invoke("get_organization", OrgRef{ID: "501"}, &o); err != nil || o.ID != "501" || o.Name != fake.Organizations()[1].Name {
		t.Fatalf("get: %v %+v", err, o)
	}
	var created Configuration
	in := CreateConfigurationInput{OrganizationID: "501", Name: "ACME-PC42", ConfigurationTypeID: 1, SerialNumber: "SN42"}
	if err := c.Invoke("create_configuration", in, &created); err != nil || created.ID == "" || created.TypeName != "Managed Workstation" {
		t.Fatalf("create: %v %+v", err, created)
	}
	var configs []Configuration
	if err := c.Invoke("list_configurations", ListInput{OrganizationID: "501"}, &configs); err != nil || len(configs) != 2 {
		t.Fatalf("list configurations: %v %+v", err, configs)
	}
	var contacts []Contact
	if err := c.Invoke("list_contacts", ListInput{OrganizationID: "501"}, &contacts); err != nil || len(contacts) != 1 || contacts[0].ID == "" {
		t.Fatalf("contacts: %v %+v", err, contacts)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"missing organization", "get_organization", OrgRef{ID: "9"}, abi.CodeNotFound},
		{"unknown configuration type", "create_configuration", CreateConfigurationInput{OrganizationID: "501", Name: "x", ConfigurationTypeID: 99}, abi.CodeInvalidInput},
		{"bad id", "list_contacts", ListInput{OrganizationID: "x"}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestWrongKeyIsUnauthenticated(t *testing.T) {
	fake, err := itglue.Start(itglue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c := wasmtest.Open(t, "itglue", map[string]any{"base_url": fake.URL(), "api_key": "ITG.wrong"})
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeUnauthenticated || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("check: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	fake, c := start(t, itglue.Options{Count: 150})
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

func TestRepeatedPageIsRefused(t *testing.T) {
	fake, c := start(t, itglue.Options{Count: 300})
	fake.RepeatPages(true)
	if _, _, err := c.Organizations(100); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("organizations: %v", err)
	}
}
