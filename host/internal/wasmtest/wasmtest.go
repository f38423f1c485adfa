// Package wasmtest builds tiny WebAssembly modules byte by byte, for tests
// that need a module Go cannot produce: another ABI version, a wrong export
// signature, an import this host lacks.
package wasmtest

import "github.com/roosthq/roost/host/internal/wasmbin"

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Func is one function: its signature and body (without locals
// declaration). Import, if set, makes it an imported function
// "module.name" instead.
type Func struct {
	Params, Results []byte
	Body            []byte // instructions, ending with End
	Import          [2]string
	Export          string
}

// Common bodies.
var (
	// End is an empty body.
	End = []byte{0x0b}
	// ReturnI32Zero returns i32 0.
	ReturnI32Zero = []byte{0x41, 0x00, 0x0b}
)

// Module encodes a module with one memory (exported as "memory", pages
// pages) and funcs. Imports must come before defined functions.
func Module(pages byte, funcs ...Func) []byte { return ModuleWithData(pages, nil, funcs...) }

// ModuleWithData is Module with data copied to address 0 of the memory.
func ModuleWithData(pages byte, data []byte, funcs ...Func) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	var types, imports, fns, exports, code []byte
	var nImports, nFuncs, nExports int
	for i, f := range funcs {
		t := []byte{0x60}
		t = append(t, uleb(len(f.Params))...)
		t = append(t, f.Params...)
		t = append(t, uleb(len(f.Results))...)
		t = append(t, f.Results...)
		types = append(types, t...)
		if f.Import[0] != "" {
			imports = append(imports, name(f.Import[0])...)
			imports = append(imports, name(f.Import[1])...)
			imports = append(imports, 0x00)
			imports = append(imports, uleb(i)...)
			nImports++
			continue
		}
		fns = append(fns, uleb(i)...)
		nFuncs++
		body := append([]byte{0x00}, f.Body...) // no locals
		code = append(code, uleb(len(body))...)
		code = append(code, body...)
		if f.Export != "" {
			exports = append(exports, name(f.Export)...)
			exports = append(exports, 0x00)
			exports = append(exports, uleb(i)...)
			nExports++
		}
	}
	exports = append(exports, name("memory")...)
	exports = append(exports, 0x02, 0x00)
	nExports++

	out = append(out, section(1, vec(len(funcs), types))...)
	if nImports > 0 {
		out = append(out, section(2, vec(nImports, imports))...)
	}
	out = append(out, section(3, vec(nFuncs, fns))...)
	out = append(out, section(5, []byte{0x01, 0x00, pages})...)
	out = append(out, section(7, vec(nExports, exports))...)
	out = append(out, section(10, vec(nFuncs, code))...)
	if len(data) > 0 {
		seg := []byte{0x00, 0x41, 0x00, 0x0b} // memory 0, offset i32.const 0
		seg = append(seg, uleb(len(data))...)
		seg = append(seg, data...)
		out = append(out, section(11, vec(1, seg))...)
	}
	return out
}

// Connector is the smallest module that speaks ABI v1: roost_describe
// outputs manifest, and every call answers null.
func Connector(manifest string) []byte {
	describe := []byte{0x41, 0x00} // i32.const 0 (pointer)
	describe = append(describe, 0x41)
	describe = append(describe, sleb(len(manifest))...) // i32.const len
	describe = append(describe, 0x10, 0x00, 0x1a, 0x41, 0x00, 0x0b)
	pages := byte(len(manifest)/65536 + 1)
	return ModuleWithData(pages, []byte(manifest),
		Func{Params: []byte{I32, I32}, Results: []byte{I32}, Import: [2]string{"roost_v1", "output"}},
		Func{Body: End, Export: "roost_abi_v1"},
		Func{Results: []byte{I32}, Body: describe, Export: "roost_describe"},
		Func{Params: []byte{I32, I32, I32}, Results: []byte{I32}, Body: ReturnI32Zero, Export: "roost_handle"},
	)
}

// sleb encodes a non-negative n as signed LEB128 (for i32.const).
func sleb(n int) []byte {
	var out []byte
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n == 0 && b&0x40 == 0 {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func uleb(n int) []byte { return wasmbin.ULEB(uint32(n)) }

func name(s string) []byte { return wasmbin.Name(s) }

func vec(n int, body []byte) []byte { return append(uleb(n), body...) }

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, uleb(len(body))...), body...)
}

// Answering is Connector whose every call answers the JSON value answer,
// so a test can tell which build served a call.
func Answering(manifest, answer string) []byte {
	out := func(off, n int) []byte {
		b := []byte{0x41}
		b = append(b, sleb(off)...)
		b = append(b, 0x41)
		b = append(b, sleb(n)...)
		return append(b, 0x10, 0x00, 0x1a) // call output; drop
	}
	describe := append(out(0, len(manifest)), 0x41, 0x00, 0x0b)
	handle := append(out(len(manifest), len(answer)), 0x41, 0x00, 0x0b)
	data := manifest + answer
	pages := byte(len(data)/65536 + 1)
	return ModuleWithData(pages, []byte(data),
		Func{Params: []byte{I32, I32}, Results: []byte{I32}, Import: [2]string{"roost_v1", "output"}},
		Func{Body: End, Export: "roost_abi_v1"},
		Func{Results: []byte{I32}, Body: describe, Export: "roost_describe"},
		Func{Params: []byte{I32, I32, I32}, Results: []byte{I32}, Body: handle, Export: "roost_handle"},
	)
}
