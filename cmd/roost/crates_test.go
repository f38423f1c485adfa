package main

import (
	"strings"
	"testing"
)

func TestCratesThroughTheCLI(t *testing.T) {
	dir := newHome(t)
	run := func(args ...string) result { return roostAt(t, dir, nil, "", args...) }
	r := run("crates", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "psa-ticket-for-orgs") || !strings.Contains(r.stdout, "halopsa: not installed") {
		t.Fatalf("list: %+v", r)
	}
	r = run("crates", "show", "psa-ticket-for-orgs")
	if r.code != 0 || !strings.Contains(r.stdout, "client → halopsa.get_client") || !strings.Contains(r.stdout, "cron 0 8 1 */3 *") {
		t.Errorf("show: %+v", r)
	}
	run("orgs", "add", "Acme")
	r = run("crates", "unpack", "psa-ticket-for-orgs", "--org", "acme", "--org", "nobody", "--var", "summary=Hi", "--plan")
	if r.code != 1 || !strings.Contains(r.stderr, "2 needs are unmet:\n  no organization") || !strings.Contains(r.stderr, `no organization "nobody"`) ||
		!strings.Contains(r.stderr, "halopsa: not installed (roost integrations install halopsa)") {
		t.Errorf("unmet: %+v", r)
	}
	if r := run("crates", "unpack", "psa-ticket-for-orgs"); r.code == 0 || !strings.Contains(r.stderr, "--all-orgs") {
		t.Errorf("no orgs: %+v", r)
	}
	if r := run("run", "open-review-ticket", "--org", "acme"); r.code == 0 || !strings.Contains(r.stderr, "no workflow") {
		t.Errorf("run before unpack: %+v", r)
	}
	if r := run("runs", "list"); r.code != 0 {
		t.Errorf("runs list: %+v", r)
	}
}
