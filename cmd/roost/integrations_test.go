package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/sdktest"
)

// newHome makes an empty Roost home that shares the compiled-code cache of
// the test binary's home, so connectors do not compile again.
func newHome(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	shared := filepath.Join(home, "cache")
	os.MkdirAll(shared, 0o755)
	if err := os.Symlink(shared, filepath.Join(h, "cache")); err != nil {
		t.Fatal(err)
	}
	return h
}

// roostAt runs the CLI in-process on homeDir with the environment env.
// roostAt runs the CLI in memory on a home. Under ROOST_TEST_VIA_SERVICE=1
// (TestCLIThroughAService) a roost serve owns the home first, so the same
// command goes through the service's socket.
func roostAt(t *testing.T, homeDir string, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	if viaService {
		ensureService(t, homeDir, env, args)
	}
	var out, errb bytes.Buffer
	code := Run(append([]string{"roost", "--home", homeDir}, args...), Options{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	})
	return result{code, out.String(), errb.String()}
}

func TestIntegrationsLifecycleThroughTheCLI(t *testing.T) {
	const secret = "Secret-Token-6b1f0e"
	var authorized int
	tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" || r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		authorized++
		w.Write([]byte(`{"up":true}`))
	}))
	defer tool.Close()

	h := newHome(t)
	catalog := t.TempDir()
	src := filepath.Join(catalog, "hello.wasm")
	copyTo(t, sdktest.Build(t, "../../examples/hello"), src)
	var outputs strings.Builder
	run := func(stdin string, args ...string) result {
		t.Helper()
		r := roostAt(t, h, map[string]string{"ROOST_CATALOG": catalog}, stdin, args...)
		outputs.WriteString(r.stdout + r.stderr)
		return r
	}
	jsonOf := func(r result, v any) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
	}

	// The catalogue offers hello beside the bundled connectors; nothing is installed.
	var l host.Listing
	jsonOf(run("", "integrations", "list", "--json"), &l)
	var names []string
	for _, a := range l.Available {
		names = append(names, a.Name)
	}
	if len(l.Installed) != 0 || strings.Join(names, ",") != "autotask,connectwise,halopsa,hello,huntress,itglue,m365,ninjaone,pax8" || l.Available[0].Source != "bundled" {
		t.Fatalf("fresh list: %+v", l)
	}
	// Install from the path.
	r := run("", "integrations", "install", src)
	if r.code != 0 || !strings.Contains(r.stdout, "installed hello 0.1.0") {
		t.Fatalf("install: %+v", r)
	}
	r = run("", "integrations", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "Installed (1)") || !regexpMatch(`hello\s+0\.1\.0\s+Other\s+installed\s+0\s+0/0`, r.stdout) {
		t.Fatalf("list:\n%s", r.stdout)
	}
	// Search finds it by an action name.
	var found []host.SearchResult
	jsonOf(run("", "integrations", "search", "echo", "--json"), &found)
	if len(found) != 1 || found[0].Name != "hello" {
		t.Fatalf("search echo: %+v", found)
	}
	// A bad value is rejected with the field named, and nothing is saved.
	r = run("", "integrations", "configure", "hello", "--set", "base_url=ftp://nowhere", "--no-check")
	if r.code != exitUsage || !strings.Contains(r.stderr, "base_url") || !strings.Contains(r.stderr, "nothing saved") {
		t.Fatalf("bad value: %+v", r)
	}
	// The secret on --set is refused before anything happens.
	r = run("", "integrations", "configure", "hello", "--set", "token="+secret)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--secret token") {
		t.Fatalf("secret on --set: %+v", r)
	}
	// A good one, with the secret on stdin; the check passes against the tool.
	r = run(secret+"\n", "integrations", "configure", "hello", "--set", "base_url="+tool.URL, "--secret", "token", "--allow-private-networks")
	if r.code != 0 || !strings.Contains(r.stdout, "saved configuration default (default) of hello") || !strings.Contains(r.stdout, "check: passed") {
		t.Fatalf("configure: %+v", r)
	}
	if authorized != 1 {
		t.Errorf("the tool saw %d authorized requests, want 1 (the check)", authorized)
	}
	authorized = 0
	// A second configuration from a YAML file (secret included) becomes the default.
	cfgFile := filepath.Join(t.TempDir(), "tenant-b.yaml")
	os.WriteFile(cfgFile, []byte("base_url: "+tool.URL+"\ngreeting: Howdy\ntoken: "+secret+"\n"), 0o600)
	r = run("", "integrations", "configure", "hello", "--config", "tenant-b", "--from-file", cfgFile, "--default", "--allow-private-networks")
	if r.code != 0 || !strings.Contains(r.stdout, "saved configuration tenant-b (default)") || !strings.Contains(r.stdout, "check: passed") {
		t.Fatalf("configure --from-file: %+v", r)
	}
	r = run("", "invoke", "hello", "greet", "--input", `{"name":"Bo"}`)
	if r.code != 0 || !strings.Contains(r.stdout, "Howdy, Bo!") {
		t.Fatalf("invoke with the new default: %+v", r)
	}
	r = run("", "invoke", "hello", "greet", "--input", `{"name":"Bo"}`, "--use", "default")
	if r.code != 0 || !strings.Contains(r.stdout, "Hello, Bo!") {
		t.Fatalf("invoke --use default: %+v", r)
	}
	r = run("", "integrations", "configure", "hello", "--config", "default", "--default", "--no-check")
	if r.code != 0 {
		t.Fatalf("back to default: %+v", r)
	}

	// Show masks the secret and has the check.
	var d host.Details
	jsonOf(run("", "integrations", "show", "hello", "--json"), &d)
	if len(d.Configurations) != 2 || d.Configurations[0].Values["token"] != host.SecretMask || d.Configurations[0].Check == nil || !d.Configurations[0].Check.OK {
		t.Fatalf("show: %+v", d.Configurations)
	}
	r = run("", "integrations", "show", "hello")
	if !strings.Contains(r.stdout, "check") || !strings.Contains(r.stdout, "passed") || !strings.Contains(r.stdout, host.SecretMask) {
		t.Errorf("show text:\n%s", r.stdout)
	}
	// The installed integration runs with its stored configuration.
	r = run("", "invoke", "hello", "status")
	if r.code != 0 || !strings.Contains(r.stdout, `"up": true`) {
		t.Fatalf("invoke status: %+v", r)
	}

	// A mapping, made by hand.
	for _, args := range [][]string{{"orgs", "add", "Acme"}, {"mapping", "refresh", "hello"},
		{"mapping", "set", "hello", "acme", "1"}, {"mapping", "save", "hello"}} {
		if r := run("", args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}

	// Uninstall answered "n" removes nothing.
	r = run("n\n", "integrations", "uninstall", "hello")
	if r.code != 0 || !strings.Contains(r.stderr, "Delete hello? [y/N]") || !strings.Contains(r.stdout, "not deleted") {
		t.Fatalf("uninstall n: %+v", r)
	}
	jsonOf(run("", "integrations", "show", "hello", "--json"), &d)
	// --yes removes it and keeps the mapping.
	r = run("", "integrations", "uninstall", "hello", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "uninstalled hello") || !strings.Contains(r.stdout, "kept the mapping of 1") {
		t.Fatalf("uninstall --yes: %+v", r)
	}
	if r = run("", "integrations", "show", "hello"); r.code == 0 || !strings.Contains(r.stderr, "not installed") {
		t.Fatalf("show after uninstall: %+v", r)
	}
	// Reinstall from the catalogue by name finds the old mapping.
	r = run("", "integrations", "install", "hello")
	if r.code != 0 || !strings.Contains(r.stdout, "kept the mapping of 1 organizations") {
		t.Fatalf("reinstall: %+v", r)
	}
	jsonOf(run("", "integrations", "list", "--json"), &l)
	if len(l.Installed) != 1 || l.Installed[0].Mapped != 1 {
		t.Fatalf("list after reinstall: %+v", l.Installed)
	}

	// The secret is in no output and no file under the home.
	if strings.Contains(outputs.String(), secret) {
		t.Error("the secret appears in a command's output")
	}
	filepath.WalkDir(h, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(secret)) {
			t.Errorf("the secret's plaintext is in %s", path)
		}
		return nil
	})
}

func withHost(t *testing.T, homeDir string, fn func(*host.Host)) {
	t.Helper()
	hh, err := host.Open(t.Context(), host.Config{Home: homeDir})
	if err != nil {
		t.Fatal(err)
	}
	defer hh.Close(t.Context())
	fn(hh)
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSecondProcessOnAHomeGetsAClearError(t *testing.T) {
	skipViaService(t, "two processes opening one home, with no service")
	h := newHome(t)
	// The first holder: a real roost process, waiting on stdin with the
	// home's store open (uninstall asks before deleting).
	wasm := sdktest.Build(t, "../../examples/hello")
	if r := roostAt(t, h, nil, "", "integrations", "install", wasm); r.code != 0 {
		t.Fatal(r)
	}
	cmd := exec.Command(os.Args[0], "--home", h, "integrations", "uninstall", "hello")
	cmd.Env = append(os.Environ(), "ROOST_TEST_AS_ROOST=1")
	stdin, _ := cmd.StdinPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "Delete hello?") {
		if time.Now().After(deadline) {
			t.Fatalf("the first process never asked: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := roostAt(t, h, nil, "", "integrations", "list")
	if r.code != exitBusy || !strings.Contains(r.stderr, "in use by another roost process") || !strings.Contains(r.stderr, "pid ") {
		t.Fatalf("second process: %+v", r)
	}
	stdin.Write([]byte("n\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("first process: %v", err)
	}
	if r := roostAt(t, h, nil, "", "integrations", "list"); r.code != 0 {
		t.Fatalf("after the first process ended: %+v", r)
	}
}
