package main

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// TestReviewAndAliasesThroughTheCLI: suggestions below high confidence
// are held by save until --include-review; a choice that differs from a
// suggestion is listed by mapping aliases list and removed by remove.
func TestReviewAndAliasesThroughTheCLI(t *testing.T) {
	fake, err := halopsa.Start(halopsa.Options{Clients: []halopsa.Client{
		{ID: 1, Name: "Ridgeway Family Dentistry"}, {ID: 2, Name: "Lindenbrück Logistics GmbH"},
		{ID: 3, Name: "Lindenbruck Freight Services"}, {ID: 4, Name: "Maple Street Pediatrics - Main Office"},
		{ID: 5, Name: "Stonegate Property Mgmt"}, {ID: 6, Name: "Harbor Point Marina"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := newHome(t)
	must := func(stdin string, args ...string) result {
		t.Helper()
		r := roostAt(t, dir, nil, stdin, args...)
		if r.code != 0 {
			t.Fatalf("roost %s: %+v", strings.Join(args, " "), r)
		}
		return r
	}
	for _, n := range []string{"Ridgeway Dental", "Lindenbrück Logistics", "Maple St Pediatrics", "Stonegate Property Management Group", "Harbor Point Marina Services"} {
		must("", "orgs", "add", n)
	}
	must("", "integrations", "install", "halopsa")
	must("roost-secret\n", "integrations", "configure", "halopsa", "--set", "base_url="+fake.URL(), "--set", "client_id=roost-client",
		"--secret", "client_secret", "--allow-private-networks")
	must("", "mapping", "refresh", "halopsa")
	r := must("", "mapping", "suggest", "halopsa", "--explain")
	if !strings.Contains(r.stdout, "held for review:") || !strings.Contains(r.stdout, "matched:") || !strings.Contains(r.stdout, "margin") {
		t.Fatalf("suggest --explain: %s", r.stdout)
	}
	if r := must("", "mapping", "show", "halopsa", "--review"); !strings.Contains(r.stdout, ": review]") {
		t.Fatalf("show --review: %s", r.stdout)
	}
	must("", "mapping", "set", "halopsa", "lindenbruck-logistics", "3")
	r = must("", "mapping", "save", "halopsa")
	if !strings.Contains(r.stdout, "held for review:") || !strings.Contains(r.stdout, "learned 1 choices") {
		t.Fatalf("save: %s", r.stdout)
	}
	if r := must("", "mapping", "save", "halopsa", "--include-review"); !strings.Contains(r.stdout, "saved the mapping of halopsa") {
		t.Fatalf("save --include-review: %s", r.stdout)
	}
	r = must("", "mapping", "aliases", "list", "halopsa")
	if !strings.Contains(r.stdout, "lindenbruck-logistics  same   3 Lindenbruck Freight Services") || !strings.Contains(r.stdout, "never") {
		t.Fatalf("aliases list: %s", r.stdout)
	}
	if r := must("", "mapping", "aliases", "remove", "halopsa", "lindenbruck-logistics"); !strings.Contains(r.stdout, "removed 2 lessons") {
		t.Fatalf("aliases remove: %s", r.stdout)
	}
	if r := roostAt(t, dir, nil, "", "mapping", "suggest", "halopsa", "--min-confidence", "sure"); r.code != 2 || !strings.Contains(r.stderr, "use high, review or low") {
		t.Fatalf("a bad --min-confidence: %+v", r)
	}
}
