package match

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// mspSet is the shared MSP organization-mapping set read as its README
// models the task: the organizations are the distinct org_name values, the
// accounts every distinct psa_name plus accounts_extra.txt.
type mspSet struct {
	orgs, accounts []*Party
	// truth maps an organization's id to its label-1 account's id.
	truth map[string]string
	// posCategory is the category of an organization's label-1 row;
	// negCategory the category of a label-0 row, by "org\taccount" ids.
	posCategory map[string]string
	negCategory map[string]string
}

func readMSP(t *testing.T, dir string) *mspSet {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "msp", "pairs_meta.tsv"))
	if err != nil {
		t.Skipf("skipping: the MSP set is not at %s: %v", filepath.Join(dir, "msp"), err)
	}
	set := &mspSet{truth: map[string]string{}, posCategory: map[string]string{}, negCategory: map[string]string{}}
	orgID, acctID := map[string]string{}, map[string]string{}
	addOrg := func(name string) string {
		if id, ok := orgID[name]; ok {
			return id
		}
		id := fmt.Sprintf("org-%03d", len(orgID))
		orgID[name] = id
		set.orgs = append(set.orgs, NewParty(id, name, nil, nil, nil))
		return id
	}
	addAcct := func(name string) string {
		if id, ok := acctID[name]; ok {
			return id
		}
		id := fmt.Sprintf("acct-%04d", len(acctID))
		acctID[name] = id
		set.accounts = append(set.accounts, NewParty(id, name, nil, nil, nil))
		return id
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "org_name\tpsa_name\tlabel\tcategory") {
		t.Fatalf("pairs_meta.tsv: unexpected header %q", lines[0])
	}
	for i, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("pairs_meta.tsv:%d: %d fields", i+2, len(f))
		}
		o, a := addOrg(f[0]), addAcct(f[1])
		switch f[2] {
		case "1":
			set.truth[o] = a
			set.posCategory[o] = f[3]
		case "0":
			set.negCategory[o+"\t"+a] = f[3]
		default:
			t.Fatalf("pairs_meta.tsv:%d: label %q", i+2, f[2])
		}
	}
	extra, err := os.ReadFile(filepath.Join(dir, "msp", "accounts_extra.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(string(extra), "\n") {
		if name = strings.TrimSpace(name); name != "" {
			addAcct(name)
		}
	}
	return set
}

// prf is precision, recall and F1 from counts.
type prf struct{ tp, fp, fn int }

func (c prf) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c prf) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c prf) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TestSuggestionQualityOnMSPSet scores the default rules on the shared MSP
// set as its README does (tools/mapping-eval/eval.py): a suggestion that is
// the label-1 account is a true positive, any other suggestion a false
// positive, and an organization with a label-1 account that gets no or a
// wrong suggestion a false negative. The 1,500 extra accounts are
// distractors.
func TestSuggestionQualityOnMSPSet(t *testing.T) {
	set := readMSP(t, sharedNames(t))
	res, err := Suggest(context.Background(), Input{Orgs: set.orgs, Accounts: set.accounts, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, p := range append(append([]*Party(nil), set.orgs...), set.accounts...) {
		names[p.ID] = p.Name
	}
	got := map[string]Suggestion{}
	for _, s := range res.Suggestions {
		got[s.Org] = s
	}
	var all prf
	pos := map[string]*prf{} // by the category of the organization's label-1 row
	neg := map[string]int{}  // false positives by the category of the wrong pair
	for _, o := range set.orgs {
		want, hasTruth := set.truth[o.ID]
		cat := set.posCategory[o.ID]
		if hasTruth && pos[cat] == nil {
			pos[cat] = &prf{}
		}
		s, suggested := got[o.ID]
		switch {
		case suggested && hasTruth && s.Account == want:
			all.tp++
			pos[cat].tp++
		case suggested:
			all.fp++
			nc := set.negCategory[o.ID+"\t"+s.Account]
			if nc == "" {
				nc = "not-a-pair"
			}
			neg[nc]++
			if hasTruth {
				all.fn++
				pos[cat].fn++
				pos[cat].fp++
			}
			if testing.Verbose() {
				t.Logf("wrong (%s): %q → %q (%s); want %q — %s", nc, o.Name, s.AccountName, cat, names[want], s.Why)
			}
		case hasTruth:
			all.fn++
			pos[cat].fn++
			why := "unmatched"
			if a, ok := res.Ambiguous[o.ID]; ok {
				why = fmt.Sprintf("ambiguous %v", a)
			}
			if testing.Verbose() {
				t.Logf("missed (%s, %s): %q, want %q", cat, why, o.Name, names[want])
			}
		}
	}
	t.Logf("msp: %d organizations, %d accounts: %d suggested, TP %d FP %d FN %d — precision %.3f, recall %.3f, F1 %.3f; %d ambiguous, %d unmatched",
		len(set.orgs), len(set.accounts), len(res.Suggestions), all.tp, all.fp, all.fn, all.precision(), all.recall(), all.f1(),
		len(res.Ambiguous), len(res.Unmatched))
	// How far each confidence level can be trusted.
	for _, c := range []Confidence{ConfidenceHigh, ConfidenceReview, ConfidenceLow} {
		n, right := 0, 0
		for _, s := range res.Suggestions {
			if s.Confidence == c {
				n++
				if set.truth[s.Org] == s.Account {
					right++
				}
			}
		}
		t.Logf("  confidence %-6s %3d suggestions, %3d right (%.3f)", c, n, right, ratio(right, n))
	}
	cats := make([]string, 0, len(pos))
	for c := range pos {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		p := pos[c]
		t.Logf("  %-18s %3d positives: found %3d, wrong %2d, recall %.3f", c, p.tp+p.fn, p.tp, p.fp, p.recall())
	}
	cats = cats[:0]
	for c := range neg {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, c := range cats {
		t.Logf("  false positive on %-18s %d", c, neg[c])
	}
	// Floors a little under what the default rules reach (precision
	// 1.000, recall 0.994, F1 0.997 when written): a regression test, not
	// a target. Issue 16 asks for precision ≥ 0.98 and F1 ≥ 0.95.
	if all.precision() < 0.985 || all.recall() < 0.97 || all.f1() < 0.98 {
		t.Errorf("precision %.3f, recall %.3f, F1 %.3f: want at least 0.985, 0.97 and 0.98", all.precision(), all.recall(), all.f1())
	}
}
