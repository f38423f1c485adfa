package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// TestOrganizationMappingThroughTheCLI walks the whole mapping loop a user
// would: import organizations, install and configure HaloPSA against the
// local fake, refresh, suggest, review page by page, override, save,
// export.
func TestOrganizationMappingThroughTheCLI(t *testing.T) {
	companies := fakedata.Companies(25, 3)
	fake, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := newHome(t)
	run := func(stdin string, args ...string) result { return roostAt(t, dir, nil, stdin, args...) }
	must := func(stdin string, args ...string) result {
		t.Helper()
		r := run(stdin, args...)
		if r.code != 0 {
			t.Fatalf("roost %s: %+v", strings.Join(args, " "), r)
		}
		return r
	}

	// Organizations from CSV: 20 customers named as the MSP writes them,
	// one bad row reported by its line.
	var csv strings.Builder
	csv.WriteString("organizationName,managingOrgId,domain,orgSlug,isEnabled,tagNames\n")
	csv.WriteString("Roost MSP,,,msp,true,\n")
	for _, c := range companies[:20] {
		fmt.Fprintf(&csv, "%q,msp,,,true,customer\n", strings.ToLower(c.Name))
	}
	csv.WriteString(",msp,,,true,\n") // line 23
	file := filepath.Join(t.TempDir(), "orgs.csv")
	os.WriteFile(file, []byte(csv.String()), 0o644)
	r := run("", "orgs", "import", file)
	if r.code != 1 || !strings.Contains(r.stderr, "line 23: organizationName is empty") || !strings.Contains(r.stdout, "21 added") {
		t.Fatalf("import: %+v", r)
	}
	must("", "orgs", "edit", "msp", "--attr", "role=msp")
	var orgs []map[string]any
	json.Unmarshal([]byte(must("", "orgs", "list", "--json").stdout), &orgs)
	if len(orgs) != 21 {
		t.Fatalf("orgs list: %d", len(orgs))
	}
	own := must("", "orgs", "show", "msp", "--json")
	if !strings.Contains(own.stdout, `"role": "msp"`) {
		t.Errorf("orgs show: %s", own.stdout)
	}

	must("", "integrations", "install", "halopsa")
	must("roost-secret\n", "integrations", "configure", "halopsa", "--set", "base_url="+fake.URL(),
		"--set", "client_id=roost-client", "--secret", "client_secret", "--allow-private-networks")

	r = run("", "mapping", "suggest", "halopsa")
	if r.code == 0 || !strings.Contains(r.stderr, "roost mapping refresh halopsa") {
		t.Fatalf("suggest before refresh: %+v", r)
	}
	r = must("", "mapping", "refresh", "halopsa", "--page-size", "10")
	if !strings.Contains(r.stdout, "pulled 25 accounts of halopsa in 3 pages") {
		t.Fatalf("refresh: %s", r.stdout)
	}
	// The MSP itself is an organization too (not marked --own) and
	// matches nothing; the 20 customers match by name.
	r = must("", "mapping", "suggest", "halopsa", "--explain")
	if !strings.Contains(r.stdout, "suggested 20 accounts") || !strings.Contains(r.stdout, "rule same-name (score 1.000") ||
		!strings.Contains(r.stdout, "unmatched: 1 organizations") {
		t.Fatalf("suggest: %s", r.stdout)
	}
	r = must("", "mapping", "show", "halopsa")
	if !strings.Contains(r.stdout, "page 1 of 3 (21 organizations, 10 a page); next: --page 2") {
		t.Fatalf("show: %s", r.stdout)
	}
	if n := strings.Count(r.stdout, "[rule:"); n != 10 {
		t.Errorf("show page 1 has %d drafted rows, want 10:\n%s", n, r.stdout)
	}
	r = must("", "mapping", "show", "halopsa", "--unmapped")
	if !strings.Contains(r.stdout, "msp") || !strings.Contains(r.stdout, "page 1 of 1 (1 organizations") {
		t.Errorf("unmapped: %s", r.stdout)
	}
	// Nothing is saved yet.
	var details struct {
		Mapped int `json:"mapped"`
	}
	if r := must("", "mapping", "export", "halopsa"); strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("suggest saved something: %s", r.stdout)
	}
	r = must("", "mapping", "set", "halopsa", "msp", companies[24].Name)
	if !strings.Contains(r.stdout, "draft: msp → 124") {
		t.Errorf("set: %s", r.stdout)
	}
	r = run("", "mapping", "set", "halopsa", "msp", "No Such Client")
	if r.code != 1 || !strings.Contains(r.stderr, `no account "No Such Client" among the 25 accounts`) {
		t.Errorf("set unknown: %+v", r)
	}
	r = must("", "mapping", "save", "halopsa", "--json")
	if !strings.Contains(r.stdout, `"saved": 21`) {
		t.Fatalf("save: %s", r.stdout)
	}
	json.Unmarshal([]byte(must("", "mapping", "show", "halopsa", "--json").stdout), &details)
	if details.Mapped != 21 {
		t.Errorf("mapped after save: %d", details.Mapped)
	}
	r = must("", "orgs", "show", "msp")
	if !strings.Contains(r.stdout, "halopsa  124") {
		t.Errorf("orgs show lists the account: %s", r.stdout)
	}
	exp := must("", "mapping", "export", "halopsa")
	if lines := strings.Count(exp.stdout, "\n"); lines != 22 || !strings.HasPrefix(exp.stdout, "orgId,orgName,accountId") {
		t.Errorf("export: %d lines\n%s", lines, exp.stdout)
	}
	// The export reads back into a draft (bad rows reported by line).
	exported := filepath.Join(t.TempDir(), "map.csv")
	os.WriteFile(exported, []byte(exp.stdout+"nobody,,999,,,,\n"), 0o644)
	r = run("", "mapping", "import", "halopsa", exported)
	if r.code != 1 || !strings.Contains(r.stdout, "drafted 21 mappings; 1 bad rows") || !strings.Contains(r.stderr, "line 23:") {
		t.Errorf("mapping import: %+v", r)
	}
	must("", "mapping", "discard", "halopsa")
	// A second suggest keeps the hand-made choice.
	r = must("", "mapping", "suggest", "halopsa")
	if !strings.Contains(r.stdout, "kept: 1 mappings chosen by hand") || !strings.Contains(r.stdout, "(0 differ") {
		t.Errorf("second suggest: %s", r.stdout)
	}

	// Rules: a syntax error is located; a run-time failure names the rule and pair.
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rules, []byte("rules:\n  - name: broken\n    score: org.norm ==\n"), 0o644)
	r = run("", "mapping", "suggest", "halopsa", "--rules", rules)
	if r.code != 1 || !strings.Contains(r.stderr, rules+":3:") || !strings.Contains(r.stderr, `rule "broken"`) {
		t.Errorf("bad rule: %+v", r)
	}
	os.WriteFile(rules, []byte("rules:\n  - name: needs-code\n    score: int(org.attributes.code) > 1\n"), 0o644)
	r = run("", "mapping", "suggest", "halopsa", "--rules", rules, "--overwrite")
	if r.code != 1 || !strings.Contains(r.stderr, `rule "needs-code" failed for organization`) {
		t.Errorf("failing rule: %+v", r)
	}
	r = must("", "mapping", "rules")
	if !strings.Contains(r.stdout, "name: similar-name") || !strings.Contains(r.stdout, "name_similarity(org, account)") {
		t.Errorf("rules: %s", r.stdout)
	}
	// Discard throws a draft away.
	must("", "mapping", "unset", "halopsa", "msp")
	if r := must("", "mapping", "discard", "halopsa"); !strings.Contains(r.stdout, "discarded 1") {
		t.Errorf("discard: %s", r.stdout)
	}
}
