package wasmrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/roosthq/roost/sdk/abi"
)

// Limits bound what one connector may use. Zero fields take the defaults
// given on each.
type Limits struct {
	// PoolSize is the number of instances per connector, hence the number
	// of its calls that run at once. Default 4.
	PoolSize int
	// CallTimeout bounds every call (the caller's earlier deadline wins).
	// Default 30s.
	CallTimeout time.Duration
	// MemoryBytes caps each instance's linear memory. Default 128 MiB.
	MemoryBytes uint64
	// HighWaterBytes retires an instance after a call that left its memory
	// above this. Default 3/4 of MemoryBytes.
	HighWaterBytes uint64
	// MaxInputBytes caps a call's input. Default 4 MiB.
	MaxInputBytes int
	// MaxOutputBytes caps a call's output. Default 4 MiB.
	MaxOutputBytes int
	// MaxLogBytes caps what one call may log; the rest is dropped with a
	// note. Default 64 KiB.
	MaxLogBytes int
	// MaxHostCalls caps host-function calls in one call. Default 10000.
	MaxHostCalls int
	// MaxCallsPerInstance retires an instance after this many calls (with
	// up to 10% jitter so a pool does not restart at once). Default 100000.
	MaxCallsPerInstance int
}

const mib = 1 << 20

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.PoolSize, 4)
	def(&l.MaxInputBytes, 4*mib)
	def(&l.MaxOutputBytes, 4*mib)
	def(&l.MaxLogBytes, 64<<10)
	def(&l.MaxHostCalls, 10000)
	def(&l.MaxCallsPerInstance, 100000)
	if l.CallTimeout <= 0 {
		l.CallTimeout = 30 * time.Second
	}
	if l.MemoryBytes == 0 {
		l.MemoryBytes = 128 * mib
	}
	if l.HighWaterBytes == 0 || l.HighWaterBytes > l.MemoryBytes {
		l.HighWaterBytes = l.MemoryBytes / 4 * 3
	}
	return l
}

// Options configure an Engine.
type Options struct {
	// CacheDir holds compiled machine code across processes. Empty keeps
	// the cache in memory only.
	CacheDir string
	// Limits apply to every connector the engine loads.
	Limits Limits
	// Logger receives connector logs and guest stdout/stderr. Nil discards.
	Logger *slog.Logger
}

// Engine owns one wazero runtime and everything loaded into it. It is safe
// for concurrent use.
type Engine struct {
	// fast runs modules rewritten by instrument (tick.go), which stop
	// themselves through tick; safe runs the rest with wazero's
	// close-on-done checks.
	fast     wazero.Runtime
	safe     wazero.Runtime
	cache    wazero.CompilationCache
	cacheDir string // where rewritten modules are kept; "" keeps none
	limits   Limits
	logger   *slog.Logger
}

// NewEngine starts a runtime with the sandbox settings every connector runs
// under: memory capped, calls interruptible by their context, WASI with no
// filesystem, environment, arguments or sockets, and the roost_v1 host
// functions.
func NewEngine(ctx context.Context, opts Options) (*Engine, error) {
	limits := opts.Limits.withDefaults()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var cache wazero.CompilationCache
	if opts.CacheDir != "" {
		if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("compilation cache: %w", err)
		}
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(opts.CacheDir); err != nil {
			return nil, fmt.Errorf("compilation cache %s: %w", opts.CacheDir, err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	pages := limits.MemoryBytes / 65536
	if pages > 65536 {
		pages = 65536
	}
	base := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithMemoryLimitPages(uint32(pages))
	e := &Engine{
		fast: wazero.NewRuntimeWithConfig(ctx, base),
		// WithCloseOnContextDone compiles a check into every loop header
		// that exits to Go, where the module's closed state is read and the
		// goroutine can be preempted. Without it (or tick.go's rewrite)
		// neither a deadline nor Close stops a guest in a loop, and such a
		// guest would also stall the Go runtime's stop-the-world phases.
		safe:     wazero.NewRuntimeWithConfig(ctx, base.WithCloseOnContextDone(true)),
		cache:    cache,
		cacheDir: opts.CacheDir,
		limits:   limits,
		logger:   logger,
	}
	for _, rt := range []wazero.Runtime{e.fast, e.safe} {
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
			e.Close(ctx)
			return nil, fmt.Errorf("instantiate WASI: %w", err)
		}
		if err := instantiateHostModule(ctx, rt); err != nil {
			e.Close(ctx)
			return nil, fmt.Errorf("instantiate %s: %w", abi.ImportModule, err)
		}
	}
	if _, err := e.fast.NewHostModuleBuilder(tickModule).NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostTick), nil, nil).Export(tickName).Instantiate(ctx); err != nil {
		e.Close(ctx)
		return nil, fmt.Errorf("instantiate %s: %w", tickModule, err)
	}
	return e, nil
}

// Limits returns the limits in force, defaults filled in.
func (e *Engine) Limits() Limits { return e.limits }

// Close closes every module the engine loaded and the runtime.
func (e *Engine) Close(ctx context.Context) error {
	err := errors.Join(e.fast.Close(ctx), e.safe.Close(ctx))
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Env is what one call's host functions reach. The caller builds it once
// per configuration and passes it with every call.
type Env struct {
	// Config is the configuration given to the guest: a JSON object
	// without secret fields.
	Config []byte
	// HTTP performs an outbound request. Nil refuses all requests.
	HTTP func(ctx context.Context, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error)
	// KV is the integration's key-value store. Nil refuses all access.
	KV KV
	// Logger receives the connector's log records. Nil uses the engine's.
	Logger *slog.Logger
}

// KV is a key-value store scoped to one integration.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

func errorJSON(code abi.Code, format string, args ...any) []byte {
	b, _ := json.Marshal(&abi.Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: code.Retryable()})
	return b
}

// rewrite returns wasm rewritten by instrument, from the cache directory
// when an earlier load already did the work (the pass takes tens of
// milliseconds on a 4 MB Go module; reading the result back, a few).
func (e *Engine) rewrite(sum [32]byte, wasm []byte) ([]byte, error) {
	if e.cacheDir == "" {
		return instrument(wasm)
	}
	path := e.rewritePath(sum)
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	b, err := instrument(wasm)
	if err != nil {
		return nil, err
	}
	// Best effort: a cache that cannot be written only costs time.
	if os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		if os.WriteFile(tmp, b, 0o600) == nil && os.Rename(tmp, path) != nil {
			os.Remove(tmp)
		}
	}
	return b, nil
}

func (e *Engine) rewritePath(sum [32]byte) string {
	return filepath.Join(e.cacheDir, "rewritten", fmt.Sprintf("%s-%x.wasm", tickPassVersion, sum))
}

// forgetRewrite drops a cached rewrite that failed to compile.
func (e *Engine) forgetRewrite(sum [32]byte) {
	if e.cacheDir != "" {
		os.Remove(e.rewritePath(sum))
	}
}
