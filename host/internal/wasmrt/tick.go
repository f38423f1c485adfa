package wasmrt

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/roosthq/roost/host/internal/wasmbin"
)

// Stopping guests without wazero's close-on-done checks.
//
// wazero stops a running guest only when compiled WithCloseOnContextDone,
// which makes every loop header exit to Go. Go guests run their scheduler
// and every function's dispatch through loops, so that check makes them 3×
// slower on a no-op call and 6× on JSON work (docs/architecture.md).
//
// instrument rewrites a module instead. It adds an imported host function,
// tickModule.tickName, and a mutable i32 global counter, and at the start of
// every function body and after every loop header inserts
//
//	global.get $budget ; i32.const 1 ; i32.sub ; global.set $budget
//	global.get $budget ; i32.eqz
//	if
//	  i32.const tickEvery ; global.set $budget
//	  call $tick
//	end
//
// so the guest calls tick every tickEvery loop iterations or calls. tick
// stops the call when its context has ended, and, being Go code, is a point
// where the Go scheduler can preempt the goroutine: a guest spinning in a
// loop must not stall the process's garbage collector (an earlier version
// that only checked a flag did exactly that).
//
// Adding an import shifts every defined function's index by one, so calls,
// ref.func, element segments, exports and the start function are renumbered.
// A module using instructions this pass does not decode (SIMD, threads,
// exception handling) or already importing tickModule is left alone and runs
// on a runtime with wazero's own checks.

const (
	// tickPassVersion names the rewrite's output format in the cache;
	// change it whenever instrument's output changes.
	tickPassVersion = "tick1"

	tickModule = "roost_internal"
	tickName   = "tick"
	tickEvery  = 1024
)

var errNotInstrumentable = errors.New("module uses instructions the tick pass does not handle")

func instrument(wasm []byte) ([]byte, error) {
	if !bytes.HasPrefix(wasm, []byte("\x00asm\x01\x00\x00\x00")) {
		return nil, errors.New("not a version 1 wasm binary")
	}
	type section struct {
		id   byte
		body []byte
	}
	var sections []section
	r := &wasmbin.Reader{B: wasm, Pos: 8}
	for r.Pos < len(r.B) {
		id := r.Byte()
		size := r.U32()
		if r.Err != nil || r.Pos+int(size) > len(r.B) {
			return nil, fmt.Errorf("section %d: truncated", id)
		}
		sections = append(sections, section{id, r.B[r.Pos : r.Pos+int(size)]})
		r.Pos += int(size)
	}

	// Pass 1: the type of the new import, and the index spaces.
	var nTypes, nImportedFuncs, nImportedGlobals, nGlobals uint32
	for _, s := range sections {
		br := &wasmbin.Reader{B: s.body}
		switch s.id {
		case 1:
			nTypes = br.U32()
		case 2:
			var err error
			if nImportedFuncs, nImportedGlobals, err = countImports(s.body); err != nil {
				return nil, err
			}
		case 6:
			nGlobals = br.U32()
		}
		if br.Err != nil {
			return nil, br.Err
		}
	}
	tickType := nTypes // () -> ()
	tickFunc := nImportedFuncs
	budget := nImportedGlobals + nGlobals
	shift := func(f uint32) uint32 {
		if f >= tickFunc {
			return f + 1
		}
		return f
	}
	check := []byte{0x23} // global.get
	check = append(check, wasmbin.ULEB(budget)...)
	check = append(check, 0x41, 0x01, 0x6b, 0x24) // i32.const 1, i32.sub, global.set
	check = append(check, wasmbin.ULEB(budget)...)
	check = append(check, 0x23) // global.get
	check = append(check, wasmbin.ULEB(budget)...)
	check = append(check, 0x45, 0x04, 0x40, 0x41) // i32.eqz, if, i32.const
	check = append(check, wasmbin.SLEB32(tickEvery)...)
	check = append(check, 0x24)
	check = append(check, wasmbin.ULEB(budget)...)
	check = append(check, 0x10)
	check = append(check, wasmbin.ULEB(tickFunc)...)
	check = append(check, 0x0b)

	newType := []byte{0x60, 0x00, 0x00}
	newImport := append(append(wasmbin.Name(tickModule), wasmbin.Name(tickName)...), 0x00)
	newImport = append(newImport, wasmbin.ULEB(tickType)...)
	newGlobal := append([]byte{0x7f, 0x01, 0x41}, wasmbin.SLEB32(tickEvery)...)
	newGlobal = append(newGlobal, 0x0b)

	var out bytes.Buffer
	out.Write(wasm[:8])
	emit := func(id byte, body []byte) {
		out.WriteByte(id)
		out.Write(wasmbin.ULEB(uint32(len(body))))
		out.Write(body)
	}
	seen := map[byte]bool{}
	// Sections that may be missing and that we add to, in their order.
	addMissing := func(before byte) {
		for _, id := range []byte{1, 2, 6} {
			if !seen[id] && order(id) < order(before) {
				seen[id] = true
				switch id {
				case 1:
					emit(1, append(wasmbin.ULEB(1), newType...))
				case 2:
					emit(2, append(wasmbin.ULEB(1), newImport...))
				case 6:
					emit(6, append(wasmbin.ULEB(1), newGlobal...))
				}
			}
		}
	}
	for _, s := range sections {
		if s.id != 0 {
			addMissing(s.id)
			seen[s.id] = true
		}
		var body []byte
		var err error
		switch s.id {
		case 1:
			body, err = appendVec(s.body, newType)
		case 2:
			body, err = appendVec(s.body, newImport)
		case 6:
			body, err = rewriteGlobals(s.body, shift)
			if err == nil {
				body, err = appendVec(body, newGlobal)
			}
		case 7:
			body, err = rewriteExports(s.body, shift)
		case 8: // start
			br := &wasmbin.Reader{B: s.body}
			f := br.U32()
			body, err = wasmbin.ULEB(shift(f)), br.Err
		case 9:
			body, err = rewriteElements(s.body, shift)
		case 10:
			body, err = rewriteCode(s.body, check, shift)
		case 0:
			if bytes.HasPrefix(s.body, wasmbin.Name("name")) {
				continue // function names would be off by one; they are only for traces
			}
			body = s.body
		default:
			body = s.body
		}
		if err != nil {
			return nil, err
		}
		emit(s.id, body)
	}
	addMissing(255)
	return out.Bytes(), nil
}

// order is a section's place in the order the binary format requires.
func order(id byte) int {
	switch id {
	case 13:
		return 55 // tag: between memory (5) and global (6)
	case 12:
		return 95 // data count: between element (9) and code (10)
	case 255:
		return 1000
	}
	return int(id) * 10
}

// appendVec adds one encoded item to a vector.
func appendVec(body, item []byte) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	if r.Err != nil {
		return nil, r.Err
	}
	out := wasmbin.ULEB(n + 1)
	out = append(out, body[r.Pos:]...)
	return append(out, item...), nil
}

func countImports(body []byte) (funcs, globals uint32, err error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	for i := uint32(0); i < n && r.Err == nil; i++ {
		module := string(r.Bytes(int(r.U32())))
		r.Skip(int(r.U32()))
		if module == tickModule {
			return 0, 0, fmt.Errorf("module already imports from %s", tickModule)
		}
		switch r.Byte() {
		case 0x00:
			r.U32()
			funcs++
		case 0x01:
			r.Byte()
			r.Limits()
		case 0x02:
			r.Limits()
		case 0x03:
			r.Byte()
			r.Byte()
			globals++
		case 0x04:
			r.Byte()
			r.U32()
		default:
			return 0, 0, errors.New("import section: unknown import kind")
		}
	}
	return funcs, globals, r.Err
}

func rewriteGlobals(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	out := wasmbin.ULEB(n)
	for i := uint32(0); i < n && r.Err == nil; i++ {
		out = append(out, r.Bytes(2)...) // valtype, mutability
		out = constExpr(r, out, shift)
	}
	return out, r.Err
}

func rewriteExports(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	out := wasmbin.ULEB(n)
	for i := uint32(0); i < n && r.Err == nil; i++ {
		l := r.U32()
		out = append(out, wasmbin.ULEB(l)...)
		out = append(out, r.Bytes(int(l))...)
		kind := r.Byte()
		idx := r.U32()
		if kind == 0x00 {
			idx = shift(idx)
		}
		out = append(append(out, kind), wasmbin.ULEB(idx)...)
	}
	return out, r.Err
}

func rewriteElements(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	out := wasmbin.ULEB(n)
	for i := uint32(0); i < n && r.Err == nil; i++ {
		flags := r.U32()
		out = append(out, wasmbin.ULEB(flags)...)
		if flags > 7 {
			return nil, errNotInstrumentable
		}
		if flags == 2 || flags == 6 {
			out = append(out, wasmbin.ULEB(r.U32())...) // table index
		}
		if flags&1 == 0 {
			out = constExpr(r, out, shift) // offset
		}
		if flags&3 != 0 {
			out = append(out, r.Byte()) // elemkind or reftype
		}
		count := r.U32()
		out = append(out, wasmbin.ULEB(count)...)
		for k := uint32(0); k < count && r.Err == nil; k++ {
			if flags&4 == 0 {
				out = append(out, wasmbin.ULEB(shift(r.U32()))...)
			} else {
				out = constExpr(r, out, shift)
			}
		}
	}
	return out, r.Err
}

// constExpr copies a constant expression, renumbering ref.func.
func constExpr(r *wasmbin.Reader, out []byte, shift func(uint32) uint32) []byte {
	for r.Err == nil {
		op := r.Byte()
		out = append(out, op)
		switch op {
		case 0x0b:
			return out
		case 0x41, 0x42:
			start := r.Pos
			r.SkipSLEB()
			out = append(out, r.B[start:r.Pos]...)
		case 0x43:
			out = append(out, r.Bytes(4)...)
		case 0x44:
			out = append(out, r.Bytes(8)...)
		case 0x23:
			out = append(out, wasmbin.ULEB(r.U32())...)
		case 0xd0:
			out = append(out, r.Byte())
		case 0xd2:
			out = append(out, wasmbin.ULEB(shift(r.U32()))...)
		default:
			// Extended constant expressions (i32.add …) have no immediates.
			if !(op >= 0x6a && op <= 0x7e) {
				r.Err = errNotInstrumentable
			}
		}
	}
	return out
}

func rewriteCode(body, check []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n := r.U32()
	out := wasmbin.ULEB(n)
	for i := uint32(0); i < n; i++ {
		size := r.U32()
		if r.Err != nil || r.Pos+int(size) > len(r.B) {
			return nil, fmt.Errorf("code section: function %d truncated", i)
		}
		fn, err := rewriteFunction(r.B[r.Pos:r.Pos+int(size)], check, shift)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		r.Pos += int(size)
		out = append(out, wasmbin.ULEB(uint32(len(fn)))...)
		out = append(out, fn...)
	}
	return out, r.Err
}

func rewriteFunction(fn, check []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: fn}
	groups := r.U32()
	for i := uint32(0); i < groups; i++ {
		r.U32()
		r.Byte()
	}
	if r.Err != nil {
		return nil, r.Err
	}
	out := make([]byte, 0, len(fn)+len(fn)/4+len(check))
	out = append(out, fn[:r.Pos]...)
	out = append(out, check...) // every call passes here
	copyFrom := func(start int) { out = append(out, r.B[start:r.Pos]...) }
	for r.Pos < len(r.B) && r.Err == nil {
		start := r.Pos
		op := r.Byte()
		switch {
		case op == 0x03: // loop blocktype
			r.BlockType()
			copyFrom(start)
			out = append(out, check...)
		case op == 0x10 || op == 0x12 || op == 0xd2: // call, return_call, ref.func
			f := r.U32()
			out = append(append(out, op), wasmbin.ULEB(shift(f))...)
		case op == 0x02 || op == 0x04: // block, if
			r.BlockType()
			copyFrom(start)
		case op == 0x0c || op == 0x0d || (op >= 0x20 && op <= 0x26): // br, br_if, local/global/table get/set
			r.U32()
			copyFrom(start)
		case op == 0x0e: // br_table
			for k := r.U32(); k > 0 && r.Err == nil; k-- {
				r.U32()
			}
			r.U32()
			copyFrom(start)
		case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect: type, table
			r.U32()
			r.U32()
			copyFrom(start)
		case op == 0x1c: // select t*
			r.Skip(int(r.U32()))
			copyFrom(start)
		case op >= 0x28 && op <= 0x3e: // loads and stores
			r.Memarg()
			copyFrom(start)
		case op == 0x3f || op == 0x40: // memory.size, memory.grow
			r.Byte()
			copyFrom(start)
		case op == 0x41 || op == 0x42:
			r.SkipSLEB()
			copyFrom(start)
		case op == 0x43:
			r.Skip(4)
			copyFrom(start)
		case op == 0x44:
			r.Skip(8)
			copyFrom(start)
		case op == 0xd0: // ref.null t
			r.Byte()
			copyFrom(start)
		case op == 0xfc:
			switch sub := r.U32(); {
			case sub <= 7:
			case sub == 8:
				r.U32()
				r.Byte()
			case sub == 9, sub == 13, sub >= 15 && sub <= 17:
				r.U32()
			case sub == 10:
				r.Byte()
				r.Byte()
			case sub == 11:
				r.Byte()
			case sub == 12, sub == 14:
				r.U32()
				r.U32()
			default:
				return nil, errNotInstrumentable
			}
			copyFrom(start)
		case op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b ||
			(op >= 0x45 && op <= 0xc4) || op == 0xd1:
			copyFrom(start)
		default:
			return nil, fmt.Errorf("%w (opcode %#x)", errNotInstrumentable, op)
		}
	}
	if r.Err != nil {
		return nil, r.Err
	}
	return out, nil
}
