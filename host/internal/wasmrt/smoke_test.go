package wasmrt

import (
	"context"
	"os"
	"log/slog"
	"testing"
	"time"

	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	path := sdktest.Build(t, "../../../examples/hello")
	wasm, _ := os.ReadFile(path)
	e, err := NewEngine(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	m, err := e.Load(ctx, "hello", wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", m.ManifestJSON())
	out, err := m.Call(ctx, &Env{Config: []byte(`{"greeting":"Hi"}`)}, abi.OpAction, "greet", []byte(`{"name":"Ada"}`))
	t.Logf("%s %v", out, err)
}

func BenchmarkSmokeNoop(b *testing.B) {
	ctx := context.Background()
	path := sdktest.Build(b, "../../../examples/hello")
	wasm, _ := os.ReadFile(path)
	e, _ := NewEngine(ctx, Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer e.Close(ctx)
	m, err := e.Load(ctx, "hello", wasm)
	if err != nil {
		b.Fatal(err)
	}
	env := &Env{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Call(ctx, env, abi.OpAction, "noop", []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
	}
	inst, _ := m.pool.get(ctx, time.Now().Add(time.Second))
	b.Logf("tail: %q", inst.output.tail())
	m.pool.put(inst, true)
}
