package wasmrt

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/roosthq/roost/sdk/abi"
)

func BenchmarkExp(b *testing.B) {
	for _, op := range []int{1, 4} {
		b.Run(fmt.Sprint(op), func(b *testing.B) {
			ctx := context.Background()
			wasm, _ := os.ReadFile("/tmp/exp_m.wasm")
			e, _ := NewEngine(ctx, Options{})
			defer e.Close(ctx)
			m, err := e.Load(ctx, "x", wasm)
			if err != nil {
				b.Fatal(err)
			}
			env := &Env{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Call(ctx, env, abi.Op(op), "noop", []byte(`{}`)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
