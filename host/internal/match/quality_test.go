package match

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedNames finds ../shared/testdata/names beside the repository, or
// skips: a plain clone has no shared data.
func sharedNames(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root not found")
		}
		dir = parent
	}
	names := filepath.Join(dir, "..", "shared", "testdata", "names")
	if _, err := os.Stat(names); err != nil {
		t.Skipf("skipping: the shared name lists are not at %s (they sit beside the repository on the team's machines)", names)
	}
	return names
}

// TestSuggestionQualityOnNameMatchingPairs measures precision and recall
// on De Nederlandsche Bank's name_matching test names: each of 500
// organization names against 500 perturbed versions (typos, dropped
// spaces, swapped words, "&"/"and", control characters), with the 1,320
// real company names of cleanco's list mixed in as accounts that match
// nothing.
func TestSuggestionQualityOnNameMatchingPairs(t *testing.T) {
	dir := sharedNames(t)
	f, err := os.Open(filepath.Join(dir, "name_matching", "pairs_original_vs_adjusted.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var orgs, accounts []*Party
	truth := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct {
			ID       int    `json:"id"`
			Original string `json:"original"`
			Adjusted string `json:"adjusted"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		o, a := fmt.Sprintf("org-%d", p.ID), fmt.Sprintf("acct-%d", p.ID)
		orgs = append(orgs, NewParty(o, p.Original, nil, nil, nil))
		accounts = append(accounts, NewParty(a, p.Adjusted, nil, nil, nil))
		truth[o] = a
	}
	distractors := readCleancoCompanies(t, dir)
	for i, n := range distractors {
		accounts = append(accounts, NewParty(fmt.Sprintf("other-%d", i), n, nil, nil, nil))
	}
	res, err := Suggest(context.Background(), Input{Orgs: orgs, Accounts: accounts, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, s := range res.Suggestions {
		if truth[s.Org] == s.Account {
			right++
		} else if testing.Verbose() {
			t.Logf("wrong: %s", s.Why)
		}
	}
	if testing.Verbose() {
		byID := map[string]*Party{}
		for _, a := range accounts {
			byID[a.ID] = a
		}
		for _, o := range orgs {
			for _, u := range res.Unmatched {
				if u == o.ID {
					a := byID[truth[o.ID]]
					t.Logf("unmatched: %q [%s] — its account %q [%s] scores %.3f", o.Name, o.Norm, a.Name, a.Norm, NameSimilarity(o.name, a.name))
				}
			}
		}
	}
	c := prf{tp: right, fp: len(res.Suggestions) - right, fn: len(orgs) - right}
	precision, recall := c.precision(), c.recall()
	t.Logf("name_matching: %d organizations, %d accounts: %d suggested, %d right — precision %.3f, recall %.3f, F1 %.3f; %d ambiguous, %d unmatched",
		len(orgs), len(accounts), len(res.Suggestions), right, precision, recall, c.f1(), len(res.Ambiguous), len(res.Unmatched))
	// Floors a little under what the default rules reach (0.991 and 0.864
	// both before and after the word aligner of issue 16).
	if precision < 0.985 || recall < 0.855 {
		t.Errorf("precision %.3f, recall %.3f: want at least 0.985 and 0.855", precision, recall)
	}
}

func readCleancoCompanies(t *testing.T, dir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "cleanco", "companies.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		name, _, _ := strings.Cut(strings.TrimRight(line, "\r"), ";")
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// TestLegalFormsAgainstCleancoCases compares Normalize with cleanco's own
// test cases. cleanco's expectations are its behaviour, not the truth (it
// empties names made only of legal terms, which Roost keeps so they can
// still match), so the test reports agreement and requires most.
func TestLegalFormsAgainstCleancoCases(t *testing.T) {
	dir := sharedNames(t)
	raw, err := os.ReadFile(filepath.Join(dir, "cleanco", "cleanco_basename_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Case, Input, Expected, Assertion string
			Options                          string `json:"cleanco_options"`
			KnownIssue                       bool   `json:"known_issue"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// json field names differ from the struct's: decode them by hand.
	var rawCases struct {
		Cases []map[string]any `json:"cases"`
	}
	_ = json.Unmarshal(raw, &rawCases)
	agree, compared, emptied := 0, 0, 0
	for _, c := range rawCases.Cases {
		in, _ := c["input"].(string)
		want, _ := c["expected_basename"].(string)
		opts, _ := c["cleanco_options"].(string)
		if strings.Contains(opts, "middle=True") {
			continue // cleanco's optional mid-name removal; Roost only strips ends
		}
		if strings.TrimSpace(want) == "" {
			emptied++
			continue
		}
		compared++
		got := Normalize(in).Base
		exp := strings.Join(tokenize(want), " ")
		ok := got == exp
		if c["assertion"] == "contains" {
			ok = strings.Contains(got, exp) || strings.Contains(exp, got)
		}
		if ok {
			agree++
		} else if testing.Verbose() {
			t.Logf("differs: %q → %q, cleanco %q", in, got, want)
		}
	}
	rate := float64(agree) / float64(compared)
	t.Logf("cleanco cases: %d of %d agree (%.2f); %d cases where cleanco empties the name were not compared", agree, compared, rate, emptied)
	if rate < 0.95 { // 63 of 65 when written
		t.Errorf("agreement %.2f, want at least 0.95", rate)
	}
	// Stripping legal forms never empties a real company name.
	for _, n := range readCleancoCompanies(t, dir) {
		if Normalize(n).Base == "" {
			t.Errorf("Normalize(%q) is empty", n)
		}
	}
	_ = csv.ErrFieldCount
}
