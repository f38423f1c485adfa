package wasmrt

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/roosthq/roost/sdk/abi"
)

const (
	i32 = api.ValueTypeI32

	maxKeyBytes   = 512
	maxValueBytes = 1 << 20
	maxHeadBytes  = 64 << 10
)

// hostFunctionTypes is the signature of every roost_v1 host function;
// checkShape compares a module's imports against it.
var hostFunctionTypes = map[string][2][]api.ValueType{
	abi.ImportLog:        {{i32, i32, i32, i32, i32}, nil},
	abi.ImportCallRead:   {{i32, i32, i32}, {i32}},
	abi.ImportOutput:     {{i32, i32}, {i32}},
	abi.ImportResultRead: {{i32, i32, i32}, {i32}},
	abi.ImportHTTP:       {{i32, i32, i32, i32}, {i32}},
	abi.ImportKVGet:      {{i32, i32}, {i32}},
	abi.ImportKVSet:      {{i32, i32, i32, i32}, {i32}},
	abi.ImportKVDelete:   {{i32, i32}, {i32}},
}

func instantiateHostModule(ctx context.Context, rt wazero.Runtime) error {
	funcs := map[string]api.GoModuleFunc{
		abi.ImportLog:        hostLog,
		abi.ImportCallRead:   hostCallRead,
		abi.ImportOutput:     hostOutput,
		abi.ImportResultRead: hostResultRead,
		abi.ImportHTTP:       hostHTTP,
		abi.ImportKVGet:      hostKVGet,
		abi.ImportKVSet:      hostKVSet,
		abi.ImportKVDelete:   hostKVDelete,
	}
	b := rt.NewHostModuleBuilder(abi.ImportModule)
	for name, fn := range funcs {
		sig := hostFunctionTypes[name]
		b.NewFunctionBuilder().WithGoModuleFunction(fn, sig[0], sig[1]).Export(name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// enter finds the call a host function belongs to and counts the host
// call against the flood limit. A host function called outside a call (from
// _initialize) gets nil.
func enter(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil {
		return nil
	}
	st.hostCalls++
	if max := st.inst.module.limits.MaxHostCalls; st.hostCalls > max {
		panic(fault(FaultHostCallFlood, "the connector made more than %d host calls in one call", max))
	}
	return st
}

// read copies [ptr, ptr+n) out of guest memory at once.
func read(mod api.Module, ptr, n uint32, what string) []byte {
	if n == 0 {
		return nil
	}
	view, ok := mod.Memory().Read(ptr, n)
	if !ok {
		panic(fault(FaultProtocol, "%s: %d bytes at %#x are outside the connector's memory", what, n, ptr))
	}
	return append([]byte(nil), view...)
}

// fill writes as much of data as fits into the guest buffer [ptr, ptr+cap)
// and returns len(data), so a guest can ask with cap 0 for the size first.
func fill(mod api.Module, ptr, capacity uint32, data []byte, what string) uint64 {
	n := min(uint32(len(data)), capacity)
	if n > 0 && !mod.Memory().Write(ptr, data[:n]) {
		panic(fault(FaultProtocol, "%s: buffer of %d bytes at %#x is outside the connector's memory", what, capacity, ptr))
	}
	return uint64(len(data))
}

func u32(v uint64) uint32 { return uint32(v) }

// log(level, msg_ptr, msg_len, attrs_ptr, attrs_len)
func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	level := slog.Level(int32(u32(stack[0])))
	msgLen, attrsLen := u32(stack[2]), u32(stack[4])
	logger := (*slog.Logger)(nil)
	if st != nil {
		if st.logCapped {
			return
		}
		st.logBytes += int(msgLen) + int(attrsLen)
		if limit := st.inst.module.limits.MaxLogBytes; st.logBytes > limit {
			st.logCapped = true
			st.inst.module.logger.Warn("connector log output over the per-call cap; dropping the rest of this call's logs", "cap_bytes", limit)
			return
		}
		logger = st.inst.module.logger
		if st.env != nil && st.env.Logger != nil {
			logger = st.env.Logger
		}
	}
	if logger == nil || !logger.Enabled(ctx, level) {
		return
	}
	msg := read(mod, u32(stack[1]), msgLen, "log message")
	attrs := read(mod, u32(stack[3]), attrsLen, "log attributes")
	var args []any
	if len(attrs) > 0 {
		var fields map[string]any
		if err := json.Unmarshal(attrs, &fields); err != nil {
			args = append(args, "attrs", string(attrs))
		}
		for k, v := range fields {
			args = append(args, k, v)
		}
	}
	logger.Log(ctx, level, string(msg), args...)
}

// call_read(part, ptr, cap) -> size
func hostCallRead(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "call_read outside a call"))
	}
	var data []byte
	switch abi.Part(u32(stack[0])) {
	case abi.PartName:
		stack[0] = fill(mod, u32(stack[1]), u32(stack[2]), []byte(st.name), "call_read name")
		return
	case abi.PartInput:
		data = st.input
	case abi.PartConfig:
		data = st.env.Config
		if len(data) == 0 {
			data = []byte("{}")
		}
	default:
		panic(fault(FaultProtocol, "call_read: unknown part %d", u32(stack[0])))
	}
	stack[0] = fill(mod, u32(stack[1]), u32(stack[2]), data, "call_read")
}

// output(ptr, len) -> status
func hostOutput(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "output outside a call"))
	}
	n := u32(stack[1])
	if max := st.outCap; int(n) > max {
		panic(fault(FaultOutputTooLarge, "the connector's answer is %d bytes, over the %d-byte cap", n, max))
	}
	st.out = read(mod, u32(stack[0]), n, "output")
	if st.out == nil {
		st.out = []byte{}
	}
	st.outSet = true
	stack[0] = abi.StatusOK
}

// result_read(slot, ptr, cap) -> size
func hostResultRead(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "result_read outside a call"))
	}
	slot := u32(stack[0])
	if slot >= uint32(len(st.results)) {
		panic(fault(FaultProtocol, "result_read: unknown slot %d", slot))
	}
	stack[0] = fill(mod, u32(stack[1]), u32(stack[2]), st.results[slot], "result_read")
}

// setResult leaves the answer of a host function in the result slots and
// returns its status.
func (st *callState) setResult(status uint64, main, body []byte) uint64 {
	st.results[abi.SlotMain], st.results[abi.SlotBody] = main, body
	return status
}

func (st *callState) fail(code abi.Code, format string, args ...any) uint64 {
	return st.setResult(abi.StatusError, errorJSON(code, format, args...), nil)
}

// http_request(head_ptr, head_len, body_ptr, body_len) -> status
func hostHTTP(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "http_request outside a call"))
	}
	headLen := u32(stack[1])
	if headLen > maxHeadBytes {
		stack[0] = st.fail(abi.CodeTooLarge, "request head is %d bytes, over the %d-byte cap", headLen, maxHeadBytes)
		return
	}
	if max := st.inst.module.limits.MaxOutputBytes; int(u32(stack[3])) > max {
		stack[0] = st.fail(abi.CodeTooLarge, "request body is %d bytes, over the %d-byte cap", u32(stack[3]), max)
		return
	}
	var req abi.HTTPRequest
	if err := json.Unmarshal(read(mod, u32(stack[0]), headLen, "http_request head"), &req); err != nil {
		stack[0] = st.fail(abi.CodeInvalidInput, "request head is not valid JSON: %v", err)
		return
	}
	body := read(mod, u32(stack[2]), u32(stack[3]), "http_request body")
	if st.env.HTTP == nil {
		stack[0] = st.fail(abi.CodePermissionDenied, "outbound HTTP is not available to this connector here")
		return
	}
	hctx, cancel := st.hostContext()
	defer cancel()
	resp, respBody, err := st.env.HTTP(hctx, &req, body)
	if err != nil {
		var e *abi.Error
		if ae, ok := err.(*abi.Error); ok {
			e = ae
		} else {
			e = &abi.Error{Code: abi.CodeUnavailable, Message: err.Error(), Retryable: true}
		}
		b, _ := json.Marshal(e)
		stack[0] = st.setResult(abi.StatusError, b, nil)
		return
	}
	head, _ := json.Marshal(resp)
	stack[0] = st.setResult(abi.StatusOK, head, respBody)
}

func (st *callState) kvKey(mod api.Module, ptr, n uint32) (string, bool) {
	if n == 0 || n > maxKeyBytes {
		return "", false
	}
	return string(read(mod, ptr, n, "kv key")), true
}

// kv_get(key_ptr, key_len) -> status
func hostKVGet(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "kv_get outside a call"))
	}
	key, ok := st.kvKey(mod, u32(stack[0]), u32(stack[1]))
	switch {
	case !ok:
		stack[0] = st.fail(abi.CodeInvalidInput, "kv key must be 1 to %d bytes", maxKeyBytes)
	case st.env.KV == nil:
		stack[0] = st.fail(abi.CodePermissionDenied, "no key-value store is available here")
	default:
		hctx, cancel := st.hostContext()
		defer cancel()
		v, found, err := st.env.KV.Get(hctx, key)
		switch {
		case err != nil:
			stack[0] = st.fail(abi.CodeUnavailable, "kv get %q: %v", key, err)
		case !found:
			stack[0] = st.setResult(abi.StatusNotFound, nil, nil)
		default:
			stack[0] = st.setResult(abi.StatusOK, v, nil)
		}
	}
}

// kv_set(key_ptr, key_len, value_ptr, value_len) -> status
func hostKVSet(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "kv_set outside a call"))
	}
	key, ok := st.kvKey(mod, u32(stack[0]), u32(stack[1]))
	n := u32(stack[3])
	switch {
	case !ok:
		stack[0] = st.fail(abi.CodeInvalidInput, "kv key must be 1 to %d bytes", maxKeyBytes)
	case n > maxValueBytes:
		stack[0] = st.fail(abi.CodeTooLarge, "kv value is %d bytes, over the %d-byte cap", n, maxValueBytes)
	case st.env.KV == nil:
		stack[0] = st.fail(abi.CodePermissionDenied, "no key-value store is available here")
	default:
		hctx, cancel := st.hostContext()
		defer cancel()
		if err := st.env.KV.Set(hctx, key, read(mod, u32(stack[2]), n, "kv value")); err != nil {
			stack[0] = st.fail(abi.CodeUnavailable, "kv set %q: %v", key, err)
			return
		}
		stack[0] = st.setResult(abi.StatusOK, nil, nil)
	}
}

// kv_delete(key_ptr, key_len) -> status
func hostKVDelete(ctx context.Context, mod api.Module, stack []uint64) {
	st := enter(ctx)
	if st == nil {
		panic(fault(FaultProtocol, "kv_delete outside a call"))
	}
	key, ok := st.kvKey(mod, u32(stack[0]), u32(stack[1]))
	switch {
	case !ok:
		stack[0] = st.fail(abi.CodeInvalidInput, "kv key must be 1 to %d bytes", maxKeyBytes)
	case st.env.KV == nil:
		stack[0] = st.fail(abi.CodePermissionDenied, "no key-value store is available here")
	default:
		hctx, cancel := st.hostContext()
		defer cancel()
		if err := st.env.KV.Delete(hctx, key); err != nil {
			stack[0] = st.fail(abi.CodeUnavailable, "kv delete %q: %v", key, err)
			return
		}
		stack[0] = st.setResult(abi.StatusOK, nil, nil)
	}
}

// hostTick is what rewritten modules call every few thousand loop
// iterations or calls (tick.go): it stops the call once its context has
// ended, and, being Go code, lets the scheduler preempt the goroutine.
func hostTick(ctx context.Context, _ api.Module, _ []uint64) {
	st, _ := ctx.Value(stateKey{}).(*callState)
	if st == nil || st.cc == nil {
		return
	}
	if err := st.cc.Err(); err != nil {
		code := sys.ExitCodeContextCanceled
		if err == context.DeadlineExceeded {
			code = sys.ExitCodeDeadlineExceeded
		}
		panic(sys.NewExitError(code))
	}
}
