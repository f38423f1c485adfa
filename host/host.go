package host

import (
	"context"
	"errors"
	"fmt"
	"github.com/roosthq/roost/host/internal/oauth"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roosthq/roost/host/internal/httpx"
	"github.com/roosthq/roost/host/internal/wasmrt"
)

// Limits bound what each connector may use; zero fields take defaults
// (pool of 4, 30 s calls, 128 MiB memory, 4 MiB input and output, 64 KiB of
// logs and 10000 host calls per call).
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

// HTTPConfig governs connectors' outbound requests.
type HTTPConfig struct {
	// Timeout bounds one request, retries included. Default 30s.
	Timeout time.Duration
	// MaxResponseBytes caps a response body. Default 8 MiB.
	MaxResponseBytes int64
	// MaxRetries for idempotent requests on 429/5xx. Default 2; negative
	// disables.
	MaxRetries int
	// AllowPrivateNetworks lets connectors reach loopback, private and
	// link-local addresses. Off by default: a name that resolves there is
	// refused. Turn it on for tools on the local network, and in tests.
	AllowPrivateNetworks bool
}

// Config configures a Host. The zero value works: no disk cache, default
// limits, logs discarded.
type Config struct {
	// Home is the Roost home directory. Compiled connectors are cached in
	// Home/cache/wazero so a restart does not recompile them. Empty keeps
	// the cache in memory.
	Home   string
	Limits Limits
	HTTP   HTTPConfig
	// Logger receives connector logs, each record tagged with the
	// connector's name. Nil discards them.
	Logger *slog.Logger

	// Catalogs are directories whose .wasm files are available to install.
	Catalogs []string
	// Bundled holds the connectors that ship with Roost: an index.json
	// (see BundleIndex) and the modules it names, each NAME.wasm or
	// gzip-compressed NAME.wasm.gz. Nil means none.
	Bundled fs.FS
	// SecretKey, when set, is the key that seals configuration secrets (64
	// hex digits or base64 of 32 bytes; the CLI passes ROOST_SECRET_KEY).
	// Empty uses Home/secret.key, created on first use with mode 0600.
	SecretKey string
}

// CacheDir is where a host with this home keeps compiled code.
func CacheDir(home string) string { return filepath.Join(home, "cache", "wazero") }

// Host runs connectors. Open one per process (or per home) and Close it.
type Host struct {
	cfg    Config
	engine *wasmrt.Engine
	http   *httpx.Client
	logger *slog.Logger

	mu         sync.Mutex
	connectors map[*Connector]struct{}
	closed     bool
	// tokens are OAuth2 token sources shared by every client of the same
	// credentials, so a token outlives one client.
	tokens map[string]*oauth.ClientCredentials

	home    homeState // the store and what hangs off it, opened on first use
	serving serving   // what a host serving its API keeps
	// The bundled connectors' listing, read once.
	bundledOnce sync.Once
	bundledList []Available
	bundledErr  error

	// drafts serializes changes to mapping drafts and aliases, each a read
	// and a write of one record: a service serves many clients at once.
	drafts sync.Mutex
}

// Open starts a Host.
func Open(ctx context.Context, cfg Config) (*Host, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := wasmrt.Options{Limits: wasmrt.Limits(cfg.Limits), Logger: logger}
	if cfg.Home != "" {
		opts.CacheDir = CacheDir(cfg.Home)
	}
	engine, err := wasmrt.NewEngine(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open host: %w", err)
	}
	return &Host{
		cfg:    cfg,
		engine: engine,
		http: httpx.New(httpx.Options{
			Timeout:          cfg.HTTP.Timeout,
			MaxResponseBytes: cfg.HTTP.MaxResponseBytes,
			MaxRetries:       cfg.HTTP.MaxRetries,
		}),
		logger:     logger,
		connectors: map[*Connector]struct{}{},
	}, nil
}

// Limits returns the limits in force, defaults filled in.
func (h *Host) Limits() Limits { return Limits(h.engine.Limits()) }

// Close closes every connector (waiting for calls in flight until ctx is
// done) and the runtime.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	conns := make([]*Connector, 0, len(h.connectors))
	for c := range h.connectors {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.Close(ctx))
	}
	h.http.Close()
	errs = append(errs, h.home.close())
	errs = append(errs, h.engine.Close(ctx))
	return errors.Join(errs...)
}

// LoadOptions change how one connector is loaded.
type LoadOptions struct {
	// KV is the connector's key-value store. Nil gives it an in-memory
	// store that lives as long as the Connector.
	KV KV
}

// KV is a key-value store scoped to one integration.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// LoadFile reads and loads the connector at path.
func (h *Host) LoadFile(ctx context.Context, path string, opts ...LoadOptions) (*Connector, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Source: path, Err: err}
	}
	return h.Load(ctx, path, wasm, opts...)
}

// Load compiles and checks the connector in wasm (source names it in
// errors) and starts its first instance. The error is a *LoadError.
func (h *Host) Load(ctx context.Context, source string, wasm []byte, opts ...LoadOptions) (*Connector, error) {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	var o LoadOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	mod, err := h.engine.Load(ctx, source, wasm)
	if err != nil {
		return nil, rtErr(err)
	}
	c := newConnector(h, mod, o)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		mod.Close(ctx)
		return nil, ErrClosed
	}
	h.connectors[c] = struct{}{}
	return c, nil
}

func (h *Host) forget(c *Connector) {
	h.mu.Lock()
	delete(h.connectors, c)
	h.mu.Unlock()
}
