package wasmrt

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roosthq/roost/host/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

// TestConnectorsAreRewritten: Go and C connectors take the fast path, and
// the rewritten module still behaves.
func TestConnectorsAreRewritten(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	paths := map[string]string{"go": sdktest.Build(t, "../../../examples/hello")}
	c := filepath.Join(t.TempDir(), "hello-c.wasm")
	if out, err := exec.Command("../../../examples/hello-c/build.sh", c).CombinedOutput(); err == nil {
		paths["c"] = c
	} else {
		t.Logf("C connector not built: %s", out)
	}
	for lang, path := range paths {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := instrument(wasm); err != nil {
			t.Errorf("%s: instrument: %v", lang, err)
		}
		m, err := e.Load(ctx, lang, wasm)
		if err != nil {
			t.Fatal(err)
		}
		if m.rt != e.fast {
			t.Errorf("%s connector runs on the slow runtime", lang)
		}
		out, err := m.Call(ctx, &Env{Config: []byte(`{"greeting":"Hi"}`)}, abi.OpAction, "greet", []byte(`{"name":"Ada"}`))
		if err != nil || string(out) != `{"greeting":"Hi, Ada!"}` {
			t.Errorf("%s: greet = %s, %v", lang, out, err)
		}
	}
}

// TestUnrewritableModulesFallBack: a module with an instruction the pass
// does not decode (a SIMD constant) runs with wazero's own checks.
func TestUnrewritableModulesFallBack(t *testing.T) {
	simd := append([]byte{0xfd, 0x0c}, make([]byte, 16)...) // v128.const 0
	body := append(append([]byte{}, simd...), 0x1a, 0x41, 0x00, 0x0b)
	wasm := wasmtest.Module(1,
		wasmtest.Func{Export: abi.ExportMarker, Body: wasmtest.End},
		wasmtest.Func{Export: abi.ExportDescribe, Results: []byte{wasmtest.I32}, Body: body},
		wasmtest.Func{Export: abi.ExportHandle, Params: []byte{wasmtest.I32, wasmtest.I32, wasmtest.I32}, Results: []byte{wasmtest.I32}, Body: wasmtest.ReturnI32Zero},
	)
	if _, err := instrument(wasm); err == nil {
		t.Fatal("instrumented a SIMD module")
	}
	ctx := context.Background()
	e, _ := NewEngine(ctx, Options{})
	defer e.Close(ctx)
	// It gets as far as describing itself (and fails there, writing no
	// manifest), which means it compiled on the safe runtime.
	_, err := e.Load(ctx, "simd", wasm)
	if err == nil || !strings.Contains(err.Error(), "no manifest") {
		t.Fatalf("err = %v", err)
	}
}

func loopModule() []byte {
	return wasmtest.Module(1,
		wasmtest.Func{Import: [2]string{abi.ImportModule, abi.ImportOutput}, Params: []byte{wasmtest.I32, wasmtest.I32}, Results: []byte{wasmtest.I32}},
		wasmtest.Func{Export: abi.ExportMarker, Body: []byte{0x03, 0x40, 0x0b, 0x0b}}, // an empty loop
		wasmtest.Func{Export: abi.ExportDescribe, Results: []byte{wasmtest.I32}, Body: []byte{0x41, 0x00, 0x41, 0x00, 0x10, 0x00, 0x0b}},
	)
}

// TestRewriteShiftsFunctionIndices: the call to the imported output
// function keeps its index, the export of a defined function moves by one,
// and the result compiles.
func TestRewriteShiftsFunctionIndices(t *testing.T) {
	out, err := instrument(loopModule())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, _ := NewEngine(ctx, Options{})
	defer e.Close(ctx)
	c, err := e.fast.CompileModule(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	imports := c.ImportedFunctions()
	if len(imports) != 2 {
		t.Fatalf("imports = %d, want output and tick", len(imports))
	}
	if m, n, _ := imports[1].Import(); m != tickModule || n != tickName {
		t.Errorf("second import = %s.%s", m, n)
	}
	if d, ok := c.ExportedFunctions()[abi.ExportDescribe]; !ok || d.Index() != 3 {
		t.Errorf("describe export = %+v, want function index 3", d)
	}
}

// FuzzInstrument: the rewrite never panics or loops on arbitrary bytes.
// (It promises nothing for invalid modules beyond that: wazero validates
// what it produces, and a module that fails falls back to the original.)
func FuzzInstrument(f *testing.F) {
	f.Add(loopModule())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0a\x04\x01\x02\x00\x0b"))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		if out, err := instrument(wasm); err == nil {
			instrument(out)
		}
	})
}
