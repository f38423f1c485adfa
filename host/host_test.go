package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

// home is shared by the tests of this package so each connector is compiled
// once and then read from the compilation cache.
var home string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roost-host-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	home = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func helloWasm(t testing.TB) string  { return sdktest.Build(t, "../examples/hello") }
func faultyWasm(t testing.TB) string { return sdktest.Build(t, "testdata/faulty") }

func openHost(t testing.TB, cfg host.Config) *host.Host {
	t.Helper()
	if cfg.Home == "" {
		cfg.Home = home
	}
	h, err := host.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func load(t testing.TB, h *host.Host, path string) *host.Connector {
	t.Helper()
	c, err := h.LoadFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func configure(t testing.TB, c *host.Connector, values map[string]any) *host.Client {
	t.Helper()
	cl, err := c.Configure(values)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func invoke(t testing.TB, cl *host.Client, action, input string) string {
	t.Helper()
	out, err := cl.Invoke(context.Background(), action, json.RawMessage(input))
	if err != nil {
		t.Fatalf("%s(%s): %v", action, input, err)
	}
	return string(out)
}

func TestHelloDescribeAndCall(t *testing.T) {
	h := openHost(t, host.Config{})
	conn := load(t, h, helloWasm(t))

	m := conn.Manifest()
	if m.Name != "hello" || m.Version != "0.1.0" || m.Category != abi.CategoryOther || m.ABI != abi.Version {
		t.Errorf("manifest = %s %s %s abi %s", m.Name, m.Version, m.Category, m.ABI)
	}
	if _, ok := m.Action("greet"); !ok {
		t.Errorf("manifest lacks greet: %+v", m.Actions)
	}
	if !m.Has(abi.CapOrganizations) || !m.Has(abi.CapCheck) {
		t.Errorf("capabilities = %v", m.Capabilities)
	}
	info := conn.Info()
	if len(info.SHA256) != 64 || info.Size < 1000 {
		t.Errorf("info = %+v", info)
	}

	cl := configure(t, conn, map[string]any{"greeting": "Hi"})
	if got := invoke(t, cl, "greet", `{"name":"Ada"}`); got != `{"greeting":"Hi, Ada!"}` {
		t.Errorf("greet = %s", got)
	}
	if got := invoke(t, cl, "echo", `{"data":"x"}`); got != `{"data":"x"}` {
		t.Errorf("echo = %s", got)
	}

	// The connector's own structured error comes back as a CallError without a fault.
	_, err := cl.Invoke(context.Background(), "greet", json.RawMessage(`{}`))
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != abi.CodeInvalidInput || ce.Fault != "" || ce.Connector != "hello" {
		t.Errorf("greet without name: %#v", err)
	}
	_, err = cl.Invoke(context.Background(), "greet", json.RawMessage(`{"name":1}`))
	if !errors.As(err, &ce) || ce.Code != abi.CodeInvalidInput {
		t.Errorf("greet with a bad input: %v", err)
	}
	_, err = cl.Invoke(context.Background(), "nope", nil)
	if !errors.As(err, &ce) || ce.Code != abi.CodeUnknownAction || !strings.Contains(ce.Message, "greet") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestAllOrganizations(t *testing.T) {
	h := openHost(t, host.Config{})
	cl := configure(t, load(t, h, helloWasm(t)), nil)
	var ids []string
	err := cl.AllOrganizations(context.Background(), 2, func(p abi.OrganizationPage) error {
		for _, a := range p.Accounts {
			ids = append(ids, a.ID)
		}
		return nil
	})
	if err != nil || strings.Join(ids, ",") != "1,2,3,4,5" {
		t.Fatalf("ids = %v, err = %v", ids, err)
	}

	looping := configure(t, load(t, h, faultyWasm(t)), nil)
	pages := 0
	err = looping.AllOrganizations(context.Background(), 10, func(abi.OrganizationPage) error { pages++; return nil })
	if !errors.Is(err, host.ErrRepeatedCursor) || pages != 2 {
		t.Fatalf("repeated cursor: pages %d, err %v", pages, err)
	}
}

func TestConfigureReportsEveryProblem(t *testing.T) {
	h := openHost(t, host.Config{})
	conn := load(t, h, helloWasm(t))
	_, err := conn.Configure(map[string]any{"greeting": 3, "base_url": "ftp://x", "colour": "red"})
	var ce *host.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, p := range ce.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"greeting", "base_url", "colour"} {
		if !fields[f] {
			t.Errorf("no problem reported for %s: %v", f, err)
		}
	}
}

// TestConcurrentCalls: 16 goroutines × 500 calls through a pool of 4; every
// answer must be the caller's own.
func TestConcurrentCalls(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{PoolSize: 4}})
	conn := load(t, h, helloWasm(t))
	cl := configure(t, conn, nil)
	const goroutines, calls = 16, 500
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				want := fmt.Sprintf(`{"data":"g%d-c%d"}`, g, i)
				out, err := cl.Invoke(context.Background(), "echo", json.RawMessage(want))
				if err != nil {
					errs <- err
					return
				}
				if string(out) != want {
					errs <- fmt.Errorf("goroutine %d call %d: got %s, want %s", g, i, out, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := conn.Stats(); s.Instances > 4 || s.Instances < 1 {
		t.Errorf("pool grew past its size: %+v", s)
	}
}

func TestPoolBackPressure(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{PoolSize: 1, CallTimeout: 2 * time.Second}})
	cl := configure(t, load(t, h, faultyWasm(t)), nil)
	started := make(chan struct{})
	go func() {
		close(started)
		cl.Invoke(context.Background(), "loop", nil) // holds the only instance until its deadline
	}()
	<-started
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := cl.Invoke(ctx, "echo", json.RawMessage(`{"data":"x"}`))
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Fault != host.FaultPoolUnavailable || !ce.Retryable {
		t.Fatalf("err = %v, want a pool_unavailable fault", err)
	}
}
