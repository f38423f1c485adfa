//go:build wasip1

package sdk

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/roosthq/roost/sdk/abi"
)

// The roost_v1 host functions (docs/abi.md). Pointers are offsets into this
// module's memory; the host copies what it reads at once and writes only
// into buffers this side allocated and passed.

//go:wasmimport roost_v1 log
func hostLog(level int32, msg unsafe.Pointer, msgLen uint32, attrs unsafe.Pointer, attrsLen uint32)

//go:wasmimport roost_v1 call_read
func hostCallRead(part uint32, buf unsafe.Pointer, capacity uint32) uint32

//go:wasmimport roost_v1 output
func hostOutput(buf unsafe.Pointer, n uint32) uint32

//go:wasmimport roost_v1 result_read
func hostResultRead(slot uint32, buf unsafe.Pointer, capacity uint32) uint32

//go:wasmimport roost_v1 http_request
func hostHTTP(head unsafe.Pointer, headLen uint32, body unsafe.Pointer, bodyLen uint32) uint32

//go:wasmimport roost_v1 kv_get
func hostKVGet(key unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport roost_v1 kv_set
func hostKVSet(key unsafe.Pointer, keyLen uint32, value unsafe.Pointer, valueLen uint32) uint32

//go:wasmimport roost_v1 kv_delete
func hostKVDelete(key unsafe.Pointer, keyLen uint32) uint32

//go:wasmexport roost_abi_v1
func roostABIv1() {}

// MaxStack is the goroutine stack limit the SDK sets in a WebAssembly
// build. Go's default (1 GB) is far above any memory cap a host sets, so
// unbounded recursion would first be reported as an out-of-memory after a
// slow climb; 16 MiB turns it into a prompt "stack overflow".
const MaxStack = 16 << 20

func init() { debug.SetMaxStack(MaxStack) }

var manifestJSON []byte

//go:wasmexport roost_describe
func roostDescribe() uint32 {
	defer runtime.Gosched()
	if served == nil {
		return writeError(notServed())
	}
	if manifestJSON == nil {
		b, err := json.Marshal(served.Manifest())
		if err != nil {
			return writeError(&abi.Error{Code: abi.CodeInternal, Message: "encode manifest: " + err.Error()})
		}
		manifestJSON = b
	}
	hostOutput(ptr(manifestJSON), uint32(len(manifestJSON)))
	return abi.HandleOK
}

//go:wasmexport roost_handle
func roostHandle(op, nameLen, inputLen uint32) uint32 {
	// Yielding at the end of every export lets the Go scheduler run the
	// garbage collector's background work; without it the heap of a reactor
	// grows without bound across calls.
	defer runtime.Gosched()
	if served == nil {
		return writeError(notServed())
	}
	// The name and input are read into buffers reused across calls: calls
	// never overlap within an instance, and nothing keeps a reference to
	// them past the call (encoding/json copies what it decodes).
	nameBuf = readInto(nameBuf, abi.PartName, nameLen)
	inputBuf = readInto(inputBuf, abi.PartInput, inputLen)
	out, failure := served.handle(wasmCtx, abi.Op(op), nameBuf, inputBuf)
	if cap(inputBuf) > 1<<20 {
		inputBuf = nil // do not pin a large input's memory
	}
	if failure != nil {
		return writeError(failure)
	}
	hostOutput(ptr(out), uint32(len(out)))
	return abi.HandleOK
}

func notServed() *abi.Error {
	return &abi.Error{Code: abi.CodeInternal, Message: "the connector never called sdk.Serve (call it from an init function)"}
}

func writeError(e *abi.Error) uint32 {
	b, err := json.Marshal(e)
	if err != nil {
		b = []byte(`{"code":"internal","message":"encode error"}`)
	}
	hostOutput(ptr(b), uint32(len(b)))
	return abi.HandleError
}

func ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

var (
	nameBuf, inputBuf []byte
	// wasmCtx carries the host to every call; made once.
	wasmCtx = context.WithValue(context.Background(), hostKey{}, Host(wasmHost{}))
)

func readInto(buf []byte, part abi.Part, n uint32) []byte {
	if uint32(cap(buf)) < n {
		buf = make([]byte, n, max(n, 64))
	}
	buf = buf[:n]
	if n > 0 {
		hostCallRead(uint32(part), ptr(buf), n)
	}
	return buf
}

func readCallPart(part abi.Part, n uint32) []byte {
	if n == 0 {
		return nil
	}
	buf := make([]byte, n)
	hostCallRead(uint32(part), ptr(buf), n)
	return buf
}

// readResult copies a result slot of the latest host call, asking for its
// size first.
func readResult(slot abi.Slot) []byte {
	n := hostResultRead(uint32(slot), nil, 0)
	if n == 0 {
		return nil
	}
	buf := make([]byte, n)
	hostResultRead(uint32(slot), ptr(buf), n)
	return buf
}

func resultError() *abi.Error {
	e := &abi.Error{}
	if err := json.Unmarshal(readResult(abi.SlotMain), e); err != nil || e.Code == "" {
		return &abi.Error{Code: abi.CodeInternal, Message: "host returned an unreadable error"}
	}
	return e
}

// wasmHost implements Host with the roost_v1 imports.
type wasmHost struct{}

func (wasmHost) Log(level slog.Level, msg string, attrs []byte) {
	m := []byte(msg)
	hostLog(int32(level), ptr(m), uint32(len(m)), ptr(attrs), uint32(len(attrs)))
}

func (wasmHost) Config() []byte {
	n := hostCallRead(uint32(abi.PartConfig), nil, 0)
	return readCallPart(abi.PartConfig, n)
}

func (wasmHost) HTTP(_ context.Context, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error) {
	head, err := json.Marshal(req)
	if err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: "encode request: " + err.Error()}
	}
	if status := hostHTTP(ptr(head), uint32(len(head)), ptr(body), uint32(len(body))); status != abi.StatusOK {
		return nil, nil, resultError()
	}
	resp := &abi.HTTPResponse{}
	if err := json.Unmarshal(readResult(abi.SlotMain), resp); err != nil {
		return nil, nil, &abi.Error{Code: abi.CodeInternal, Message: "decode response head: " + err.Error()}
	}
	return resp, readResult(abi.SlotBody), nil
}

func (wasmHost) KVGet(key string) ([]byte, bool, error) {
	k := []byte(key)
	switch hostKVGet(ptr(k), uint32(len(k))) {
	case abi.StatusOK:
		v := readResult(abi.SlotMain)
		if v == nil {
			v = []byte{}
		}
		return v, true, nil
	case abi.StatusNotFound:
		return nil, false, nil
	}
	return nil, false, resultError()
}

func (wasmHost) KVSet(key string, value []byte) error {
	k := []byte(key)
	if hostKVSet(ptr(k), uint32(len(k)), ptr(value), uint32(len(value))) != abi.StatusOK {
		return resultError()
	}
	return nil
}

func (wasmHost) KVDelete(key string) error {
	k := []byte(key)
	if hostKVDelete(ptr(k), uint32(len(k))) != abi.StatusOK {
		return resultError()
	}
	return nil
}
