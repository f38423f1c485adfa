package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roosthq/roost/host/internal/memkv"
	"github.com/roosthq/roost/sdk/abi"
)

// Live is a connector that can be replaced by a new build while it serves.
// Calls in flight finish on the build they started on; new calls go to the
// newest build; an old build is closed once its last call returns. A build
// that fails to load never replaces a working one.
//
// Make one with Host.LoadLive and feed it new builds with Reload (a
// watcher does this in `roost dev`).
type Live struct {
	h    *Host
	path string
	opts LiveOptions

	cur atomic.Pointer[liveBuild]

	mu      sync.Mutex // serialises reloads
	clients []*LiveClient
	closed  bool
}

// LiveOptions change how a Live connector takes new builds.
type LiveOptions struct {
	// AllowNewHosts accepts a build that reaches hosts the running one
	// does not. Without it such a build is refused with a
	// *HostsWidenedError: a reload never widens where a connector may
	// connect silently. Development mode sets it and reports the hosts.
	AllowNewHosts bool
	// KV is the connector's key-value store, kept across builds.
	KV KV
}

// liveBuild is one build with the calls running on it.
type liveBuild struct {
	conn     *Connector
	gen      int
	sha      string
	inflight atomic.Int64
	retired  atomic.Bool
	once     sync.Once
	drained  chan struct{}
}

func (b *liveBuild) release() {
	if b.inflight.Add(-1) == 0 && b.retired.Load() {
		b.close()
	}
}

func (b *liveBuild) retire() {
	b.retired.Store(true)
	if b.inflight.Load() == 0 {
		b.close()
	}
}

func (b *liveBuild) close() {
	b.once.Do(func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b.conn.Close(ctx)
			close(b.drained)
		}()
	})
}

// HostsWidenedError is a new build that would reach hosts the running one
// does not, refused because the Live connector does not allow it.
type HostsWidenedError struct {
	Connector string   `json:"connector"`
	Added     []string `json:"added"`
	// Link is the build a linked integration runs; installing the link
	// again accepts the new hosts.
	Link string `json:"link,omitempty"`
}

func (e *HostsWidenedError) Error() string {
	return fmt.Sprintf("the new build of %s would also reach %s; the previous build stays in use", e.Connector, strings.Join(e.Added, ", "))
}

// LoadLive loads the connector at path as a Live connector.
func (h *Host) LoadLive(ctx context.Context, path string, opts LiveOptions) (*Live, error) {
	l := &Live{h: h, path: path, opts: opts}
	if l.opts.KV == nil {
		l.opts.KV = &memkv.Store{}
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Source: path, Err: err}
	}
	conn, err := h.Load(ctx, path, wasm, LoadOptions{KV: l.opts.KV})
	if err != nil {
		return nil, err
	}
	l.cur.Store(&liveBuild{conn: conn, gen: 1, sha: digest(wasm), drained: make(chan struct{})})
	return l, nil
}

// Path is the file the Live connector loads builds from.
func (l *Live) Path() string { return l.path }

// Manifest is the current build's manifest.
func (l *Live) Manifest() *abi.Manifest { return l.cur.Load().conn.Manifest() }

// Generation counts builds: 1 for the first, +1 for each reload.
func (l *Live) Generation() int { return l.cur.Load().gen }

// ReloadResult says what a reload did.
type ReloadResult struct {
	// Reloaded is false when the file's content had not changed.
	Reloaded   bool     `json:"reloaded"`
	Generation int      `json:"generation"`
	SHA256     string   `json:"sha256"`
	Changes    *Changes `json:"changes,omitempty"`
	// Compile is the time to load and check the new build; Swap the time
	// to put it in place.
	Compile time.Duration `json:"compile_ns"`
	Swap    time.Duration `json:"swap_ns"`
}

// Reload reads the file again and, if its content changed and the new
// build loads and checks, swaps it in. On any error the running build
// keeps serving.
func (l *Live) Reload(ctx context.Context) (*ReloadResult, error) {
	wasm, err := os.ReadFile(l.path)
	if err != nil {
		return nil, &LoadError{Source: l.path, Err: err}
	}
	return l.ReloadBytes(ctx, wasm)
}

// ReloadBytes is Reload with the new build's bytes.
func (l *Live) ReloadBytes(ctx context.Context, wasm []byte) (*ReloadResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	old := l.cur.Load()
	sha := digest(wasm)
	if sha == old.sha {
		return &ReloadResult{Generation: old.gen, SHA256: sha}, nil
	}
	start := time.Now()
	conn, err := l.h.Load(ctx, l.path, wasm, LoadOptions{KV: l.opts.KV})
	if err != nil {
		return nil, err
	}
	compile := time.Since(start)
	oldM, newM := old.conn.Manifest(), conn.Manifest()
	if oldM.Name != newM.Name {
		conn.Close(ctx)
		return nil, fmt.Errorf("the new build calls itself %q, the running one %q; a reload keeps the connector's name", newM.Name, oldM.Name)
	}
	oldJSON, _ := json.Marshal(oldM)
	changes := diffManifests(oldJSON, newM)
	if len(changes.HostsAdded) > 0 && !l.opts.AllowNewHosts {
		conn.Close(ctx)
		return nil, &HostsWidenedError{Connector: newM.Name, Added: slices.Clone(changes.HostsAdded)}
	}
	// Clients of the old build get a twin on the new one before the swap,
	// so a call never finds a build without its client.
	swapStart := time.Now()
	next := &liveBuild{conn: conn, gen: old.gen + 1, sha: sha, drained: make(chan struct{})}
	for _, c := range l.clients {
		if err := c.bind(next); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("the new build rejects a configuration in use: %w", err)
		}
	}
	l.cur.Store(next)
	old.retire()
	res := &ReloadResult{Reloaded: true, Generation: next.gen, SHA256: sha, Compile: compile, Swap: time.Since(swapStart)}
	if !changes.Empty() {
		res.Changes = changes
	}
	return res, nil
}

// acquire returns the current build with a call counted on it.
func (l *Live) acquire() *liveBuild {
	for {
		b := l.cur.Load()
		b.inflight.Add(1)
		if l.cur.Load() == b {
			return b
		}
		b.release()
	}
}

// Close closes the current build after its calls return.
func (l *Live) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	b := l.cur.Load()
	l.mu.Unlock()
	b.retire()
	select {
	case <-b.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LiveClient is a Live connector bound to one configuration; its calls go
// to the newest build.
type LiveClient struct {
	live   *Live
	values map[string]any
	opts   ClientOptions

	mu      sync.Mutex
	byBuild map[*liveBuild]*Client
}

// Configure binds a configuration, as Connector.Configure does, to every
// build to come.
func (l *Live) Configure(values map[string]any, opts ...ClientOptions) (*LiveClient, error) {
	lc := &LiveClient{live: l, values: values, byBuild: map[*liveBuild]*Client{}}
	if len(opts) > 0 {
		lc.opts = opts[0]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := lc.bind(l.cur.Load()); err != nil {
		return nil, err
	}
	l.clients = append(l.clients, lc)
	return lc, nil
}

// bind makes the client's twin on build b and forgets builds that are
// closed.
func (lc *LiveClient) bind(b *liveBuild) error {
	cl, err := b.conn.Configure(lc.values, lc.opts)
	if err != nil {
		return err
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	for old := range lc.byBuild {
		select {
		case <-old.drained:
			delete(lc.byBuild, old)
		default:
		}
	}
	lc.byBuild[b] = cl
	return nil
}

func (lc *LiveClient) client() (*Client, *liveBuild) {
	b := lc.live.acquire()
	lc.mu.Lock()
	cl := lc.byBuild[b]
	lc.mu.Unlock()
	return cl, b
}

// Invoke runs an action on the newest build.
func (lc *LiveClient) Invoke(ctx context.Context, action string, input json.RawMessage) (json.RawMessage, error) {
	cl, b := lc.client()
	defer b.release()
	if cl == nil {
		return nil, errors.New("live connector: no client for the current build")
	}
	return cl.Invoke(ctx, action, input)
}

// Check runs the configuration check on the newest build.
func (lc *LiveClient) Check(ctx context.Context) (abi.CheckResult, error) {
	cl, b := lc.client()
	defer b.release()
	return cl.Check(ctx)
}

// Organizations lists one page of accounts on the newest build.
func (lc *LiveClient) Organizations(ctx context.Context, req abi.PageRequest) (abi.OrganizationPage, error) {
	cl, b := lc.client()
	defer b.release()
	return cl.Organizations(ctx, req)
}
