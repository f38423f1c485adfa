package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/wasmtest"
)

// Benchmarks for the runtime's targets. Their iteration counts differ a
// lot (a no-op call takes microseconds, a cold start tens of
// milliseconds), so run them as the justfile's bench recipe does, and read
// the medians; docs/architecture.md has the figures measured here.

func benchClient(b *testing.B, wasm string, limits host.Limits) (*host.Connector, *host.Client) {
	b.Helper()
	h := openHost(b, host.Config{Limits: limits})
	conn := load(b, h, wasm)
	return conn, configure(b, conn, nil)
}

// cWasm builds the C connector, or skips when there is no toolchain.
func cWasm(b *testing.B) string {
	out := filepath.Join(b.TempDir(), "hello-c.wasm")
	if out, err := exec.Command("../examples/hello-c/build.sh", out).CombinedOutput(); err != nil {
		b.Skipf("C connector not built: %v\n%s", err, out)
	}
	return out
}

// BenchmarkNoopCall is a whole host API call (Client.Invoke) of a no-op
// action, with the per-call deadline enforced.
func BenchmarkNoopCall(b *testing.B) {
	run := func(b *testing.B, cl *host.Client) {
		ctx := context.Background()
		input := json.RawMessage(`{}`)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cl.Invoke(ctx, "noop", input); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("go", func(b *testing.B) {
		_, cl := benchClient(b, helloWasm(b), host.Limits{})
		run(b, cl)
	})
	b.Run("c", func(b *testing.B) {
		_, cl := benchClient(b, cWasm(b), host.Limits{})
		run(b, cl)
	})
}

// BenchmarkEcho64KiB passes 64 KiB in and out. The overhead of the host is
// this minus the guest's own work; the raw echo in Go and the C echo do
// (next to) no work of their own, so they show the overhead plus the no-op
// floor.
func BenchmarkEcho64KiB(b *testing.B) {
	payload, _ := json.Marshal(map[string]string{"data": strings.Repeat("r", 64<<10)})
	run := func(b *testing.B, cl *host.Client, action string) {
		ctx := context.Background()
		b.SetBytes(int64(len(payload)))
		b.ReportAllocs()
		for b.Loop() {
			out, err := cl.Invoke(ctx, action, payload)
			if err != nil {
				b.Fatal(err)
			}
			if len(out) < 64<<10 {
				b.Fatalf("short answer: %d bytes", len(out))
			}
		}
	}
	b.Run("go-raw", func(b *testing.B) {
		_, cl := benchClient(b, faultyWasm(b), host.Limits{})
		run(b, cl, "raw_echo")
	})
	b.Run("go-typed", func(b *testing.B) {
		_, cl := benchClient(b, faultyWasm(b), host.Limits{})
		run(b, cl, "echo")
	})
	b.Run("c", func(b *testing.B) {
		_, cl := benchClient(b, cWasm(b), host.Limits{})
		run(b, cl, "echo")
	})
}

// BenchmarkFirstCallWarmCache is a restart: a new host (and compilation
// cache object) on a home whose cache is warm, loading the ~4 MiB hello
// connector and making its first call.
func BenchmarkFirstCallWarmCache(b *testing.B) {
	wasm := helloWasm(b)
	dir := b.TempDir()
	ctx := context.Background()
	warm, err := host.Open(ctx, host.Config{Home: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := warm.LoadFile(ctx, wasm); err != nil {
		b.Fatal(err)
	}
	warm.Close(ctx)
	for b.Loop() {
		h, err := host.Open(ctx, host.Config{Home: dir})
		if err != nil {
			b.Fatal(err)
		}
		conn, err := h.LoadFile(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		cl, _ := conn.Configure(nil)
		if _, err := cl.Invoke(ctx, "noop", nil); err != nil {
			b.Fatal(err)
		}
		h.Close(ctx)
	}
}

// BenchmarkPoolParallel runs a CPU-bound action (~1 ms) from two goroutines
// through pools of one and two instances; throughput should nearly double.
func BenchmarkPoolParallel(b *testing.B) {
	input := json.RawMessage(`{"n":2000000}`)
	for _, size := range []int{1, 2} {
		b.Run("pool="+strconv.Itoa(size), func(b *testing.B) {
			_, cl := benchClient(b, faultyWasm(b), host.Limits{PoolSize: size})
			ctx := context.Background()
			if _, err := cl.Invoke(ctx, "spin", input); err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(max(1, 2/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := cl.Invoke(ctx, "spin", input); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkWarmInstanceMemory grows a loaded hello connector from one warm
// instance to eight and reports each instance's linear memory and the
// growth of the process's resident memory per added instance (the compiled
// code, shared by all instances, is already loaded before the first
// reading).
func BenchmarkWarmInstanceMemory(b *testing.B) {
	const instances = 8
	for b.Loop() {
		b.StopTimer()
		conn, cl := benchClient(b, helloWasm(b), host.Limits{PoolSize: instances})
		cl.Invoke(context.Background(), "noop", nil)
		runtime.GC()
		before, startInstances := rss(), conn.Stats().Instances
		b.StartTimer()
		var wg sync.WaitGroup
		for range instances * 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Concurrent calls that each hold an instance for a while,
				// so the pool really makes all of them.
				cl.Invoke(context.Background(), "greet", json.RawMessage(`{"name":"`+strings.Repeat("x", 1000)+`"}`))
				time.Sleep(20 * time.Millisecond)
			}()
		}
		wg.Wait()
		b.StopTimer()
		runtime.GC()
		s := conn.Stats()
		if s.Idle == 0 {
			b.Fatal("no idle instances")
		}
		b.ReportMetric(float64(s.IdleMemoryBytes)/float64(s.Idle)/(1<<20), "linear-MiB/instance")
		if added := s.Instances - startInstances; added > 0 {
			b.ReportMetric(float64(rss()-before)/float64(added)/(1<<20), "rss-MiB/added-instance")
		}
		b.StartTimer()
	}
}

// rss returns the process's resident set size from /proc, or 0.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkIntegrationsListProcess runs `roost integrations list` as a
// whole process on a home with 50 installed integrations (tiny connectors
// with realistic manifests), as a user would.
func BenchmarkIntegrationsListProcess(b *testing.B) {
	ctx := context.Background()
	bin := filepath.Join(b.TempDir(), "roost")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/roost").CombinedOutput(); err != nil {
		b.Fatalf("build roost: %v\n%s", err, out)
	}
	home := b.TempDir()
	h, err := host.Open(ctx, host.Config{Home: home})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50 {
		m := fmt.Sprintf(`{"abi":"1.0","name":"tool-%02d","version":"1.%d.0","category":"PSA","description":"Connector number %d for the list benchmark.",`+
			`"tags":["bench"],"config":[{"name":"base_url","type":"url","required":true},{"name":"token","type":"string","secret":true}],`+
			`"auth":{"type":"bearer","secret":"token"},"hosts":["{config.base_url}"],`+
			`"actions":[{"name":"list_tickets","input":{"type":"object"},"output":{"type":"object"}},{"name":"create_ticket","input":{"type":"object"},"output":{"type":"object"}}]}`, i, i, i)
		path := filepath.Join(b.TempDir(), fmt.Sprintf("tool-%02d.wasm", i))
		os.WriteFile(path, wasmtest.Connector(m), 0o644)
		if _, err := h.Integrations().Install(ctx, path); err != nil {
			b.Fatal(err)
		}
		if _, err := h.Integrations().Configure(ctx, fmt.Sprintf("tool-%02d", i), host.ConfigureInput{
			Set: map[string]any{"base_url": "https://tool.example"}, Secrets: map[string]string{"token": "t"}, SkipCheck: true}); err != nil {
			b.Fatal(err)
		}
	}
	h.Close(ctx)
	for b.Loop() {
		out, err := exec.Command(bin, "--home", home, "integrations", "list").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Installed (50)")) {
			b.Fatalf("list: %v\n%s", err, out)
		}
	}
}

// serviceHome makes a home with the Go hello connector installed and
// configured, and starts roost serve on it as a process of its own.
func serviceHome(b *testing.B) (bin, home string) {
	b.Helper()
	ctx := context.Background()
	bin = filepath.Join(b.TempDir(), "roost")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/roost").CombinedOutput(); err != nil {
		b.Fatalf("build roost: %v\n%s", err, out)
	}
	home = b.TempDir()
	h, err := host.Open(ctx, host.Config{Home: home})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Integrations().Install(ctx, helloWasm(b)); err != nil {
		b.Fatal(err)
	}
	if _, err := h.Integrations().Configure(ctx, "hello", host.ConfigureInput{Set: map[string]any{"greeting": "Hi"}, SkipCheck: true}); err != nil {
		b.Fatal(err)
	}
	h.Close(ctx)
	srv := exec.Command(bin, "--home", home, "serve", "--addr", "127.0.0.1:0")
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s, err := host.Dial(ctx, home); err == nil {
			s.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("roost serve never listened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The first use compiles the connector in the service; after it the
	// build stays warm.
	if out, err := exec.Command(bin, "--home", home, "invoke", "hello", "greet", "--input", `{"name":"Ada"}`).CombinedOutput(); err != nil {
		b.Fatalf("first invoke: %v\n%s", err, out)
	}
	return bin, home
}

// BenchmarkServiceProcess runs whole roost processes against a running
// service: invoke of an installed Go connector after its first use, and
// integrations list; version is the floor (a process that does nothing).
func BenchmarkServiceProcess(b *testing.B) {
	bin, home := serviceHome(b)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"version", []string{"version"}, "roost"},
		{"invoke", []string{"invoke", "hello", "greet", "--input", `{"name":"Ada"}`}, "Hi, Ada"},
		{"list", []string{"integrations", "list"}, "Installed (1)"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				out, err := exec.Command(bin, append([]string{"--home", home}, c.args...)...).CombinedOutput()
				if err != nil || !bytes.Contains(out, []byte(c.want)) {
					b.Fatalf("%v: %v\n%s", c.args, err, out)
				}
			}
		})
	}
}

// BenchmarkServiceCall is one call inside the service as a client sees
// it: Integrations.Invoke over the home's socket, answer decoded.
func BenchmarkServiceCall(b *testing.B) {
	_, home := serviceHome(b)
	ctx := context.Background()
	svc, err := host.Dial(ctx, home)
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	in := host.InvokeInput{Integration: "hello", Action: "greet", Input: json.RawMessage(`{"name":"Ada"}`)}
	for b.Loop() {
		res, err := svc.Integrations().Invoke(ctx, in)
		if err != nil || !bytes.Contains(res.Output, []byte("Hi, Ada")) {
			b.Fatalf("invoke: %v %s", err, res.Output)
		}
	}
}
