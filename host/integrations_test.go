package host_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/wasmtest"
)

// versionedWasm writes a tiny connector "versioned" (built byte by byte, so
// nothing compiles for long) in version 1 or 2: version 2 adds an action,
// drops one and adds a required config field.
func versionedWasm(t testing.TB, v2 bool) string {
	m := `{"abi":"1.0","name":"versioned","version":"1.0.0","category":"PSA","description":"A test connector for upgrades.",` +
		`"tags":["test","tickets"],"config":[{"name":"api_key","type":"string","secret":true}],` +
		`"auth":{"type":"header","name":"X-Api-Key","secret":"api_key"},` +
		`"actions":[{"name":"version"},{"name":"list_tickets"}]}`
	name := "versioned-1.wasm"
	if v2 {
		m = `{"abi":"1.0","name":"versioned","version":"2.0.0","category":"PSA","description":"A test connector for upgrades.",` +
			`"tags":["test","tickets"],"config":[{"name":"api_key","type":"string","secret":true},{"name":"region","type":"string","required":true,"enum":["eu","us"]}],` +
			`"auth":{"type":"header","name":"X-Api-Key","secret":"api_key"},` +
			`"actions":[{"name":"version"},{"name":"create_ticket"}]}`
		name = "versioned-2.wasm"
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, wasmtest.Connector(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// newHome makes an empty home sharing the package's compiled-code cache,
// so each connector compiles once per test run.
func newHome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	shared := filepath.Join(home, "cache")
	os.MkdirAll(shared, 0o755)
	if err := os.Symlink(shared, filepath.Join(dir, "cache")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openHome(t *testing.T, dir string, catalogs ...string) *host.Host {
	t.Helper()
	return openHomeLogging(t, dir, nil, catalogs...)
}

// openHomeLogging opens a host whose connector logs go to logs.
func openHomeLogging(t *testing.T, dir string, logs *bytes.Buffer, catalogs ...string) *host.Host {
	t.Helper()
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h, err := host.Open(context.Background(), host.Config{Home: dir, Catalogs: catalogs, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

// copyFile copies src to dst, so a test can edit the copy.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// statusServer is a fake tool answering GET /status only to the bearer
// token it expects.
func statusServer(t *testing.T, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"up":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestIntegrationLifecycle(t *testing.T) {
	ctx := context.Background()
	homeDir, catalog := newHome(t), t.TempDir()
	copyFile(t, helloWasm(t), filepath.Join(catalog, "hello.wasm"))
	copyFile(t, versionedWasm(t, false), filepath.Join(catalog, "versioned.wasm"))
	os.WriteFile(filepath.Join(catalog, "junk.wasm"), []byte("not wasm"), 0o644)
	var logs bytes.Buffer
	h := openHomeLogging(t, homeDir, &logs, catalog)
	in := h.Integrations()

	l, err := in.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Installed) != 0 || len(l.Available) != 2 || l.Available[0].Name != "hello" || l.Available[1].Name != "versioned" {
		t.Fatalf("fresh list: installed %v, available %v", l.Installed, l.Available)
	}
	if len(l.Problems) != 1 || !strings.Contains(l.Problems[0].Problem, "magic") {
		t.Errorf("junk.wasm should be listed as a problem: %+v", l.Problems)
	}

	res, err := in.Install(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "installed" || res.Integration.Source != filepath.Join(catalog, "hello.wasm") {
		t.Errorf("install: %+v", res)
	}
	l, _ = in.List(ctx)
	if len(l.Installed) != 1 || l.Installed[0].Status != host.StatusInstalled || len(l.Available) != 1 {
		t.Fatalf("after install: %+v", l)
	}

	// A bad value is refused with its field named, and nothing is saved.
	_, err = in.Configure(ctx, "hello", host.ConfigureInput{Set: map[string]any{"base_url": "not a url", "colour": "red"}})
	var ce *host.ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 2 || ce.Problems[0].Field != "base_url" || ce.Problems[1].Field != "colour" {
		t.Fatalf("bad configuration: %v", err)
	}
	// A secret given as a plain value is refused.
	if _, err := in.Configure(ctx, "hello", host.ConfigureInput{Set: map[string]any{"token": "x"}}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "is secret") {
		t.Errorf("secret in Set: %v", err)
	}
	if d, _ := in.Show(ctx, "hello"); len(d.Configurations) != 0 {
		t.Fatalf("a refused configuration was saved: %+v", d.Configurations)
	}

	// A good configuration saves, and its check runs against the fake tool.
	const token = "tok-Plaintext-7731"
	srv := statusServer(t, token)
	allow := true
	cr, err := in.Configure(ctx, "hello", host.ConfigureInput{
		Set:                  map[string]any{"base_url": srv.URL, "greeting": "Hi"},
		Secrets:              map[string]string{"token": token},
		AllowPrivateNetworks: &allow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cr.Created || cr.Check == nil || !cr.Check.OK || cr.Config.Name != "default" || !cr.Config.Default {
		t.Fatalf("configure: %+v check %+v", cr, cr.Check)
	}
	if cr.Config.Values["token"] != host.SecretMask {
		t.Errorf("token shown as %v, want the mask", cr.Config.Values["token"])
	}
	// A second configuration with a wrong token saves with a failing check.
	cr, err = in.Configure(ctx, "hello", host.ConfigureInput{Config: "tenant-b",
		Set: map[string]any{"base_url": srv.URL}, Secrets: map[string]string{"token": "wrong"}, AllowPrivateNetworks: &allow})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Check == nil || cr.Check.OK || !strings.Contains(cr.Check.Message, "401") && !strings.Contains(cr.Check.Message, "unauthenticated") {
		t.Errorf("failing check: %+v", cr.Check)
	}
	l, _ = in.List(ctx)
	if l.Installed[0].Status != host.StatusCheckFailing || l.Installed[0].Configurations != 2 {
		t.Errorf("list after a failing check: %+v", l.Installed[0])
	}

	// The stored configuration drives calls; the secret reaches the tool.
	cl, err := h.Client(ctx, "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cl.Invoke(ctx, "greet", []byte(`{"name":"Ada"}`))
	if err != nil || !strings.Contains(string(out), "Hi, Ada!") {
		t.Fatalf("greet with the stored configuration: %s, %v", out, err)
	}
	if out, err := cl.Invoke(ctx, "status", nil); err != nil || !strings.Contains(string(out), `"up":true`) {
		t.Fatalf("status: %s, %v", out, err)
	}

	// Search ranks by name, then other fields.
	found, err := in.Search(ctx, "hello")
	if err != nil || len(found) == 0 || found[0].Name != "hello" || found[0].Matched[0] != "name" {
		t.Errorf("search hello: %+v, %v", found, err)
	}
	found, _ = in.Search(ctx, "tickets")
	if len(found) != 1 || found[0].Name != "versioned" {
		t.Errorf("search tickets (a tag and an action of versioned): %+v", found)
	}

	// A mapping survives uninstall and is found by a reinstall.
	mapByHand(t, h, "hello", "Acme", "1")
	un, err := in.Uninstall(ctx, "hello", host.UninstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if un.Removed.Configurations != 2 || un.KeptMappings != 1 {
		t.Errorf("uninstall: %+v", un)
	}
	if _, err := in.Show(ctx, "hello"); !errors.As(err, new(*host.NotInstalledError)) {
		t.Errorf("show after uninstall: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(homeDir, "modules"))
	if len(entries) != 0 {
		t.Errorf("module files left after uninstall: %v", entries)
	}
	res, err = in.Install(ctx, filepath.Join(catalog, "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Mapped != 1 {
		t.Errorf("reinstall found %d mappings, want 1", res.Mapped)
	}
	un, err = in.Uninstall(ctx, "hello", host.UninstallOptions{Purge: true})
	if err != nil || un.Removed.Mappings != 1 {
		t.Errorf("purge: %+v, %v", un, err)
	}
	if m, _ := h.Mappings().List(ctx, "hello"); len(m) != 0 {
		t.Errorf("mapping left after purge: %v", m)
	}

	// The secret's plaintext is in no file under the home and no log.
	h.Close(ctx)
	assertNotInFiles(t, homeDir, token)
	if !strings.Contains(logs.String(), "greeting") {
		t.Errorf("the connector's logs did not reach the logger: %q", logs.String())
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the secret is in the logs")
	}
}

func assertNotInFiles(t *testing.T, dir, secret string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return nil
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("the secret's plaintext is in %s", path)
		}
		return nil
	})
}

func TestInstalledModuleIgnoresLaterEditsOfItsSource(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "versioned.wasm")
	copyFile(t, versionedWasm(t, false), src)
	h := openHome(t, newHome(t))
	in := h.Integrations()
	if _, err := in.Install(ctx, src); err != nil {
		t.Fatal(err)
	}
	// The author rebuilds over the same path; the installed one stays v1.
	copyFile(t, versionedWasm(t, true), src)
	cl, err := h.Client(ctx, "versioned", "")
	if err != nil {
		t.Fatal(err)
	}
	if v := cl.Connector().Manifest().Version; v != "1.0.0" {
		t.Fatalf("installed integration loads version %s; want 1.0.0", v)
	}
	if _, err := cl.Invoke(ctx, "list_tickets", nil); err != nil {
		t.Fatalf("an action of version 1: %v", err)
	}
	d, _ := in.Show(ctx, "versioned")
	if d.Integration.Version != "1.0.0" {
		t.Errorf("show says %s", d.Integration.Version)
	}
}

func TestUpgradeKeepsConfigurationsAndSaysWhatChanged(t *testing.T) {
	ctx := context.Background()
	h := openHome(t, newHome(t))
	in := h.Integrations()
	if _, err := in.Install(ctx, versionedWasm(t, false)); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Configure(ctx, "versioned", host.ConfigureInput{Secrets: map[string]string{"api_key": "k"}}); err != nil {
		t.Fatal(err)
	}
	res, err := in.Install(ctx, versionedWasm(t, true))
	if err != nil {
		t.Fatal(err)
	}
	c := res.Changes
	if res.Action != "upgraded" || res.FromVersion != "1.0.0" ||
		strings.Join(c.ActionsAdded, ",") != "create_ticket" || strings.Join(c.ActionsRemoved, ",") != "list_tickets" ||
		strings.Join(c.FieldsAdded, ",") != "region" || len(c.FieldsRemoved) != 0 {
		t.Fatalf("upgrade: %+v changes %+v", res, c)
	}
	if p := res.ConfigProblems["default"]; len(p) != 1 || p[0].Field != "region" {
		t.Errorf("the kept configuration lacks the new required field; got %v", res.ConfigProblems)
	}
	d, err := in.Show(ctx, "versioned")
	if err != nil || len(d.Configurations) != 1 || d.Integration.Version != "2.0.0" {
		t.Fatalf("after upgrade: %+v, %v", d, err)
	}
	// Installing the same bytes again changes nothing.
	if res, _ := in.Install(ctx, versionedWasm(t, true)); res.Action != "unchanged" {
		t.Errorf("reinstall of the same build: %s", res.Action)
	}
	// Fixing the configuration clears the problem.
	cr, err := in.Configure(ctx, "versioned", host.ConfigureInput{Set: map[string]any{"region": "eu"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cr.Changed, ",") != "region" || cr.Check != nil {
		t.Errorf("configure: changed %v, check %v (versioned has no check)", cr.Changed, cr.Check)
	}
	if res, _ := in.Install(ctx, versionedWasm(t, true)); len(res.ConfigProblems) != 0 {
		t.Errorf("problems after the fix: %v", res.ConfigProblems)
	}
}

func TestUninstallRefusedWhileACrateNeedsIt(t *testing.T) {
	ctx := context.Background()
	h := openHome(t, newHome(t))
	in := h.Integrations()
	if _, err := in.Install(ctx, versionedWasm(t, false)); err != nil {
		t.Fatal(err)
	}
	if err := host.RecordUnpackedCrateForTest(h, "ticket-sync", "versioned"); err != nil {
		t.Fatal(err)
	}
	_, err := in.Uninstall(ctx, "versioned", host.UninstallOptions{})
	var ne *host.NeededByCratesError
	if !errors.As(err, &ne) || ne.Crates[0] != "ticket-sync" {
		t.Fatalf("uninstall needed by a crate: %v", err)
	}
	if _, err := in.Show(ctx, "versioned"); err != nil {
		t.Fatalf("refused uninstall removed something: %v", err)
	}
	if _, err := in.Uninstall(ctx, "versioned", host.UninstallOptions{Force: true}); err != nil {
		t.Fatalf("forced uninstall: %v", err)
	}
}

func TestRequests(t *testing.T) {
	ctx := context.Background()
	h := openHome(t, newHome(t))
	r := h.Requests()
	a, err := r.Add(ctx, "IT Glue", "documentation for every client", "ann")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.Add(ctx, "Datto RMM", "", "ann")
	if _, err := r.Add(ctx, "  it   glue ", "", "bob"); !errors.As(err, new(*host.DuplicateRequestError)) {
		t.Errorf("duplicate request: %v", err)
	}
	if _, err := r.Vote(ctx, b.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Vote(ctx, b.ID, "bob"); !errors.As(err, new(*host.AlreadyVotedError)) {
		t.Errorf("second vote: %v", err)
	}
	if _, err := r.Vote(ctx, 99, "bob"); !errors.Is(err, host.ErrNoRequest) {
		t.Errorf("vote for a missing request: %v", err)
	}
	list, _ := r.List(ctx)
	if len(list) != 2 || list[0].ID != b.ID || list[0].Votes() != 2 || list[1].ID != a.ID {
		t.Errorf("list: %+v", list)
	}
}

func TestSecondHostOnTheSameHomeIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := newHome(t)
	h1 := openHome(t, dir)
	if _, err := h1.Requests().List(ctx); err != nil {
		t.Fatal(err)
	}
	h2 := openHome(t, dir)
	_, err := h2.Requests().List(ctx)
	var inUse *host.HomeInUseError
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "in use by another roost process") {
		t.Fatalf("second host: %v", err)
	}
	h1.Close(ctx)
	if _, err := h2.Requests().List(ctx); err != nil {
		t.Fatalf("after the first host closed: %v", err)
	}
}

func TestInstallFromTheBundledSet(t *testing.T) {
	ctx := context.Background()
	wasm, err := os.ReadFile(helloWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(wasm)
	zw.Close()
	probe := openHome(t, newHome(t))
	conn, err := probe.Load(ctx, "hello", wasm)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	idx, _ := json.Marshal(host.BundleIndex{Connectors: []host.BundleEntry{{
		File: "hello.wasm.gz", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm)), Manifest: conn.ManifestJSON()}}})
	bundle := fstest.MapFS{"index.json": {Data: idx}, "hello.wasm.gz": {Data: gz.Bytes()}}

	h, err := host.Open(ctx, host.Config{Home: newHome(t), Bundled: bundle})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	l, err := h.Integrations().List(ctx)
	if err != nil || len(l.Available) != 1 || l.Available[0].Source != host.SourceBundled {
		t.Fatalf("list: %+v, %v", l, err)
	}
	res, err := h.Integrations().Install(ctx, "hello")
	if err != nil || res.Integration.Source != host.SourceBundled || res.Integration.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("install from the bundle: %+v, %v", res, err)
	}
	// A bundle whose bytes do not match its index is refused.
	bundle["hello.wasm.gz"] = &fstest.MapFile{Data: gz.Bytes()[:gz.Len()/2]}
	h.Integrations().Uninstall(ctx, "hello", host.UninstallOptions{})
	if _, err := h.Integrations().Install(ctx, "hello"); err == nil {
		t.Fatal("a damaged bundled module was installed")
	}
}

// mapByHand adds organization orgName and saves its mapping to account in
// integration, through refresh, set and save.
func mapByHand(t *testing.T, h *host.Host, integration, orgName, account string) {
	t.Helper()
	ctx := t.Context()
	org, err := h.Organizations().Add(ctx, host.OrgInput{Name: orgName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Mappings().Refresh(ctx, integration, host.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Mappings().Set(ctx, integration, org.ID, account); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Mappings().Save(ctx, integration); err != nil {
		t.Fatal(err)
	}
}
