package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/pax8"
	"github.com/roosthq/roost/plugins/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
)

func configFor(fake *pax8.Server, secret string) map[string]any {
	return map[string]any{"client_id": "roost-client", "client_secret": secret, "base_url": fake.BaseURL(), "token_url": fake.TokenURL()}
}

// start starts a fake that, as Pax8 does, issues tokens only for the
// audience api://p8p.client.
func start(t *testing.T, opts pax8.Options) (*pax8.Server, *wasmtest.Conn) {
	t.Helper()
	fake, err := pax8.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake, wasmtest.Open(t, "pax8", configFor(fake, "roost-secret"))
}

func active(fake *pax8.Server) []pax8.Company {
	var out []pax8.Company
	for _, c := range fake.Companies() {
		if c.Status == "Active" {
			out = append(out, c)
		}
	}
	return out
}

func TestOrganizationsPagesToTheEnd(t *testing.T) {
	fake, c := start(t, pax8.Options{Count: 1000})
	accounts, pages, err := c.Organizations(200)
	if err != nil {
		t.Fatal(err)
	}
	want := active(fake)
	if len(accounts) != len(want) || pages != (len(want)+199)/200 {
		t.Fatalf("got %d accounts in %d pages, want %d", len(accounts), pages, len(want))
	}
	for i, a := range accounts {
		if a.ID != want[i].ID || a.Name != want[i].Name || len(a.Domains) != 1 {
			t.Fatalf("account %d = %+v, want %+v", i, a, want[i])
		}
	}
	if accounts[0].Attributes["external_id"] == "" {
		t.Errorf("the PSA id (externalId) is lost: %+v", accounts[0])
	}
	if n := fake.TokensIssued(); n != 1 {
		t.Errorf("%d tokens fetched, want 1", n)
	}
}

func TestCheckAndSubscriptions(t *testing.T) {
	fake, c := start(t, pax8.Options{Count: 10, SubscriptionsPerCompany: 450})
	if res, err := c.Check(); err != nil || !strings.Contains(res.Message, "9 active companies") {
		t.Fatalf("check: %v %q", err, res.Message)
	}
	co := fake.Companies()[2]
	var got Company
	if err := c.Invoke("get_company", CompanyRef{ID: co.ID}, &got); err != nil || got.Name != co.Name {
		t.Fatalf("get company: %v %+v", err, got)
	}
	var subs []Subscription
	if err := c.Invoke("list_subscriptions", ListSubscriptionsInput{CompanyID: co.ID}, &subs); err != nil || len(subs) != 450 {
		t.Fatalf("subscriptions (three pages of 200): %d, %v", len(subs), err)
	}
	var updated Subscription
	if err := c.Invoke("update_subscription_quantity", UpdateQuantityInput{ID: subs[0].ID, Quantity: 42}, &updated); err != nil || updated.Quantity != 42 {
		t.Fatalf("update: %v %+v", err, updated)
	}
	var one Subscription
	if err := c.Invoke("get_subscription", SubscriptionRef{ID: subs[0].ID}, &one); err != nil || one.Quantity != 42 {
		t.Fatalf("get subscription: %v %+v", err, one)
	}
	for _, tc := range []struct {
		name   string
		action string
		in     any
		code   abi.Code
	}{
		{"missing company", "get_company", CompanyRef{ID: "00000000-0000-4000-8000-000000000000"}, abi.CodeNotFound},
		{"not a uuid", "list_subscriptions", ListSubscriptionsInput{CompanyID: "acme"}, abi.CodeInvalidInput},
		{"zero seats", "update_subscription_quantity", UpdateQuantityInput{ID: subs[0].ID}, abi.CodeInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Invoke(tc.action, tc.in, nil); wasmtest.Code(err) != tc.code {
				t.Fatalf("%v, want %s", err, tc.code)
			}
		})
	}
}

func TestWrongSecretIsUnauthenticated(t *testing.T) {
	fake, err := pax8.Start(pax8.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if _, err := wasmtest.Open(t, "pax8", configFor(fake, "wrong")).Check(); wasmtest.Code(err) != abi.CodeUnauthenticated {
		t.Fatalf("check: %v", err)
	}
}

// TestTokenRequestNamesTheAudience: the host's token request is Pax8's,
// a JSON body with the client-credentials grant and the audience the
// manifest's token_params name; a fake that requires the audience issues
// the token.
func TestTokenRequestNamesTheAudience(t *testing.T) {
	fake, err := pax8.Start(pax8.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	if _, err := wasmtest.Open(t, "pax8", configFor(fake, "roost-secret")).Check(); err != nil {
		t.Fatalf("check against a fake that requires the audience: %v", err)
	}
	seen := 0
	for _, r := range fake.Requests() {
		if r.Path != "/oauth/token" {
			continue
		}
		seen++
		if !strings.Contains(r.Body, `"grant_type":"client_credentials"`) || !strings.Contains(r.Body, `"audience":"api://p8p.client"`) ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("token request %s %q", r.Header.Get("Content-Type"), r.Body)
		}
	}
	if seen == 0 {
		t.Error("no token request reached the fake")
	}
}

func TestRateLimits(t *testing.T) {
	fake, c := start(t, pax8.Options{Count: 150})
	fake.Limit.Set(2, 1)
	accounts, _, err := c.Organizations(100)
	if err != nil || len(accounts) != len(active(fake)) {
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
	fake, c := start(t, pax8.Options{Count: 300, SubscriptionsPerCompany: 300})
	fake.IgnorePage(true)
	if _, _, err := c.Organizations(100); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Fatalf("organizations: %v", err)
	}
	if err := c.Invoke("list_subscriptions", ListSubscriptionsInput{CompanyID: fake.Companies()[0].ID}, nil); wasmtest.Code(err) != abi.CodeUpstream {
		t.Fatalf("list_subscriptions: %v", err)
	}
}
