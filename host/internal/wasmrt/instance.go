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

	// instance, re-armed per call, costs no allocation on the hot path.
	// watchdog cancels the current call's context at its deadline. One
	// timer per instance, re-armed per call, is cheaper than a
	// context.WithDeadline (and its timer) per call.
	watchdog *time.Timer
	mu       sync.Mutex
	current  *callCtx // the running call's context, nil between calls
	expired  bool     // the watchdog fired during the running call
	// wake is the Done channel of the current call's context; sleeping
	// guests (poll_oneoff) wake when it closes.
	wake <-chan struct{}
	// dead: the call's context ended as the call returned, so wazero may
	// still close this instance; never reuse it.
	dead bool
}

var instanceSeq atomic.Uint64

func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	out := &guestOutput{logger: m.logger}
	inst := &instance{module: m, output: out}
	inst.watchdog = time.AfterFunc(time.Hour, inst.expire)
	inst.watchdog.Stop()
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
		// _initialize is called below, under a deadline, not by wazero:
		// a module that loops in its initializer must be stoppable too.
		WithStartFunctions().
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithStdout(out).
		WithStderr(out)
	// No WithFS, WithEnv, WithArgs: the guest sees no files, environment or
	// arguments, and wazero offers WASI sockets only when asked to.
	mod, err := m.rt.InstantiateModule(ctx, m.compiled, cfg)
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

func (in *instance) close(ctx context.Context) {
	in.watchdog.Stop()
	in.mod.Close(context.WithoutCancel(ctx))
}

// expire runs on the watchdog's goroutine when a call's deadline passes.
func (in *instance) expire() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current != nil {
		in.expired = true
		in.current.cancel(context.DeadlineExceeded)
	}
}

// callState is what the host functions of one guest call work on.
type callState struct {
	inst      *instance
	cc        *callCtx        // the call's context, which tick checks
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

// callCtx is the context a guest call runs under. It is its own
// cancellation: Done closes when the watchdog fires or the caller's context
// ends, and wazero's watcher then closes the module, which the guest
// notices at its next loop iteration. Values come from the caller's
// context, plus the call state for the host functions. One allocation per
// call (and its channel) instead of context.WithDeadline's four.
type callCtx struct {
	parent context.Context
	st     *callState
	done   chan struct{}
	err    atomic.Pointer[error]
}

func newCallCtx(parent context.Context, st *callState) *callCtx {
	return &callCtx{parent: parent, st: st, done: make(chan struct{})}
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.st.deadline, true }
func (c *callCtx) Done() <-chan struct{}       { return c.done }

func (c *callCtx) Err() error {
	if e := c.err.Load(); e != nil {
		return *e
	}
	return nil
}

// cancel ends the call with err; only the first cancel counts.
func (c *callCtx) cancel(err error) {
	if c.err.CompareAndSwap(nil, &err) {
		close(c.done)
	}
}

func (c *callCtx) Value(key any) any {
	if key == (stateKey{}) {
		return c.st
	}
	return c.parent.Value(key)
}

// hostContext returns a context for work a host function does on the
// guest's behalf (HTTP, storage): the caller's, bounded by the call's
// deadline.
func (st *callState) hostContext() (context.Context, context.CancelFunc) {
	return context.WithDeadline(st.parent, st.deadline)
}

// run calls fn with the instance's reusable stack under the deadline.
// When the call's context ends (deadline or caller cancellation), wazero's
// watcher closes the module, which the guest notices at its next loop
// iteration (the runtime compiles those checks in); wazero defers freeing
// the module's resources until the call has unwound, so nothing is freed
// under the running guest.
func (in *instance) run(ctx context.Context, deadline time.Time, fn api.Function, env *Env, name string, input []byte) (*callState, error) {
	st := &in.state
	*st = callState{inst: in, parent: ctx, deadline: deadline, env: env, name: name, input: input, outCap: in.module.limits.MaxOutputBytes}
	if fn == in.describeFn {
		st.outCap = maxManifestBytes
	}
	// A fresh callCtx per call: wazero's watcher goroutine may still read
	// the context after the call has returned.
	cc := newCallCtx(ctx, st)
	st.cc = cc
	if ctx.Done() != nil {
		if err := ctx.Err(); err != nil {
			cc.cancel(err)
		} else {
			stop := context.AfterFunc(ctx, func() { cc.cancel(ctx.Err()) })
			defer stop()
		}
	}
	in.mu.Lock()
	in.current, in.expired = cc, false
	in.mu.Unlock()
	in.watchdog.Reset(time.Until(deadline))
	in.wake = cc.done
	in.output.reset()

	err := fn.CallWithStack(cc, in.stack[:])

	in.watchdog.Stop()
	in.mu.Lock()
	expired := in.expired
	in.current = nil
	in.mu.Unlock()
	// wazero stops watching the context when the call returns; if the
	// context had already ended, its watcher may still be closing the
	// module. The answer stands, but the instance must not serve again.
	if cc.Err() != nil {
		in.dead = true
	}
	if err != nil && expired {
		err = sys.NewExitError(sys.ExitCodeDeadlineExceeded) // our deadline, not the caller's cancel
	}
	st.env, st.parent, st.cc = nil, nil, nil
	in.wake = nil
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
