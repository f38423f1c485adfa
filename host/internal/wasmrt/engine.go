package wasmrt

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/tetratelabs/wazero"
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
	rt     wazero.Runtime
	cache  wazero.CompilationCache
	limits Limits
	logger *slog.Logger
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
	cfg := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithMemoryLimitPages(uint32(pages)).
		// Compiles a check into every loop header that exits to Go, where
		// the module's closed state is read and the goroutine can be
		// preempted. Without it neither a deadline nor Close stops a guest
		// in a loop, and such a guest would also stall the Go runtime's
		// stop-the-world phases. It costs (docs/architecture.md), and is
		// not optional for untrusted code.
		WithCloseOnContextDone(true)
	e := &Engine{rt: wazero.NewRuntimeWithConfig(ctx, cfg), cache: cache, limits: limits, logger: logger}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	if err := instantiateHostModule(ctx, e.rt); err != nil {
		e.Close(ctx)
		return nil, fmt.Errorf("instantiate %s: %w", abi.ImportModule, err)
	}
	return e, nil
}

// Limits returns the limits in force, defaults filled in.
func (e *Engine) Limits() Limits { return e.limits }

// Close closes every module the engine loaded and the runtime.
func (e *Engine) Close(ctx context.Context) error {
	err := e.rt.Close(ctx)
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
