package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// TestSuggestQualityMSPEndToEnd measures Suggest Values as a user gets
// it: the MSP set's organizations imported, a fake HaloPSA serving every
// PSA name of the set plus its 1,500 unrelated accounts, the bundled
// connector refreshing them, then suggest. Precision, recall and F1 are
// logged (with what the user would save without a look) and held above
// floors a little under what the matcher reaches.
func TestSuggestQualityMSPEndToEnd(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "names", "msp")
	pairs, err := os.ReadFile(filepath.Join(dir, "pairs.tsv"))
	if err != nil {
		t.Skipf("skipping: the shared MSP name set is not beside the repository (%v)", err)
	}
	extra, err := os.ReadFile(filepath.Join(dir, "accounts_extra.txt"))
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	want := map[string]string{} // org name → the right PSA name
	var orgNames, psaNames []string
	seenOrg, seenPSA := map[string]bool{}, map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(pairs)), "\n") {
		f := strings.Split(line, "\t")
		if i == 0 || len(f) != 3 {
			continue
		}
		if !seenOrg[f[0]] {
			seenOrg[f[0]] = true
			orgNames = append(orgNames, f[0])
		}
		if !seenPSA[f[1]] {
			seenPSA[f[1]] = true
			psaNames = append(psaNames, f[1])
		}
		if f[2] == "1" {
			want[f[0]] = f[1]
		}
	}
	for _, n := range strings.Split(strings.TrimSpace(string(extra)), "\n") {
		if n = strings.TrimSpace(n); n != "" && !seenPSA[n] {
			seenPSA[n] = true
			psaNames = append(psaNames, n)
		}
	}
	clients := make([]halopsa.Client, len(psaNames))
	for i, n := range psaNames {
		clients[i] = halopsa.Client{ID: 1000 + i, Name: n}
	}
	fake, err := halopsa.Start(halopsa.Options{Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	ctx := context.Background()
	h := openBundled(t, newHome(t))
	var csv strings.Builder
	csv.WriteString("organizationName,orgSlug\n")
	slugOf := map[string]string{}
	for i, n := range orgNames {
		slug := fmt.Sprintf("org-%03d", i)
		slugOf[slug] = n
		fmt.Fprintf(&csv, "%q,%s\n", n, slug)
	}
	if rep, err := h.Organizations().Import(ctx, strings.NewReader(csv.String()), host.ImportOptions{Atomic: true}); err != nil || len(rep.Created) != len(orgNames) {
		t.Fatalf("import: %+v %v", rep, err)
	}
	installHalo(t, h, fake)
	if _, err := h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := h.Mappings().Suggest(ctx, "halopsa", host.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type score struct{ tp, fp, fn int }
	measure := func(only func(host.Suggestion) bool) (s score) {
		got := map[string]string{}
		for _, sg := range rep.Suggestions {
			if only(sg) {
				got[slugOf[sg.Org]] = sg.AccountName
			}
		}
		for _, org := range orgNames {
			g, w := got[org], want[org]
			switch {
			case g != "" && g == w:
				s.tp++
			case g != "":
				s.fp++
				if w != "" {
					s.fn++
				}
			case w != "":
				s.fn++
			}
		}
		return s
	}
	prf := func(s score) (p, r, f float64) {
		p = float64(s.tp) / float64(max(1, s.tp+s.fp))
		r = float64(s.tp) / float64(max(1, s.tp+s.fn))
		return p, r, 2 * p * r / max(1e-9, p+r)
	}
	all := measure(func(host.Suggestion) bool { return true })
	p, r, f := prf(all)
	unreviewed := measure(func(s host.Suggestion) bool { return !s.Review })
	up, ur, _ := prf(unreviewed)
	grades := map[string]int{}
	for _, s := range rep.Suggestions {
		grades[s.Confidence]++
	}
	keys := make([]string, 0, len(grades))
	for k := range grades {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("msp end to end: %d organizations, %d accounts: precision %.3f, recall %.3f, F1 %.3f (%d right, %d wrong, %d missed); saved without review: precision %.3f, recall %.3f; confidence %v",
		len(orgNames), len(psaNames), p, r, f, all.tp, all.fp, all.fn, up, ur, grades)
	if p < 0.98 || f < 0.95 {
		t.Errorf("precision %.3f, F1 %.3f: want precision ≥ 0.98 and F1 ≥ 0.95", p, f)
	}
	if up < 0.99 {
		t.Errorf("what is saved without a look has precision %.3f; want ≥ 0.99", up)
	}
}
