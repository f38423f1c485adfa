package wasmrt

import (
	"bytes"
	"errors"
	"fmt"
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
	r := &reader{b: wasm, pos: 8}
	for r.pos < len(r.b) {
		id := r.byte()
		size := r.u32()
		if r.err != nil || r.pos+int(size) > len(r.b) {
			return nil, fmt.Errorf("section %d: truncated", id)
		}
		sections = append(sections, section{id, r.b[r.pos : r.pos+int(size)]})
		r.pos += int(size)
	}

	// Pass 1: the type of the new import, and the index spaces.
	var nTypes, nImportedFuncs, nImportedGlobals, nGlobals uint32
	for _, s := range sections {
		br := &reader{b: s.body}
		switch s.id {
		case 1:
			nTypes = br.u32()
		case 2:
			var err error
			if nImportedFuncs, nImportedGlobals, err = countImports(s.body); err != nil {
				return nil, err
			}
		case 6:
			nGlobals = br.u32()
		}
		if br.err != nil {
			return nil, br.err
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
	check = append(check, uleb(budget)...)
	check = append(check, 0x41, 0x01, 0x6b, 0x24) // i32.const 1, i32.sub, global.set
	check = append(check, uleb(budget)...)
	check = append(check, 0x23) // global.get
	check = append(check, uleb(budget)...)
	check = append(check, 0x45, 0x04, 0x40, 0x41) // i32.eqz, if, i32.const
	check = append(check, sleb32(tickEvery)...)
	check = append(check, 0x24)
	check = append(check, uleb(budget)...)
	check = append(check, 0x10)
	check = append(check, uleb(tickFunc)...)
	check = append(check, 0x0b)

	newType := []byte{0x60, 0x00, 0x00}
	newImport := append(append(name(tickModule), name(tickName)...), 0x00)
	newImport = append(newImport, uleb(tickType)...)
	newGlobal := append([]byte{0x7f, 0x01, 0x41}, sleb32(tickEvery)...)
	newGlobal = append(newGlobal, 0x0b)

	var out bytes.Buffer
	out.Write(wasm[:8])
	emit := func(id byte, body []byte) {
		out.WriteByte(id)
		out.Write(uleb(uint32(len(body))))
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
					emit(1, append(uleb(1), newType...))
				case 2:
					emit(2, append(uleb(1), newImport...))
				case 6:
					emit(6, append(uleb(1), newGlobal...))
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
			br := &reader{b: s.body}
			f := br.u32()
			body, err = uleb(shift(f)), br.err
		case 9:
			body, err = rewriteElements(s.body, shift)
		case 10:
			body, err = rewriteCode(s.body, check, shift)
		case 0:
			if bytes.HasPrefix(s.body, name("name")) {
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
	r := &reader{b: body}
	n := r.u32()
	if r.err != nil {
		return nil, r.err
	}
	out := uleb(n + 1)
	out = append(out, body[r.pos:]...)
	return append(out, item...), nil
}

func countImports(body []byte) (funcs, globals uint32, err error) {
	r := &reader{b: body}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		module := string(r.bytes(int(r.u32())))
		r.skip(int(r.u32()))
		if module == tickModule {
			return 0, 0, fmt.Errorf("module already imports from %s", tickModule)
		}
		switch r.byte() {
		case 0x00:
			r.u32()
			funcs++
		case 0x01:
			r.byte()
			r.limits()
		case 0x02:
			r.limits()
		case 0x03:
			r.byte()
			r.byte()
			globals++
		case 0x04:
			r.byte()
			r.u32()
		default:
			return 0, 0, errors.New("import section: unknown import kind")
		}
	}
	return funcs, globals, r.err
}

func rewriteGlobals(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &reader{b: body}
	n := r.u32()
	out := uleb(n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		out = append(out, r.bytes(2)...) // valtype, mutability
		out = r.constExpr(out, shift)
	}
	return out, r.err
}

func rewriteExports(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &reader{b: body}
	n := r.u32()
	out := uleb(n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		l := r.u32()
		out = append(out, uleb(l)...)
		out = append(out, r.bytes(int(l))...)
		kind := r.byte()
		idx := r.u32()
		if kind == 0x00 {
			idx = shift(idx)
		}
		out = append(append(out, kind), uleb(idx)...)
	}
	return out, r.err
}

func rewriteElements(body []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &reader{b: body}
	n := r.u32()
	out := uleb(n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		flags := r.u32()
		out = append(out, uleb(flags)...)
		if flags > 7 {
			return nil, errNotInstrumentable
		}
		if flags == 2 || flags == 6 {
			out = append(out, uleb(r.u32())...) // table index
		}
		if flags&1 == 0 {
			out = r.constExpr(out, shift) // offset
		}
		if flags&3 != 0 {
			out = append(out, r.byte()) // elemkind or reftype
		}
		count := r.u32()
		out = append(out, uleb(count)...)
		for k := uint32(0); k < count && r.err == nil; k++ {
			if flags&4 == 0 {
				out = append(out, uleb(shift(r.u32()))...)
			} else {
				out = r.constExpr(out, shift)
			}
		}
	}
	return out, r.err
}

// constExpr copies a constant expression, renumbering ref.func.
func (r *reader) constExpr(out []byte, shift func(uint32) uint32) []byte {
	for r.err == nil {
		op := r.byte()
		out = append(out, op)
		switch op {
		case 0x0b:
			return out
		case 0x41, 0x42:
			start := r.pos
			r.sleb()
			out = append(out, r.b[start:r.pos]...)
		case 0x43:
			out = append(out, r.bytes(4)...)
		case 0x44:
			out = append(out, r.bytes(8)...)
		case 0x23:
			out = append(out, uleb(r.u32())...)
		case 0xd0:
			out = append(out, r.byte())
		case 0xd2:
			out = append(out, uleb(shift(r.u32()))...)
		default:
			// Extended constant expressions (i32.add …) have no immediates.
			if !(op >= 0x6a && op <= 0x7e) {
				r.err = errNotInstrumentable
			}
		}
	}
	return out
}

func rewriteCode(body, check []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &reader{b: body}
	n := r.u32()
	out := uleb(n)
	for i := uint32(0); i < n; i++ {
		size := r.u32()
		if r.err != nil || r.pos+int(size) > len(r.b) {
			return nil, fmt.Errorf("code section: function %d truncated", i)
		}
		fn, err := rewriteFunction(r.b[r.pos:r.pos+int(size)], check, shift)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", i, err)
		}
		r.pos += int(size)
		out = append(out, uleb(uint32(len(fn)))...)
		out = append(out, fn...)
	}
	return out, r.err
}

func rewriteFunction(fn, check []byte, shift func(uint32) uint32) ([]byte, error) {
	r := &reader{b: fn}
	groups := r.u32()
	for i := uint32(0); i < groups; i++ {
		r.u32()
		r.byte()
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]byte, 0, len(fn)+len(fn)/4+len(check))
	out = append(out, fn[:r.pos]...)
	out = append(out, check...) // every call passes here
	copyFrom := func(start int) { out = append(out, r.b[start:r.pos]...) }
	for r.pos < len(r.b) && r.err == nil {
		start := r.pos
		op := r.byte()
		switch {
		case op == 0x03: // loop blocktype
			r.blockType()
			copyFrom(start)
			out = append(out, check...)
		case op == 0x10 || op == 0x12 || op == 0xd2: // call, return_call, ref.func
			f := r.u32()
			out = append(append(out, op), uleb(shift(f))...)
		case op == 0x02 || op == 0x04: // block, if
			r.blockType()
			copyFrom(start)
		case op == 0x0c || op == 0x0d || (op >= 0x20 && op <= 0x26): // br, br_if, local/global/table get/set
			r.u32()
			copyFrom(start)
		case op == 0x0e: // br_table
			for k := r.u32(); k > 0 && r.err == nil; k-- {
				r.u32()
			}
			r.u32()
			copyFrom(start)
		case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect: type, table
			r.u32()
			r.u32()
			copyFrom(start)
		case op == 0x1c: // select t*
			r.skip(int(r.u32()))
			copyFrom(start)
		case op >= 0x28 && op <= 0x3e: // loads and stores
			r.memarg()
			copyFrom(start)
		case op == 0x3f || op == 0x40: // memory.size, memory.grow
			r.byte()
			copyFrom(start)
		case op == 0x41 || op == 0x42:
			r.sleb()
			copyFrom(start)
		case op == 0x43:
			r.skip(4)
			copyFrom(start)
		case op == 0x44:
			r.skip(8)
			copyFrom(start)
		case op == 0xd0: // ref.null t
			r.byte()
			copyFrom(start)
		case op == 0xfc:
			switch sub := r.u32(); {
			case sub <= 7:
			case sub == 8:
				r.u32()
				r.byte()
			case sub == 9, sub == 13, sub >= 15 && sub <= 17:
				r.u32()
			case sub == 10:
				r.byte()
				r.byte()
			case sub == 11:
				r.byte()
			case sub == 12, sub == 14:
				r.u32()
				r.u32()
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
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

// reader decodes the wasm binary format; the first error sticks.
type reader struct {
	b   []byte
	pos int
	err error
}

var errTruncated = errors.New("truncated")

func (r *reader) byte() byte {
	if r.pos >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	c := r.b[r.pos]
	r.pos++
	return c
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || r.pos+n > len(r.b) {
		r.err = errTruncated
		r.pos = len(r.b)
		return nil
	}
	b := r.b[r.pos : r.pos+n]
	r.pos += n
	return b
}

func (r *reader) skip(n int) { r.bytes(n) }

func (r *reader) u32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.err = errors.New("bad LEB128")
	return 0
}

func (r *reader) sleb() {
	for i := 0; i < 10; i++ {
		if r.byte()&0x80 == 0 {
			return
		}
	}
	r.err = errors.New("bad LEB128")
}

func (r *reader) blockType() {
	if r.pos >= len(r.b) {
		r.err = errTruncated
		return
	}
	switch c := r.b[r.pos]; c {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		r.pos++
	default:
		r.sleb() // a type index, as s33
	}
}

func (r *reader) memarg() {
	if align := r.u32(); align&0x40 != 0 { // multi-memory: a memory index follows
		r.u32()
	}
	r.u32()
}

func (r *reader) limits() {
	switch r.byte() {
	case 0x00:
		r.u32()
	case 0x01:
		r.u32()
		r.u32()
	default:
		r.err = errors.New("bad limits")
	}
}

func uleb(n uint32) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

func sleb32(n int32) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if (n == 0 && c&0x40 == 0) || (n == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func name(s string) []byte { return append(uleb(uint32(len(s))), s...) }
