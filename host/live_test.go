package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/wasmtest"
)

func buildManifest(hosts string) string {
	return `{"abi":"1.0","name":"reloaded","version":"1.0.0","category":"Other","description":"answers with its build",` +
		`"hosts":[` + hosts + `],"actions":[{"name":"which","description":"says which build answered"}]}`
}

// build returns a connector whose every call answers `"vN"`.
func build(n int) []byte {
	return wasmtest.Answering(buildManifest(`"api.example.com"`), fmt.Sprintf(`"v%d"`, n))
}

func writeAtomically(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestReloadUnderLoadDropsNoCall replaces the connector 20 times while 8
// goroutines call it: no call fails, each answer comes from a build that
// existed, and once a swap returns every new call answers from the new
// build.
func TestReloadUnderLoadDropsNoCall(t *testing.T) {
	ctx := context.Background()
	h := openHost(t, host.Config{})
	path := filepath.Join(t.TempDir(), "c.wasm")
	writeAtomically(t, path, build(1))
	live, err := h.LoadLive(ctx, path, host.LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close(ctx)
	cl, err := live.Configure(nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		swapped atomic.Int64 // the newest generation whose swap has returned
		calls   atomic.Int64
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		bad     []string
	)
	swapped.Store(1)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := swapped.Load()
				out, err := cl.Invoke(ctx, "which", nil)
				calls.Add(1)
				var n int64
				if err == nil {
					_, err = fmt.Sscanf(string(out), `"v%d"`, &n)
				}
				if err != nil || n < floor || n > 21 {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("goroutine %d: %s %v (swapped up to v%d)", g, out, err, floor))
					mu.Unlock()
				}
			}
		}()
	}
	for v := 2; v <= 21; v++ {
		time.Sleep(2 * time.Millisecond)
		writeAtomically(t, path, build(v))
		res, err := live.Reload(ctx)
		if err != nil || !res.Reloaded || res.Generation != v {
			t.Fatalf("reload %d: %+v %v", v, res, err)
		}
		swapped.Store(int64(v))
	}
	time.Sleep(5 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d bad calls of %d, e.g. %s", len(bad), calls.Load(), bad[0])
	}
	if calls.Load() < 100 {
		t.Errorf("only %d calls made", calls.Load())
	}
	out, _ := cl.Invoke(ctx, "which", nil)
	if string(out) != `"v21"` {
		t.Errorf("after the last swap: %s", out)
	}
}

func TestBrokenBuildsNeverReplaceTheWorkingOne(t *testing.T) {
	ctx := context.Background()
	h := openHost(t, host.Config{})
	path := filepath.Join(t.TempDir(), "c.wasm")
	writeAtomically(t, path, build(1))
	live, err := h.LoadLive(ctx, path, host.LiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close(ctx)
	cl, _ := live.Configure(nil)
	good := build(2)
	for name, data := range map[string][]byte{
		"not wasm":  []byte("#!/bin/sh\necho hi\n"),
		"truncated": good[:len(good)/2],
		"wrong ABI": wasmtest.Connector(`{"abi":"2.0","name":"reloaded","version":"1.0.0","category":"Other","description":"x"}`),
		"renamed":   wasmtest.Answering(`{"abi":"1.0","name":"other","version":"1.0.0","category":"Other","description":"x","actions":[{"name":"which","description":"x"}]}`, `"x"`),
	} {
		writeAtomically(t, path, data)
		if res, err := live.Reload(ctx); err == nil {
			t.Errorf("%s: reloaded %+v", name, res)
		}
		if out, err := cl.Invoke(ctx, "which", nil); err != nil || string(out) != `"v1"` {
			t.Errorf("after %s: %s %v", name, out, err)
		}
	}
	// A new host is refused unless allowed, and reported when allowed.
	writeAtomically(t, path, wasmtest.Answering(buildManifest(`"api.example.com","evil.example.net"`), `"v9"`))
	var hw *host.HostsWidenedError
	if _, err := live.Reload(ctx); !errors.As(err, &hw) || hw.Added[0] != "evil.example.net" {
		t.Fatalf("widened hosts: %v", err)
	}
	// The next good build does replace it.
	writeAtomically(t, path, good)
	res, err := live.Reload(ctx)
	if err != nil || !res.Reloaded {
		t.Fatalf("good build: %+v %v", res, err)
	}
	if out, _ := cl.Invoke(ctx, "which", nil); string(out) != `"v2"` {
		t.Errorf("after the good build: %s", out)
	}
	// Unchanged content is not a reload.
	if res, err := live.Reload(ctx); err != nil || res.Reloaded {
		t.Errorf("same bytes: %+v %v", res, err)
	}
	dev, err := h.LoadLive(ctx, path, host.LiveOptions{AllowNewHosts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close(ctx)
	writeAtomically(t, path, wasmtest.Answering(buildManifest(`"api.example.com","new.example.org"`), `"v3"`))
	res, err = dev.Reload(ctx)
	if err != nil || res.Changes == nil || res.Changes.HostsAdded[0] != "new.example.org" {
		t.Fatalf("dev reload with a new host: %+v %v", res, err)
	}
}

func TestLinkedIntegrationRunsTheNewestBuild(t *testing.T) {
	ctx := context.Background()
	h := openHome(t, newHome(t))
	path := filepath.Join(t.TempDir(), "c.wasm")
	writeAtomically(t, path, build(1))
	res, err := h.Integrations().InstallLink(ctx, path)
	if err != nil || res.Integration.Link != path {
		t.Fatalf("link: %+v %v", res, err)
	}
	call := func() string {
		cl, err := h.Client(ctx, "reloaded", "")
		if err != nil {
			t.Fatal(err)
		}
		out, err := cl.Invoke(ctx, "which", nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := call(); got != `"v1"` {
		t.Fatalf("first build: %s", got)
	}
	writeAtomically(t, path, build(2))
	if got := call(); got != `"v2"` {
		t.Fatalf("after a new build: %s", got)
	}
	if d, _ := h.Integrations().Show(ctx, "reloaded"); d == nil {
		t.Fatal("show")
	}
	// A broken build is an error that names the link; the next good one runs.
	writeAtomically(t, path, []byte("junk"))
	if _, err := h.Client(ctx, "reloaded", ""); err == nil {
		t.Fatal("a broken linked build loaded")
	}
	writeAtomically(t, path, build(3))
	if got := call(); got != `"v3"` {
		t.Fatalf("after a fixed build: %s", got)
	}
	// Nothing was copied into the home's modules.
	if _, err := h.Integrations().Uninstall(ctx, "reloaded", host.UninstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("uninstall touched the linked file: %v", err)
	}
}

func TestLinkedBuildWithNewHostsNeedsConfirmation(t *testing.T) {
	ctx := context.Background()
	h := openHome(t, newHome(t))
	path := filepath.Join(t.TempDir(), "c.wasm")
	writeAtomically(t, path, build(1))
	if _, err := h.Integrations().InstallLink(ctx, path); err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, path, wasmtest.Answering(buildManifest(`"api.example.com","more.example.net"`), `"v2"`))
	_, err := h.Client(ctx, "reloaded", "")
	var hw *host.HostsWidenedError
	if !errors.As(err, &hw) || hw.Link != path {
		t.Fatalf("widened link: %v", err)
	}
	if _, err := h.Integrations().InstallLink(ctx, path); err != nil {
		t.Fatal(err)
	}
	cl, err := h.Client(ctx, "reloaded", "")
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := cl.Invoke(ctx, "which", nil); string(out) != `"v2"` {
		t.Errorf("after confirming: %s", out)
	}
}
