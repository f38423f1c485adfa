package match

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func parties(names ...string) []*Party {
	out := make([]*Party, len(names))
	for i, n := range names {
		out[i] = NewParty(fmt.Sprint("id", i), n, nil, nil, nil)
	}
	return out
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"The Acme Corporation":             "acme",
		"ACME Corp.":                       "acme",
		"Smith & Jones Ltd.":               "smith and jones",
		"Smith and Jones Limited":          "smith and jones",
		"Müller & Söhne GmbH & Co. KG":     "muller and sohne",
		"AB Volvo":                         "volvo",
		"Acme Inc - Main Office":           "acme",
		"Acme (HQ)":                        "acme",
		"Acme (UK)":                        "acme uk",
		"Schumm\x15PLC":                    "schumm",
		"O'Brien Plumbing, LLC":            "obrien plumbing",
		"Example Company Pty Ltd":          "example",
		"Łoś spółka z o.o.":                "los",
		"Ltd":                              "ltd",
		"Société Générale S.A.":            "societe generale",
		"  Blue-Ridge   Dental S.A.S.  ":   "blue ridge dental",
		"The":                              "the",
		"Østergaard ApS":                   "ostergaard",
		"Stark Industries":                 "stark industries",
		"Wayne Enterprises, Inc. (Remote)": "wayne enterprises",
	} {
		if got := Normalize(in).Base; got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHelpers(t *testing.T) {
	if d := Domain("https://www.Acme.com/contact"); d != "acme.com" {
		t.Errorf("Domain = %q", d)
	}
	if d := Domain("it@acme.co.uk"); d != "acme.co.uk" {
		t.Errorf("Domain of e-mail = %q", d)
	}
	if !SameID("00123", "123") || !SameID("ACME-01", "acme01") || SameID("", "") || SameID("12", "13") {
		t.Error("SameID")
	}
	if s := NameSimilarity(Normalize("Quitzon Group"), Normalize("Group Quitzon")); s != 1 {
		t.Errorf("word order: %v", s)
	}
	if s := NameSimilarity(Normalize("Frami-Orn"), Normalize("Framq-Orn")); s < 0.86 {
		t.Errorf("one typo: %v", s)
	}
	if s := NameSimilarity(Normalize("Acme"), Normalize("Globex")); s > 0.5 {
		t.Errorf("different names: %v", s)
	}
}

func TestSuggestPicksOneAccountPerOrgAndReportsTheRest(t *testing.T) {
	orgs := []*Party{
		NewParty("acme", "Acme Corporation", []string{"acme.com"}, nil, nil),
		NewParty("globex", "Globex", nil, nil, map[string]string{"halopsa_id": "0042"}),
		NewParty("initech", "Initech", nil, nil, nil),
		NewParty("umbrella", "Umbrella", nil, nil, nil),
		NewParty("hooli", "Hooli", nil, nil, nil),
	}
	accounts := []*Party{
		NewParty("1", "ACME Inc. - Main Office", nil, nil, nil),
		NewParty("2", "Totally Different Name", []string{"https://www.acme.com"}, nil, nil),
		NewParty("42", "Globex Holdings", nil, nil, nil),
		NewParty("7", "Initech LLC", nil, nil, nil),
		NewParty("8", "Initech Ltd", nil, nil, nil),
		NewParty("9", "Stark Industries", nil, nil, nil),
	}
	res, err := Suggest(context.Background(), Input{Integration: "halopsa", Orgs: orgs, Accounts: accounts, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Suggestion{}
	for _, s := range res.Suggestions {
		got[s.Org] = s
	}
	// Identity keys beat names: the domain match wins over the name match.
	if s := got["acme"]; s.Account != "2" || s.Rule != "same-domain" || s.Why == "" {
		t.Errorf("acme: %+v", s)
	}
	if s := got["globex"]; s.Account != "42" || s.Rule != "external-id" {
		t.Errorf("globex: %+v", s)
	}
	if a := res.Ambiguous["initech"]; len(a) != 2 {
		t.Errorf("initech should be ambiguous between 7 and 8: %v (suggested %+v)", a, got["initech"])
	}
	if strings.Join(res.Unmatched, ",") != "hooli,umbrella" {
		t.Errorf("unmatched = %v", res.Unmatched)
	}
}

func TestTwoOrgsWantingOneAccountGetNeither(t *testing.T) {
	orgs := []*Party{NewParty("a", "Acme Ltd", nil, nil, nil), NewParty("b", "Acme GmbH", nil, nil, nil)}
	res, err := Suggest(context.Background(), Input{Orgs: orgs, Accounts: parties("ACME Inc")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Suggestions) != 0 || len(res.Ambiguous) != 2 {
		t.Fatalf("suggestions %+v ambiguous %v", res.Suggestions, res.Ambiguous)
	}
}

func TestRuleSyntaxErrorHasLineAndColumn(t *testing.T) {
	src := "rules:\n  - name: ok\n    score: org.norm == account.norm\n  - name: broken\n    score: name_similarity(org, account) >= \n    min: 0.5\n"
	_, err := ParseRules("my-rules.yaml", []byte(src))
	var se *RuleSyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	if se.Line != 5 || se.Column < 12 || se.Rule != "broken" || !strings.HasPrefix(err.Error(), "my-rules.yaml:5:") {
		t.Fatalf("err = %v (line %d col %d)", err, se.Line, se.Column)
	}
	_, err = ParseRules("r.yaml", []byte("rules:\n  - name: typo\n    score: |\n      org.norm ==\n        acount.norm\n"))
	if !errors.As(err, &se) || se.Line != 5 || !strings.Contains(se.Message, "acount") {
		t.Fatalf("multi-line: %v", err)
	}
	for _, bad := range []string{"", "rules: 3", "rules:\n  - score: true", "rules:\n  - name: x\n    score: true\n    min: 2", "rules:\n  - name: x\n    scor: true"} {
		if _, err := ParseRules("r.yaml", []byte(bad)); !errors.As(err, &se) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestRuleRuntimeErrorNamesRuleAndPair(t *testing.T) {
	rules, err := ParseRules("r.yaml", []byte("rules:\n  - name: divide\n    score: int(account.attributes.code) > 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Suggest(context.Background(), Input{Orgs: parties("Acme"), Accounts: parties("Acme"), Rules: rules})
	var re *RuleError
	if !errors.As(err, &re) || re.Rule != "divide" || re.Org != "id0" || re.Account != "id0" {
		t.Fatalf("err = %v", err)
	}
	rules, _ = ParseRules("r.yaml", []byte("rules:\n  - name: text\n    score: account.name\n"))
	_, err = Suggest(context.Background(), Input{Orgs: parties("Acme"), Accounts: parties("Acme"), Rules: rules})
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "want a boolean or a number") {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultRulesCompile(t *testing.T) {
	r := DefaultRules()
	if len(r.Rules) < 4 || r.Rules[0].Name != "external-id" {
		t.Fatalf("default rules: %+v", r.Rules)
	}
}

// synthetic makes n organizations and, for each, an account as a tool
// would hold it — a typo, another legal form, other case, words swapped —
// shuffled, plus n/5 accounts that match nobody.
func synthetic(n int, seed uint64) (orgs, accounts []*Party, truth map[string]string) {
	r := rand.New(rand.NewPCG(seed, 7))
	syll := []string{"ka", "lo", "mi", "ra", "ten", "vor", "sil", "bex", "dra", "quin", "zor", "pel", "mar", "tis", "gon", "fey", "lun", "cor", "ash", "bri", "nel", "vat", "rho", "sen"}
	word := func() string {
		w := ""
		for k := 2 + r.IntN(2); k > 0; k-- {
			w += syll[r.IntN(len(syll))]
		}
		return strings.ToUpper(w[:1]) + w[1:]
	}
	forms := []string{"Inc", "LLC", "Ltd", "GmbH", "Corp.", "", "Pty Ltd", "S.A."}
	seen := map[string]bool{}
	truth = map[string]string{}
	for len(orgs) < n {
		base := word() + " " + word()
		if r.IntN(3) == 0 {
			base += " " + word()
		}
		if seen[base] {
			continue
		}
		seen[base] = true
		id := fmt.Sprintf("org%06d", len(orgs))
		orgs = append(orgs, NewParty(id, base+" "+forms[r.IntN(len(forms))], nil, nil, nil))
		variant := base
		switch r.IntN(4) {
		case 0: // a typo
			b := []byte(base)
			b[1+r.IntN(len(b)-2)] = 'x'
			variant = string(b)
		case 1:
			variant = strings.ToUpper(base)
		case 2: // words swapped
			f := strings.Fields(base)
			f[0], f[len(f)-1] = f[len(f)-1], f[0]
			variant = strings.Join(f, " ")
		}
		acct := fmt.Sprintf("a%06d", len(accounts))
		accounts = append(accounts, NewParty(acct, variant+" "+forms[r.IntN(len(forms))], nil, nil, nil))
		truth[id] = acct
	}
	for i := 0; i < n/5; i++ {
		accounts = append(accounts, NewParty(fmt.Sprintf("x%06d", i), word()+" "+word()+" Holdings", nil, nil, nil))
	}
	r.Shuffle(len(accounts), func(i, j int) { accounts[i], accounts[j] = accounts[j], accounts[i] })
	return orgs, accounts, truth
}

func TestSuggestOnSyntheticData(t *testing.T) {
	orgs, accounts, truth := synthetic(2000, 1)
	res, err := Suggest(context.Background(), Input{Orgs: orgs, Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for _, s := range res.Suggestions {
		if truth[s.Org] == s.Account {
			right++
		}
	}
	precision := float64(right) / float64(len(res.Suggestions))
	recall := float64(right) / float64(len(orgs))
	t.Logf("synthetic 2,000: %d suggested, %d right: precision %.3f recall %.3f; %d ambiguous, %d unmatched",
		len(res.Suggestions), right, precision, recall, len(res.Ambiguous), len(res.Unmatched))
	if precision < 0.98 || recall < 0.9 {
		t.Errorf("precision %.3f recall %.3f, want ≥ 0.98 and ≥ 0.9", precision, recall)
	}
}

func benchmarkSuggest(b *testing.B, n int) {
	orgs, accounts, _ := synthetic(n, 2)
	b.ResetTimer()
	for range b.N {
		// Preparing the parties (normalising every name) is part of each run.
		o2, a2 := make([]*Party, len(orgs)), make([]*Party, len(accounts))
		for i, p := range orgs {
			o2[i] = NewParty(p.ID, p.Name, p.Domains, p.Tags, p.Attributes)
		}
		for i, p := range accounts {
			a2[i] = NewParty(p.ID, p.Name, p.Domains, p.Tags, p.Attributes)
		}
		res, err := Suggest(context.Background(), Input{Orgs: o2, Accounts: a2})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res.Suggestions)), "suggested")
		b.ReportMetric(float64(res.Stats.Candidates)/float64(n), "candidates/org")
	}
}

// BenchmarkSuggest10k and 50k are the figures: n organizations
// against n + n/5 accounts with the default rules, normalising every name
// included.
func BenchmarkSuggest10k(b *testing.B) { benchmarkSuggest(b, 10_000) }
func BenchmarkSuggest50k(b *testing.B) { benchmarkSuggest(b, 50_000) }
