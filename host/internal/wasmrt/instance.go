package wasmrt

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/roosthq/roost/sdk/abi"
)

// instance is one instantiated connector. It runs one call at a time; the
// pool guarantees that.
type instance struct {
	module     *Module
	mod        api.Module
	mem        api.Memory
	describeFn api.Function
	handleFn   api.Function
	stack      [3]uint64
	calls      int
	maxCalls   int
	output     *guestOutput
	state      callState // reused by every call of this instance
	ctx        callCtx   // reused by every call of this instance

	// watchdog stops the guest when a call's deadline passes. One timer per
	// instance, re-armed per call, costs no allocation on the hot path.
	watchdog *time.Timer
	stopped  atomic.Uint32 // the exit code the call was stopped with, or 0
	wake     chan struct{} // closed by stop, ending sleeps
	dead     bool          // a stop may land at any moment: never reuse
}

var instanceSeq atomic.Uint64

func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	out := &guestOutput{logger: m.logger}
	inst := &instance{module: m, output: out, wake: make(chan struct{})}
	cfg := wazero.NewModuleConfig().
		// Sleeps (poll_oneoff) end early when the call is stopped.
		WithNanosleep(func(ns int64) {
			t := time.NewTimer(time.Duration(ns))
			defer t.Stop()
			select {
			case <-t.C:
			case <-inst.wake:
			}
		}).
		WithName(""). // anonymous: many instances of one module may coexist
		// _initialize is called below, under the watchdog, not by wazero:
		// a module that loops in its initializer must be stoppable too.
		WithStartFunctions().
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithStdout(out).
		WithStderr(out)
	// No WithFS, WithEnv, WithArgs: the guest sees no files, environment or
	// arguments, and wazero offers WASI sockets only when asked to.
	mod, err := m.engine.rt.InstantiateModule(ctx, m.compiled, cfg)
	if err != nil {
		f, msg := classify(ctx, err, out.text())
		if f == FaultTrap || f == FaultExit {
			f = FaultInstantiate
		}
		return nil, &CallError{Code: abi.Code(f), Fault: f, Message: "start instance: " + msg, Retryable: f == FaultTimeout}
	}
	// Spread restarts so a pool's instances do not all retire together.
	jitter := int(instanceSeq.Add(1)*7919) % (m.limits.MaxCallsPerInstance/10 + 1)
	inst.mod = mod
	inst.mem = mod.Memory()
	inst.describeFn = mod.ExportedFunction(abi.ExportDescribe)
	inst.handleFn = mod.ExportedFunction(abi.ExportHandle)
	inst.maxCalls = m.limits.MaxCallsPerInstance - jitter
	inst.watchdog = time.AfterFunc(time.Hour, func() { inst.stop(sys.ExitCodeDeadlineExceeded) })
	inst.watchdog.Stop()
	if init := mod.ExportedFunction(abi.ExportInitialize); init != nil {
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(m.limits.CallTimeout)
		}
		if _, err := inst.run(ctx, deadline, init, &Env{}, "", nil); err != nil {
			f, msg := classify(ctx, err, out.text())
			if f == FaultTrap || f == FaultExit {
				f = FaultInstantiate
			}
			inst.close(ctx)
			return nil, &CallError{Code: abi.Code(f), Fault: f, Message: "start instance: _initialize: " + msg, Retryable: f == FaultTimeout}
		}
		if inst.dead {
			inst.close(ctx)
			return nil, &CallError{Code: abi.Code(FaultTimeout), Fault: FaultTimeout, Message: "start instance: _initialize ran to its deadline", Retryable: true}
		}
	}
	return inst, nil
}

// stop ends the running call from another goroutine: it closes the
// module, which the guest notices at its next loop iteration (the runtime
// compiles those checks in), and wakes a guest that sleeps. The instance
// is dead afterwards. Closing here is safe while the guest runs because
// connector instances have no filesystem and their code belongs to the
// compiled module, so nothing the running code uses is freed.
func (in *instance) stop(code uint32) {
	if !in.stopped.CompareAndSwap(0, code) {
		return
	}
	close(in.wake)
	in.mod.CloseWithExitCode(context.Background(), code)
}

func (in *instance) close(ctx context.Context) {
	in.watchdog.Stop()
	in.mod.Close(context.WithoutCancel(ctx))
}

// callState is what the host functions of one guest call work on.
type callState struct {
	inst      *instance
	parent    context.Context // the caller's context
	deadline  time.Time
	env       *Env
	outCap    int // bytes the guest may write with output
	name      string
	input     []byte
	out       []byte
	outSet    bool
	results   [2][]byte
	hostCalls int
	logBytes  int
	logCapped bool
}

type stateKey struct{}

// maxManifestBytes caps a manifest, independently of the output cap.
const maxManifestBytes = 4 << 20

// callCtx is the context the guest call runs under: it carries the call
// state to the host functions and the caller's values, but no Done channel,
// because the instance's watchdog enforces the deadline (see run).
type callCtx struct{ st *callState }

func (c *callCtx) Deadline() (time.Time, bool) { return c.st.deadline, true }
func (c *callCtx) Done() <-chan struct{}       { return nil }
func (c *callCtx) Err() error                  { return nil }
func (c *callCtx) Value(key any) any {
	if key == (stateKey{}) {
		return c.st
	}
	return c.st.parent.Value(key)
}

// hostContext returns a context for work a host function does on the
// guest's behalf (HTTP, storage): the caller's, bounded by the call's
// deadline.
func (st *callState) hostContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(st.parent, st.deadline)
}

// run calls fn with the instance's reusable stack under the deadline. The
// watchdog timer stops the guest when the deadline passes, and a canceled
// caller context stops it too.
func (in *instance) run(ctx context.Context, deadline time.Time, fn api.Function, env *Env, name string, input []byte) (*callState, error) {
	st := &in.state
	*st = callState{inst: in, parent: ctx, deadline: deadline, env: env, name: name, input: input, outCap: in.module.limits.MaxOutputBytes}
	if fn == in.describeFn {
		st.outCap = maxManifestBytes
	}
	in.ctx.st = st
	in.output.reset()
	in.watchdog.Reset(time.Until(deadline))
	var stopOnCancel func() bool
	if ctx.Done() != nil {
		stopOnCancel = context.AfterFunc(ctx, func() {
			code := sys.ExitCodeContextCanceled
			if ctx.Err() == context.DeadlineExceeded {
				code = sys.ExitCodeDeadlineExceeded
			}
			in.stop(code)
		})
	}
	err := fn.CallWithStack(&in.ctx, in.stack[:])
	// If the deadline passed (or the caller canceled) just as the call
	// returned, the answer stands, but a stop may still land on this
	// instance: it must not serve again.
	if !in.watchdog.Stop() {
		in.dead = true
	}
	if stopOnCancel != nil && !stopOnCancel() {
		in.dead = true
	}
	st.env, st.parent = nil, nil
	in.ctx.st = nil
	if err != nil {
		if code := in.stopped.Load(); code != 0 {
			err = sys.NewExitError(code)
		}
	}
	return st, err
}

func (in *instance) describe(ctx context.Context) ([]byte, error) {
	st, err := in.run(ctx, time.Now().Add(in.module.limits.CallTimeout), in.describeFn, &Env{}, "", nil)
	if err != nil {
		f, msg := classify(ctx, err, in.output.text())
		return nil, fmt.Errorf("%w: describe: %s: %s", ErrStartFailed, f, msg)
	}
	if uint32(in.stack[0]) != abi.HandleOK {
		return nil, fmt.Errorf("%w: describe failed: %s", ErrStartFailed, string(st.out))
	}
	if !st.outSet {
		return nil, fmt.Errorf("%w: describe wrote no manifest (call output with the manifest JSON)", ErrBadManifest)
	}
	return st.out, nil
}

// handle runs one call. keep reports whether the instance may serve again.
func (in *instance) handle(ctx context.Context, deadline time.Time, env *Env, op abi.Op, name string, input []byte) (out []byte, keep bool, err error) {
	in.calls++
	in.stack[0], in.stack[1], in.stack[2] = uint64(op), uint64(len(name)), uint64(len(input))
	st, callErr := in.run(ctx, deadline, in.handleFn, env, name, input)
	if callErr != nil {
		f, msg := classify(ctx, callErr, in.output.text())
		in.close(ctx)
		return nil, false, &CallError{Code: abi.Code(f), Fault: f, Message: msg, Retryable: f == FaultTimeout}
	}
	keep = in.calls < in.maxCalls && !in.dead && uint64(in.mem.Size()) <= in.module.limits.HighWaterBytes
	switch uint32(in.stack[0]) {
	case abi.HandleOK:
		if !st.outSet {
			return []byte("null"), keep, nil
		}
		return st.out, keep, nil
	case abi.HandleError:
		e := &abi.Error{}
		if err := json.Unmarshal(st.out, e); err != nil || e.Code == "" {
			return nil, keep, &CallError{Code: abi.CodeInternal, Message: fmt.Sprintf("connector reported an error without a readable error object: %.200q", st.out)}
		}
		ce := &CallError{Code: e.Code, Message: e.Message, Retryable: e.Retryable, Details: e.Details}
		if e.Code == abi.CodePanic {
			// Recovered, but whatever the panic interrupted may be half done.
			ce.Fault, keep = FaultPanic, false
		}
		return nil, keep, ce
	default:
		return nil, false, &CallError{Code: abi.Code(FaultProtocol), Fault: FaultProtocol,
			Message: fmt.Sprintf("%s returned %d; want %d (ok) or %d (error)", abi.ExportHandle, uint32(in.stack[0]), abi.HandleOK, abi.HandleError)}
	}
}

// classify names the fault behind a failed guest call.
func classify(ctx context.Context, err error, stderr string) (Fault, string) {
	var fe *faultError
	if errors.As(err, &fe) {
		return fe.fault, fe.msg
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return FaultTimeout, "the call ran past its deadline and was stopped"
		case sys.ExitCodeContextCanceled:
			return FaultCanceled, "the call was canceled and stopped"
		}
		f, line := classifyStderr(stderr)
		if f == "" {
			f = FaultExit
		}
		if line == "" {
			line = fmt.Sprintf("the connector exited with code %d", exit.ExitCode())
		}
		return f, line
	}
	msg := err.Error()
	if i := strings.Index(msg, "\nwasm stack trace"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSuffix(msg, " (recovered by wazero)")
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return FaultTimeout, "the call ran past its deadline and was stopped"
	case ctx.Err() == context.Canceled:
		return FaultCanceled, "the call was canceled and stopped"
	case strings.Contains(msg, "stack overflow"):
		return FaultStackOverflow, msg
	}
	if f, line := classifyStderr(stderr); f != "" {
		return f, line + " (" + msg + ")"
	}
	return FaultTrap, msg
}

// classifyStderr reads what a Go (or C) guest printed before it died.
func classifyStderr(s string) (Fault, string) {
	first := func(substr string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, substr) {
				return strings.TrimSpace(l)
			}
		}
		return ""
	}
	switch {
	case strings.Contains(s, "all goroutines are asleep"):
		return FaultDeadlock, first("all goroutines are asleep")
	case strings.Contains(s, "stack overflow"), strings.Contains(s, "stack exceeds"):
		return FaultStackOverflow, first("stack")
	case strings.Contains(s, "out of memory"):
		return FaultOutOfMemory, first("out of memory")
	case strings.Contains(s, "panic: "):
		return FaultPanic, first("panic: ")
	}
	return "", ""
}

// guestOutput takes the guest's stdout and stderr. It keeps the start and
// the end of what the current call printed, since a dying Go runtime prints
// its reason ("fatal error: stack overflow") first and then kilobytes of
// goroutine traces; and it logs what was printed at debug level.
type guestOutput struct {
	logger *slog.Logger
	mu     sync.Mutex
	head   []byte
	tail   []byte
}

const outputKeep = 4 << 10

// reset forgets earlier calls' output.
func (g *guestOutput) reset() {
	g.mu.Lock()
	g.head, g.tail = g.head[:0], g.tail[:0]
	g.mu.Unlock()
}

func (g *guestOutput) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if room := outputKeep - len(g.head); room > 0 {
		g.head = append(g.head, p[:min(room, len(p))]...)
	}
	g.tail = append(g.tail, p...)
	if len(g.tail) > outputKeep {
		g.tail = append(g.tail[:0], g.tail[len(g.tail)-outputKeep:]...)
	}
	if g.logger.Enabled(context.Background(), slog.LevelDebug) {
		g.logger.Debug("connector output", "text", strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// text returns what the current call printed: the start, then the end.
func (g *guestOutput) text() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(g.head) + "\n…\n" + string(g.tail)
}
