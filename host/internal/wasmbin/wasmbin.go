// Package wasmbin reads and writes pieces of the WebAssembly binary format:
// LEB128 numbers, names, and a Reader that walks sections and instruction
// immediates. The runtime's rewrite pass and the test module builder share it.
package wasmbin

import "errors"

// Reader decodes the wasm binary format; the first error sticks in Err.
type Reader struct {
	B   []byte
	Pos int
	Err error
}

// ErrTruncated: the input ended inside an item.
var ErrTruncated = errors.New("truncated")

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.Pos >= len(r.B) {
		r.Err = ErrTruncated
		return 0
	}
	c := r.B[r.Pos]
	r.Pos++
	return c
}

// Bytes reads n bytes (a view into B).
func (r *Reader) Bytes(n int) []byte {
	if n < 0 || r.Pos+n > len(r.B) {
		r.Err = ErrTruncated
		r.Pos = len(r.B)
		return nil
	}
	b := r.B[r.Pos : r.Pos+n]
	r.Pos += n
	return b
}

// Skip skips n bytes.
func (r *Reader) Skip(n int) { r.Bytes(n) }

// U32 reads an unsigned LEB128 u32.
func (r *Reader) U32() uint32 {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c := r.Byte()
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.Err = errors.New("bad LEB128")
	return 0
}

// SkipSLEB skips a signed LEB128 of up to 64 bits.
func (r *Reader) SkipSLEB() {
	for i := 0; i < 10; i++ {
		if r.Byte()&0x80 == 0 {
			return
		}
	}
	r.Err = errors.New("bad LEB128")
}

// BlockType skips a block type.
func (r *Reader) BlockType() {
	if r.Pos >= len(r.B) {
		r.Err = ErrTruncated
		return
	}
	switch c := r.B[r.Pos]; c {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		r.Pos++
	default:
		r.SkipSLEB() // a type index, as s33
	}
}

// Memarg skips a memory argument.
func (r *Reader) Memarg() {
	if align := r.U32(); align&0x40 != 0 { // multi-memory: a memory index follows
		r.U32()
	}
	r.U32()
}

// Limits skips table or memory limits.
func (r *Reader) Limits() {
	switch r.Byte() {
	case 0x00:
		r.U32()
	case 0x01:
		r.U32()
		r.U32()
	default:
		r.Err = errors.New("bad limits")
	}
}

// ULEB encodes n as unsigned LEB128.
func ULEB(n uint32) []byte {
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

// SLEB32 encodes n as signed LEB128.
func SLEB32(n int32) []byte {
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

// Name encodes a name: its length, then its bytes.
func Name(s string) []byte { return append(ULEB(uint32(len(s))), s...) }
