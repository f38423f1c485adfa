package wasmbin

import "testing"

func TestLEB(t *testing.T) {
	for _, n := range []uint32{0, 1, 127, 128, 300, 1 << 20, 1<<32 - 1} {
		r := &Reader{B: ULEB(n)}
		if got := r.U32(); got != n || r.Err != nil || r.Pos != len(r.B) {
			t.Errorf("ULEB(%d) round trip = %d, %v", n, got, r.Err)
		}
	}
	for _, n := range []int32{0, 1, -1, 63, 64, -64, -65, 1024, -1 << 31, 1<<31 - 1} {
		r := &Reader{B: SLEB32(n)}
		if r.SkipSLEB(); r.Err != nil || r.Pos != len(r.B) {
			t.Errorf("SLEB32(%d) = % x does not read back", n, r.B)
		}
	}
	r := &Reader{B: []byte{0x80, 0x80}}
	if r.U32(); r.Err == nil {
		t.Error("truncated LEB accepted")
	}
	r = &Reader{B: Name("memory")}
	if n := r.U32(); string(r.Bytes(int(n))) != "memory" {
		t.Error("Name does not read back")
	}
}
