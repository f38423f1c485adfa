package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/ninjaone"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func start(t *testing.T, opts ninjaone.Options) (*ninjaone.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := ninjaone.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	c := wasmtest.Open(t, "ninjaone", map[string]any{"base_url": fake.URL(), "client_id": "roost-client", "client_secret": "roost-secret"})
	return fake, c
}

func TestOrganizationsPagesByKeysetToTheEnd(t *testing.T) {
	fake, c := start(t, ninjaone.Options{Count: 1050})
	accounts, pages, err := c.Organizations(100)
	if err != nil {
		t.Fatal(err)
	}
	want := fake.Organizations()
	if len(accounts) != len(want) {
		t.Fatalf("got %d accounts, want %d", len(accounts), len(want))
	}
	for i, a := range accounts {
		if a.Name != want[i].Name || a.ID != strconv.Itoa(want[i].ID) {
			t.Fatalf("account %d = %+v, want %+v", i, a, want[i])
		}
	}
	if pages != 11 {
		t.Errorf("%d pages for 1050 organizations at 100 a page, want 11", pages)
	}
	var afters []string
	for _, r := range fake.Requests() {
		if r.Path == "/v2/organizations" {
			afters = append(afters, r.Query)
		}
	}
	if !strings.Contains(afters[1], "after=100") || !strings.Contains(afters[10], "after=1000") {
		t.Errorf("keyset requests: %v", afters)
	}
	if n := fake.TokensIssued(); n != 1 {
		t.Errorf("%d tokens fetched for one listing, want 1", n)
	}
}

func TestCheckDevicesAndAlerts(t *testing.T) {
	fake, c := start(t, ninjaone.Options{Count: 40, DevicesPerOrg: 5, MaxPageSize: 7})
	if res, err := c.Check(); err != nil || res.Message == "" {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	var all []Device
	if err := c.Invoke("list_devices", ListDevicesInput{}, &all); err != nil || len(all) != 200 {
		t.Fatalf("all devices (the fake pages by 7): %d, %v", len(all), err)
	}
	var devs []Device
	if err := c.Invoke("list_devices", ListDevicesInput{OrganizationID: "3"}, &devs); err != nil || len(devs) != 5 {
		t.Fatalf("org 3 devices: %v %+v", err, devs)
	}
	if devs[0].OrganizationID != 3 || devs[0].LastContact == "" || devs[0].SystemName == "" {
		t.Errorf("device %+v", devs[0])
	}
	var d Device
	if err := c.Invoke("get_device", DeviceRef{ID: strconv.Itoa(devs[1].ID)}, &d); err != nil || d.ID != devs[1].ID {
		t.Fatalf("get device: %v %+v", err, d)
	}
	var alerts []Alert
	if err := c.Invoke("list_alerts", OrgRef{OrganizationID: "3"}, &alerts); err != nil || len(alerts) != 1 || alerts[0].Created == "" {
		t.Fatalf("alerts: %v %+v", err, alerts)
	}
	var reset ResetAlertOutput
	if err := c.Invoke("reset_alert", AlertRef{UID: alerts[0].UID}, &reset); err != nil || !reset.Reset {
		t.Fatalf("reset: %v", err)
	}
	if n := len(fake.Alerts()); n != 39 {
		t.Errorf("%d alerts left, want 39", n)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"alert reset twice", "reset_alert", AlertRef{UID: alerts[0].UID}, abi.CodeNotFound},
		{"missing device", "get_device", DeviceRef{ID: "1"}, abi.CodeNotFound},
		{"bad organization id", "list_devices", ListDevicesInput{OrganizationID: "acme"}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	fake, err := ninjaone.Start(ninjaone.Options{Scopes: []string{"monitoring"}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	c := wasmtest.Open(t, "ninjaone", map[string]any{"base_url": fake.URL(), "client_id": "roost-client", "client_secret": "wrong"})
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeUnauthenticated {
		t.Fatalf("wrong secret: %v", err)
	}
	// The application lacks the management scope the connector asks for.
	c = wasmtest.Open(t, "ninjaone", map[string]any{"base_url": fake.URL(), "client_id": "roost-client", "client_secret": "roost-secret"})
	if _, err := c.Check(); wasmtest.Code(err) != abi.CodeUnauthenticated || !strings.Contains(err.Error(), "invalid_scope") {
		t.Fatalf("missing scope: %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	fake, c := start(t, ninjaone.Options{Count: 150})
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

func TestAServerThatDoesNotPageForwardIsRefused(t *testing.T) {
	fake, c := start(t, ninjaone.Options{Count: 300})
	fake.IgnoreAfter(true)
	if _, _, err := c.Organizations(100); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("organizations: %v", err)
	}
	if err := c.Invoke("list_devices", ListDevicesInput{}, nil); wasmtest.Code(err) != abi.CodeUpstream {
		t.Fatalf("list_devices: %v", err)
	}
}
