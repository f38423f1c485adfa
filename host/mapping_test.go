package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/match"
	"github.com/roosthq/roost/plugins"
	"github.com/roosthq/roost/plugins/fakes/connectwise"
	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// openBundled opens a host on a fresh home with the bundled connectors.
func openBundled(t testing.TB, dir string) *host.Host {
	t.Helper()
	h, err := host.Open(context.Background(), host.Config{Home: dir, Bundled: plugins.Bundled()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

// installHalo installs the bundled HaloPSA connector configured for fake.
func installHalo(t testing.TB, h *host.Host, fake *halopsa.Server) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.Integrations().Install(ctx, "halopsa"); err != nil {
		t.Fatal(err)
	}
	yes := true
	_, err := h.Integrations().Configure(ctx, "halopsa", host.ConfigureInput{
		Config: "default", AllowPrivateNetworks: &yes,
		Set:     map[string]any{"base_url": fake.URL(), "client_id": "roost-client"},
		Secrets: map[string]string{"client_secret": "roost-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func installConnectWise(t testing.TB, h *host.Host, fake *connectwise.Server) {
	t.Helper()
	ctx := context.Background()
	if _, err := h.Integrations().Install(ctx, "connectwise"); err != nil {
		t.Fatal(err)
	}
	yes := true
	_, err := h.Integrations().Configure(ctx, "connectwise", host.ConfigureInput{
		Config: "default", AllowPrivateNetworks: &yes,
		Set: map[string]any{"base_url": fake.BaseURL(), "company_id": "roost", "public_key": "pub",
			"client_id": connectwise.DefaultClientID},
		Secrets: map[string]string{"private_key": "priv"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRefreshPullsEveryAccountFromBothTools(t *testing.T) {
	ctx := context.Background()
	halo, err := halopsa.Start(halopsa.Options{Count: 2500, TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer halo.Close()
	cw, err := connectwise.Start(connectwise.Options{Count: 2500})
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	h := openBundled(t, newHome(t))
	installHalo(t, h, halo)
	installConnectWise(t, h, cw)

	for _, c := range []struct {
		name     string
		pageSize int
		pages    int
	}{{"halopsa", 100, 25}, {"connectwise", 250, 10}} {
		var progress []host.RefreshProgress
		res, err := h.Mappings().Refresh(ctx, c.name, host.RefreshOptions{PageSize: c.pageSize,
			Progress: func(p host.RefreshProgress) { progress = append(progress, p) }})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Accounts != 2500 || res.Pages != c.pages || res.Added != 2500 {
			t.Errorf("%s: %+v", c.name, res)
		}
		if len(progress) != c.pages || progress[len(progress)-1].Accounts != 2500 {
			t.Errorf("%s: progress %v", c.name, progress[len(progress)-1])
		}
		opts, err := h.Mappings().Options(ctx, c.name)
		if err != nil || opts.Count != 2500 || len(opts.Accounts) != 2500 || opts.RefreshedAt.IsZero() {
			t.Fatalf("%s options: %d %v", c.name, len(opts.Accounts), err)
		}
	}
	// The host fetched one HaloPSA token and reused it for every page.
	if n := halo.TokensIssued(); n != 1 {
		t.Errorf("%d tokens fetched, want 1", n)
	}
	// Every ConnectWise request carried Basic company+public:private and clientId.
	for _, r := range cw.Requests() {
		if r.Status != 200 {
			t.Errorf("ConnectWise answered %d to %s %s", r.Status, r.Path, r.Query)
		}
	}
}

func TestRefreshWaitsOut429AndRefreshesARevokedToken(t *testing.T) {
	ctx := context.Background()
	halo, err := halopsa.Start(halopsa.Options{Count: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer halo.Close()
	h := openBundled(t, newHome(t))
	installHalo(t, h, halo)
	if _, err := h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 100}); err != nil {
		t.Fatal(err)
	}
	// Every third request is refused with 429 and Retry-After: 1; the
	// token is revoked, so the first page gets a 401 and a new token.
	halo.ResetRequests()
	halo.RateLimit(3, 1)
	halo.RevokeTokens()
	start := time.Now()
	res, err := h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounts != 300 {
		t.Errorf("accounts %d", res.Accounts)
	}
	var statuses []int
	for _, r := range halo.Requests() {
		statuses = append(statuses, r.Status)
	}
	if !contains(statuses, 429) || !contains(statuses, 401) {
		t.Errorf("statuses %v: want a 429 and a 401 on the way", statuses)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("finished in %v: Retry-After: 1 was not honoured", waited)
	}
	if halo.TokensIssued() != 2 {
		t.Errorf("%d tokens issued, want 2", halo.TokensIssued())
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestRefreshStopsAToolThatRepeatsItself(t *testing.T) {
	ctx := context.Background()
	halo, err := halopsa.Start(halopsa.Options{Count: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer halo.Close()
	cw, err := connectwise.Start(connectwise.Options{Count: 150})
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	h := openBundled(t, newHome(t))
	installHalo(t, h, halo)
	installConnectWise(t, h, cw)
	if _, err := h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 100}); err != nil {
		t.Fatal(err)
	}

	// HaloPSA answers page 1 for every page number and claims more.
	halo.RepeatPages(true)
	_, err = h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 100})
	var re *host.RefreshError
	if !errors.Is(err, host.ErrRepeatedPage) || !errors.As(err, &re) || re.Page != 2 {
		t.Fatalf("repeating pages: %v", err)
	}
	if !strings.Contains(err.Error(), "previous options (150 accounts") {
		t.Errorf("error does not say the previous options are kept: %v", err)
	}
	if o, _ := h.Mappings().Options(ctx, "halopsa"); o.Count != 150 {
		t.Errorf("previous options lost: %d", o.Count)
	}
	// ConnectWise links a page to itself.
	cw.SelfLink(true)
	_, err = h.Mappings().Refresh(ctx, "connectwise", host.RefreshOptions{PageSize: 100})
	if !(errors.Is(err, host.ErrRepeatedCursor) || errors.Is(err, host.ErrRepeatedPage)) || !strings.Contains(err.Error(), "there were no previous options") {
		t.Fatalf("self link: %v", err)
	}
	// A tool that fails part-way keeps the previous options.
	halo.RepeatPages(false)
	halo.Close()
	_, err = h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 100})
	if !errors.As(err, &re) || re.Previous == nil {
		t.Fatalf("unreachable tool: %v", err)
	}
}

func TestSuggestReviewSave(t *testing.T) {
	ctx := context.Background()
	companies := fakedata.Companies(40, 9)
	halo, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer halo.Close()
	dir := newHome(t)
	h := openBundled(t, dir)
	installHalo(t, h, halo)
	orgs := h.Organizations()
	if _, err := orgs.Add(ctx, host.OrgInput{Name: "Roost MSP", Own: true}); err != nil {
		t.Fatal(err)
	}
	// 30 of the 40 customers are organizations, named as people write
	// them (no legal form, other case); one carries its HaloPSA id, one a domain.
	for i, c := range companies[:30] {
		in := host.OrgInput{Name: strings.ToUpper(match.Normalize(c.Name).Base)}
		switch i {
		case 3:
			in = host.OrgInput{Name: "Known By Id", Attributes: map[string]string{"halopsa_id": fmt.Sprint(100 + i)}}
		case 4:
			in = host.OrgInput{Name: "Known By Domain", Domains: []string{"it@" + c.Domain}}
		}
		if _, err := orgs.Add(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := orgs.Add(ctx, host.OrgInput{Name: "Nobody In Halo"}); err != nil {
		t.Fatal(err)
	}
	mp := h.Mappings()
	if _, err := mp.Suggest(ctx, "halopsa", host.SuggestOptions{}); !errors.As(err, new(*host.NoOptionsError)) {
		t.Fatalf("suggest before refresh: %v", err)
	}
	if _, err := mp.Refresh(ctx, "halopsa", host.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := mp.Suggest(ctx, "halopsa", host.SuggestOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Suggestions) != 30 || strings.Join(rep.Unmatched, ",") != "nobody-in-halo" {
		t.Fatalf("suggested %d, unmatched %v, ambiguous %v", len(rep.Suggestions), rep.Unmatched, rep.Ambiguous)
	}
	rules := map[string]string{}
	for _, s := range rep.Suggestions {
		rules[s.Org] = s.Rule
		if s.Why == "" {
			t.Errorf("no explanation for %s", s.Org)
		}
	}
	if rules["known-by-id"] != "external-id" || rules["known-by-domain"] != "same-domain" {
		t.Errorf("identity rules: %v", rules)
	}
	// Nothing is saved until save; the review pages 10 at a time.
	if m, _ := mp.List(ctx, "halopsa"); len(m) != 0 {
		t.Fatalf("suggest saved %d mappings", len(m))
	}
	page, err := mp.View(ctx, "halopsa", host.ViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if page.PageSize != 10 || page.Total != 31 || page.Pages != 4 || len(page.Rows) != 10 || page.Pending != 30 || page.Unmapped != 1 {
		t.Fatalf("page: size %d total %d pages %d rows %d pending %d unmapped %d", page.PageSize, page.Total, page.Pages, len(page.Rows), page.Pending, page.Unmapped)
	}
	last, _ := mp.View(ctx, "halopsa", host.ViewOptions{Page: 4})
	if len(last.Rows) != 1 {
		t.Errorf("last page has %d rows", len(last.Rows))
	}
	if _, err := mp.View(ctx, "halopsa", host.ViewOptions{Page: 5}); err == nil {
		t.Error("page 5 of 4 answered")
	}
	un, _ := mp.View(ctx, "halopsa", host.ViewOptions{Unmapped: true})
	if un.Total != 1 || un.Rows[0].Org != "nobody-in-halo" || un.Rows[0].Status != "unmapped" {
		t.Errorf("unmapped view: %+v", un.Rows)
	}

	// A hand-made choice overrides a suggestion and survives the next suggest.
	first := rep.Suggestions[0]
	if _, err := mp.Set(ctx, "halopsa", "nobody-in-halo", companies[35].Name); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Set(ctx, "halopsa", "nobody-in-halo", "no such account"); err == nil {
		t.Error("set to an unknown account")
	}
	if _, err := mp.Save(ctx, "halopsa"); err != nil {
		t.Fatal(err)
	}
	saved, _ := mp.List(ctx, "halopsa")
	if len(saved) != 31 {
		t.Fatalf("saved %d", len(saved))
	}
	acct, err := mp.AccountFor(ctx, "halopsa", "Nobody In Halo")
	if err != nil || acct.AccountID != "135" || acct.Config != "default" {
		t.Fatalf("account for nobody-in-halo: %+v %v", acct, err)
	}
	if _, err := mp.Save(ctx, "halopsa"); err == nil {
		t.Error("save with an empty draft")
	}
	rep, err = mp.Suggest(ctx, "halopsa", host.SuggestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Changed != 0 || strings.Join(rep.Kept, ",") != "nobody-in-halo" {
		t.Errorf("second suggest: changed %d, kept %v", rep.Changed, rep.Kept)
	}
	if a, _ := mp.AccountFor(ctx, "halopsa", "nobody-in-halo"); a.AccountID != "135" {
		t.Errorf("hand-made mapping overwritten: %+v", a)
	}

	// Save is all-or-nothing: a draft mapping one account to two
	// organizations saves nothing.
	if _, err := mp.Set(ctx, "halopsa", "nobody-in-halo", first.Account); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Set(ctx, "halopsa", rep.Kept[0], first.Account); err != nil {
		t.Fatal(err)
	}
	other := rep.Suggestions
	_ = other
	before, _ := mp.List(ctx, "halopsa")
	_, err = mp.Save(ctx, "halopsa")
	var ce *host.ConflictError
	if !errors.As(err, &ce) || len(ce.Conflicts[first.Account]) != 2 {
		t.Fatalf("conflicting save: %v", err)
	}
	after, _ := mp.List(ctx, "halopsa")
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Error("a refused save changed the saved mapping")
	}
	if n, err := mp.Discard(ctx, "halopsa"); err != nil || n != 1 {
		t.Errorf("discard: %d %v", n, err)
	}

	// Uninstall and reinstall keep the mapping; the workflow API sees it.
	if _, err := h.Integrations().Uninstall(ctx, "halopsa", host.UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Integrations().Install(ctx, "halopsa"); err != nil {
		t.Fatal(err)
	}
	if m, _ := mp.List(ctx, "halopsa"); len(m) != 31 {
		t.Errorf("after reinstall: %d mappings", len(m))
	}

	// Removing an organization removes its mapping in the same change;
	// renaming its id moves it.
	if _, err := orgs.Update(ctx, "nobody-in-halo", host.OrgChange{ID: ptr("found-in-halo")}); err != nil {
		t.Fatal(err)
	}
	if a, err := mp.AccountFor(ctx, "halopsa", "found-in-halo"); err != nil || a.AccountID != "135" {
		t.Errorf("after id change: %+v %v", a, err)
	}
	if _, err := orgs.Remove(ctx, "found-in-halo"); err != nil {
		t.Fatal(err)
	}
	if m, _ := mp.List(ctx, "halopsa"); len(m) != 30 {
		t.Errorf("after remove: %d mappings", len(m))
	}
	if _, err := orgs.Remove(ctx, "roost-msp"); err == nil || !strings.Contains(err.Error(), "manages") {
		t.Errorf("removing the managing organization: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestOrganizationsImport(t *testing.T) {
	ctx := context.Background()
	dir := newHome(t)
	h := openHome(t, dir)
	orgs := h.Organizations()
	if _, err := orgs.Add(ctx, host.OrgInput{Name: "Roost MSP", ID: "msp", Own: true}); err != nil {
		t.Fatal(err)
	}
	csvText := "organizationName,managingOrgId,domain,orgSlug,isEnabled,tagNames,halopsa_id\n" +
		"Acme Corporation,msp,acme.com,acme,true,\"gold,east\",101\n" +
		",msp,,,true,,\n" + // line 3: no name
		"Globex,nobody,,,true,,\n" + // line 4: unknown parent
		"\"Initech\nLLC\",,initech.com,,maybe,,\n" + // line 5 (two lines): bad isEnabled
		"Umbrella,acme,not a domain,,,,\n" + // line 7: bad domain
		"Hooli,acme,hooli.com,hooli,false,,\n" + // line 8: parent earlier in the file
		"Pied Piper,hooli,,,,,\n" + // line 9
		"Dup,msp,,acme,,,\n" // line 10: slug repeated
	rep, err := orgs.Import(ctx, strings.NewReader(csvText), host.ImportOptions{Atomic: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, e := range rep.Errors {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[3 4 5 7 10]" || rep.Imported {
		t.Fatalf("atomic import: errors on lines %v (%+v), imported %v", lines, rep.Errors, rep.Imported)
	}
	if all, _ := orgs.List(ctx); len(all) != 1 {
		t.Fatalf("--atomic with errors imported %d", len(all)-1)
	}
	rep, err = orgs.Import(ctx, strings.NewReader(csvText), host.ImportOptions{})
	if err != nil || !rep.Imported || len(rep.Created) != 3 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	acme, err := orgs.Get(ctx, "acme")
	if err != nil || acme.ParentID != "msp" || acme.Attributes["halopsa_id"] != "101" || strings.Join(acme.Tags, ",") != "gold,east" || acme.Domains[0] != "acme.com" {
		t.Fatalf("acme: %+v %v", acme, err)
	}
	if pp, _ := orgs.Get(ctx, "Pied Piper"); pp.ParentID != "hooli" {
		t.Errorf("pied piper: %+v", pp)
	}
	if hooli, _ := orgs.Get(ctx, "hooli"); !hooli.Disabled {
		t.Errorf("hooli should be disabled")
	}
	// Export then import round-trips; a second import updates, not duplicates.
	var out strings.Builder
	if err := orgs.Export(ctx, &out); err != nil {
		t.Fatal(err)
	}
	rep, err = orgs.Import(ctx, strings.NewReader(out.String()), host.ImportOptions{})
	if err != nil || len(rep.Created) != 0 || len(rep.Updated) != 4 || len(rep.Errors) != 0 {
		t.Fatalf("re-import: %+v %v\n%s", rep, err, out.String())
	}
	// The store file is there and nothing else was written beside it.
	if _, err := os.Stat(filepath.Join(dir, "store")); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRefresh50k is the refresh figure: 50,000 HaloPSA
// clients pulled from the local fake, 1,000 a page (50 pages through the
// wasm connector, each with an authenticated HTTP request), and stored.
func BenchmarkRefresh50k(b *testing.B) {
	halo, err := halopsa.Start(halopsa.Options{Count: 50_000})
	if err != nil {
		b.Fatal(err)
	}
	defer halo.Close()
	dir := b.TempDir()
	h := openBundled(b, dir)
	installHalo(b, h, halo)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		res, err := h.Mappings().Refresh(ctx, "halopsa", host.RefreshOptions{PageSize: 1000})
		if err != nil || res.Accounts != 50_000 {
			b.Fatal(res, err)
		}
	}
}
