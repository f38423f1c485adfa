package host_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/wasmbin"
)

// devSession starts a development session on the connector file path and
// collects its events.
func devSession(t testing.TB, h *host.Host, path string) (*host.DevSession, func() []host.DevEvent) {
	t.Helper()
	var mu sync.Mutex
	var events []host.DevEvent
	s, err := h.Develop(context.Background(), host.DevOptions{Path: path, Quiet: 50 * time.Millisecond, Events: func(ev host.DevEvent) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, func() []host.DevEvent {
		mu.Lock()
		defer mu.Unlock()
		return append([]host.DevEvent(nil), events...)
	}
}

// waitEvents waits until there are n events, or fails.
func waitEvents(t *testing.T, events func() []host.DevEvent, n int) []host.DevEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ev := events(); len(ev) >= n {
			time.Sleep(200 * time.Millisecond) // and no more arrive
			return events()
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waited for %d events, have %+v", n, events())
	return nil
}

// TestEverySaveStyleReloadsOnce saves a connector file the ways editors and
// build tools do; each is exactly one reload, and the calls see each build.
func TestEverySaveStyleReloadsOnce(t *testing.T) {
	ctx := context.Background()
	h := openHost(t, host.Config{})
	path := filepath.Join(t.TempDir(), "c.wasm")
	writeAtomically(t, path, build(1))
	s, events := devSession(t, h, path)
	cl, err := s.Live().Configure(nil)
	if err != nil {
		t.Fatal(err)
	}
	saves := []struct {
		name string
		save func(data []byte)
	}{
		{"atomic rename", func(data []byte) { writeAtomically(t, path, data) }},
		{"in-place write", func(data []byte) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(data[:len(data)/2]) // two writes: a half module in between
			f.Write(data[len(data)/2:])
			f.Close()
		}},
		{"delete then create", func(data []byte) {
			os.Remove(path)
			os.WriteFile(path, data, 0o644)
		}},
	}
	for i, sv := range saves {
		sv.save(build(i + 2))
		evs := waitEvents(t, events, i+1)
		if len(evs) != i+1 || evs[i].Kind != "reloaded" || evs[i].Result.Generation != i+2 {
			t.Fatalf("%s: events %+v", sv.name, evs)
		}
		if out, err := cl.Invoke(ctx, "which", nil); err != nil || string(out) != `"v`+string(rune('0'+i+2))+`"` {
			t.Fatalf("%s: answered %s %v", sv.name, out, err)
		}
	}
	// A truncated file written in two steps far apart: the half never
	// serves, the whole does.
	good := build(9)
	os.WriteFile(path, good[:len(good)/3], 0o644)
	evs := waitEvents(t, events, 4)
	if evs[3].Kind != "reload failed" {
		t.Fatalf("half a module: %+v", evs[3])
	}
	if out, _ := cl.Invoke(ctx, "which", nil); string(out) != `"v4"` {
		t.Fatalf("after half a module: %s", out)
	}
	os.WriteFile(path, good, 0o644)
	evs = waitEvents(t, events, 5)
	if evs[4].Kind != "reloaded" {
		t.Fatalf("whole module: %+v", evs[4])
	}
	if out, _ := cl.Invoke(ctx, "which", nil); string(out) != `"v9"` {
		t.Fatalf("after the whole module: %s", out)
	}
}

// variant makes a module with the same code and a different digest (a
// custom section), so the host compiles it afresh, as it would a new build.
func variant(wasm []byte, n int) []byte {
	payload := append(wasmbin.Name("roost.bench"), byte(n), byte(n>>8), byte(n>>16))
	out := append([]byte(nil), wasm...)
	out = append(out, 0)
	out = append(out, wasmbin.ULEB(uint32(len(payload)))...)
	return append(out, payload...)
}

// BenchmarkReloadLatency is the figure: from a new build of the
// ~4 MiB Go hello connector written to disk (atomic rename) to the first
// answer from it, through a development session (debounce 100 ms). It
// reports the split and, for comparison, a cold compile of the same build.
func BenchmarkReloadLatency(b *testing.B) {
	ctx := context.Background()
	wasm, err := os.ReadFile(helloWasm(b))
	if err != nil {
		b.Fatal(err)
	}
	h := openHost(b, host.Config{Home: b.TempDir()})
	path := filepath.Join(b.TempDir(), "hello.wasm")
	writeAtomically(b, path, variant(wasm, 0))
	var mu sync.Mutex
	var last host.DevEvent
	s, err := h.Develop(ctx, host.DevOptions{Path: path, Events: func(ev host.DevEvent) { mu.Lock(); last = ev; mu.Unlock() }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	cl, err := s.Live().Configure(map[string]any{"greeting": "Hi"})
	if err != nil {
		b.Fatal(err)
	}
	var total, debounce, compile, swap, cold time.Duration
	b.ResetTimer()
	for i := range b.N {
		gen := s.Live().Generation()
		start := time.Now()
		writeAtomically(b, path, variant(wasm, i+1))
		for s.Live().Generation() == gen {
			time.Sleep(200 * time.Microsecond)
		}
		if _, err := cl.Invoke(ctx, "greet", []byte(`{"name":"Ada"}`)); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		mu.Lock()
		debounce += last.Debounce
		compile += last.Result.Compile
		swap += last.Result.Swap
		mu.Unlock()
		t0 := time.Now()
		c, err := h.Load(ctx, "cold", variant(wasm, 1_000_000+i))
		if err != nil {
			b.Fatal(err)
		}
		cold += time.Since(t0)
		c.Close(ctx)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "written-to-answer-ms")
	b.ReportMetric(float64(debounce.Milliseconds())/n, "debounce-ms")
	b.ReportMetric(float64(compile.Milliseconds())/n, "load-ms")
	b.ReportMetric(float64(swap.Microseconds())/n, "swap-µs")
	b.ReportMetric(float64(cold.Milliseconds())/n, "cold-compile-ms")
}
