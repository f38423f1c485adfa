package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScaffoldDevAndInvoke is the connector author's loop through the CLI:
// scaffold a connector, run its own test, build it, serve it with
// roost dev, call it with roost invoke, edit it (a reload), break it (the
// old build keeps serving), and fix it.
func TestScaffoldDevAndInvoke(t *testing.T) {
	root, _ := filepath.Abs("../..")
	dir := filepath.Join(t.TempDir(), "acme")
	home := newHome(t)
	run := func(args ...string) result { return roostAt(t, home, nil, "", args...) }

	r := run("connector", "new", "acme", "--dir", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "pass --sdk") {
		t.Fatalf("new outside Roost without --sdk: %+v", r)
	}
	if r = run("connector", "new", "Acme!", "--dir", dir, "--sdk", root); r.code != 2 {
		t.Fatalf("bad name: %+v", r)
	}
	if r = run("connector", "new", "acme", "--dir", dir, "--sdk", root); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	// The scaffold's own test passes as written.
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the scaffold's test: %v\n%s", err, out)
	}
	if r = run("connector", "build", dir, "--no-check"); r.code != 0 || !strings.Contains(r.stdout, "built ") {
		t.Fatalf("build: %+v", r)
	}

	// roost dev in the background, in this process.
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Run([]string{"roost", "--home", home, "dev", dir, "--config", "base_url=http://127.0.0.1:9", "--config", "api_key=k"},
			Options{Context: ctx, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("dev exited %d: %s", code, errb.String())
		}
		if _, err := os.Stat(filepath.Join(home, "dev", "acme.sock")); err == nil {
			t.Error("the session's socket is left behind")
		}
	}()
	waitFor(t, &out, "serving acme 0.1.0", 5*time.Minute)
	invoke := func() result { return run("invoke", "acme", "hello", "--input", `{"name":"Ada"}`) }
	if r = invoke(); r.code != 0 || !strings.Contains(r.stdout, "Hello, Ada!") {
		t.Fatalf("invoke through the session: %+v", r)
	}

	// Broken source: the build fails, the old build keeps serving.
	main := filepath.Join(dir, "main.go")
	src, _ := os.ReadFile(main)
	os.WriteFile(main, append(append([]byte(nil), src...), "\nthis is not Go\n"...), 0o644)
	waitFor(t, &out, "build failed; the previous build keeps serving", time.Minute)
	if r = invoke(); !strings.Contains(r.stdout, "Hello, Ada!") {
		t.Fatalf("after a broken build: %+v", r)
	}
	// A fixed edit with a new action reloads.
	edited := bytes.Replace(src, []byte(`"Hello, " + in.Name`), []byte(`"Howdy, " + in.Name`), 1)
	edited = bytes.Replace(edited, []byte(`sdk.NewAction("hello", "Greets someone; a first action to change.", hello),`),
		[]byte(`sdk.NewAction("hello", "Greets someone; a first action to change.", hello),
		sdk.NewAction("hello_again", "Greets once more.", hello),`), 1)
	os.WriteFile(main, edited, 0o644)
	waitFor(t, &out, "actions added: hello_again", 5*time.Minute)
	if !regexpMatch(`reloaded \(build 2\) in \S+: debounce \S+, go build \S+, load \S+, swap \S+`, out.String()) {
		t.Errorf("reload line:\n%s", out.String())
	}
	if r = invoke(); !strings.Contains(r.stdout, "Howdy, Ada!") {
		t.Fatalf("after the reload: %+v", r)
	}
	if r = run("invoke", "acme", "nope"); r.code != 3 || !strings.Contains(r.stderr, "unknown_action") {
		t.Errorf("unknown action through the session: %+v", r)
	}
}

func waitFor(t *testing.T, b *syncBuffer, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %q; output so far:\n%s", limit, want, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCScaffoldDev scaffolds a C connector, builds it with its build.sh,
// serves the .wasm with roost dev, and reloads it after a rebuild. Without
// a C toolchain it skips, except under CI, where the toolchain is installed.
func TestCScaffoldDev(t *testing.T) {
	if os.Getenv("CI") != "" {
		if out, err := exec.Command("../../examples/hello-c/build.sh", "--install", filepath.Join(t.TempDir(), "x.wasm")).CombinedOutput(); err != nil {
			t.Fatalf("install the C toolchain: %v\n%s", err, out)
		}
	} else if err := exec.Command("clang", "--version").Run(); err != nil {
		t.Skip("no clang: install clang, lld and wasi-libc (examples/hello-c/build.sh --install as root) to run this test")
	}
	dir := filepath.Join(t.TempDir(), "cc")
	home := newHome(t)
	run := func(args ...string) result { return roostAt(t, home, nil, "", args...) }
	if r := run("connector", "new", "cc", "--lang", "c", "--dir", dir); r.code != 0 {
		t.Fatalf("new: %+v", r)
	}
	r := run("connector", "build", dir)
	if r.code == 3 || (r.code != 0 && strings.Contains(r.stderr, "wasm32-wasi")) {
		t.Skipf("clang cannot target wasm32-wasi here: %s", r.stderr)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "cc 0.1.0, 1 actions") {
		t.Fatalf("build: %+v", r)
	}
	wasm := filepath.Join(dir, "cc.wasm")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- Run([]string{"roost", "--home", home, "dev", wasm},
			Options{Context: ctx, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, &out, "serving cc 0.1.0", time.Minute)
	if r := run("invoke", "cc", "hello", "--input", `{"name":"Ada"}`); !strings.Contains(r.stdout, "Hello, Ada!") {
		t.Fatalf("invoke: %+v", r)
	}
	src := filepath.Join(dir, "cc.c")
	b, _ := os.ReadFile(src)
	os.WriteFile(src, bytes.Replace(b, []byte(`Hello, `), []byte(`Hej, `), 1), 0o644)
	if r := run("connector", "build", dir); r.code != 0 {
		t.Fatalf("rebuild: %+v", r)
	}
	waitFor(t, &out, "reloaded (build 2)", time.Minute)
	if r := run("invoke", "cc", "hello", "--input", `{"name":"Ada"}`); !strings.Contains(r.stdout, "Hej, Ada!") {
		t.Fatalf("after the reload: %+v", r)
	}
}
