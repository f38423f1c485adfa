package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/host/internal/watch"
	"github.com/roosthq/roost/sdk/wasmbuild"
)

// DevOptions set up a development session.
type DevOptions struct {
	// Path is a connector's .wasm file (any language) or the directory of
	// a Go connector, which is rebuilt when its sources change.
	Path string `json:"path,omitempty"`
	// Output is where a Go connector is built to; default
	// <dir>/<dir name>.wasm.
	Output string `json:"output,omitempty"`
	// Quiet is the debounce period; 0 means 100 ms.
	Quiet time.Duration `json:"quiet_ns,omitempty"`
	// AllowPrivateNetworks lets the connector reach loopback and private
	// addresses (local tools, fakes).
	AllowPrivateNetworks bool `json:"allow_private_networks,omitempty"`
	// Events receives a DevEvent for every build and reload. It is called
	// from the session's goroutine, one event at a time.
	Events func(DevEvent) `json:"-"`
}

// DevEvent reports what a development session did after a change.
type DevEvent struct {
	// Kind is "serving" (first, with Connector, Version and Path),
	// "reloaded", "unchanged", "build failed" or "reload failed".
	Kind      string        `json:"kind"`
	Connector string        `json:"connector,omitempty"`
	Version   string        `json:"version,omitempty"`
	Path      string        `json:"path,omitempty"`
	Changed   []string      `json:"changed,omitempty"`
	Result    *ReloadResult `json:"result,omitempty"`
	// Err says why a build or reload failed; the running build serves on.
	// Error is its message, as the API sends it.
	Err    error  `json:"-"`
	Error  string `json:"error,omitempty"`
	Output string `json:"output,omitempty"` // the compiler's output
	// Debounce is the wait for the burst of edits to settle, Build the Go
	// build; the reload's own compile and swap times are in Result.
	Debounce time.Duration `json:"debounce_ns"`
	Build    time.Duration `json:"build_ns,omitempty"`
	// Total runs from the first change to the new build serving.
	Total time.Duration `json:"total_ns"`
}

// DevSession serves a connector under development and reloads it on
// every change. Close it when done.
type DevSession struct {
	live    *Live
	watcher *watch.Watcher
	opts    DevOptions
	srcDir  string // Go sources, or ""
	done    chan struct{}
	wg      sync.WaitGroup
}

// Develop builds (for a Go directory) and loads the connector at
// opts.Path, then watches it. New hosts are allowed, and reported in each
// reload's Changes.
func (h *Host) Develop(ctx context.Context, opts DevOptions) (*DevSession, error) {
	if opts.Events == nil {
		opts.Events = func(DevEvent) {}
	}
	fi, err := os.Stat(opts.Path)
	if err != nil {
		return nil, err
	}
	s := &DevSession{opts: opts, done: make(chan struct{})}
	wasmPath := opts.Path
	wopts := watch.Options{Quiet: opts.Quiet}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(opts.Path, "main.go")); err != nil {
			return nil, fmt.Errorf("%s is a directory without main.go; give a Go connector's directory or a .wasm file", opts.Path)
		}
		s.srcDir = opts.Path
		if opts.Output == "" {
			abs, _ := filepath.Abs(opts.Path)
			opts.Output = filepath.Join(opts.Path, filepath.Base(abs)+".wasm")
			s.opts.Output = opts.Output
		}
		wasmPath = opts.Output
		if out, err := BuildGoConnector(ctx, opts.Path, opts.Output); err != nil {
			return nil, fmt.Errorf("build %s: %w\n%s", opts.Path, err, out)
		}
		wopts.Dirs, wopts.Recursive = []string{opts.Path}, true
		wopts.Match = func(p string) bool {
			b := filepath.Base(p)
			return strings.HasSuffix(b, ".go") || b == "go.mod" || b == "go.sum"
		}
	} else {
		abs, err := filepath.Abs(opts.Path)
		if err != nil {
			return nil, err
		}
		wasmPath = abs
		wopts.Dirs = []string{filepath.Dir(abs)}
		wopts.Match = func(p string) bool { return p == abs }
	}
	live, err := h.LoadLive(ctx, wasmPath, LiveOptions{AllowNewHosts: true})
	if err != nil {
		return nil, err
	}
	s.live = live
	if s.watcher, err = watch.New(wopts); err != nil {
		live.Close(ctx)
		return nil, err
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// Live is the session's live connector.
func (s *DevSession) Live() *Live { return s.live }

func (s *DevSession) loop() {
	defer s.wg.Done()
	for {
		select {
		case b, ok := <-s.watcher.Batches:
			if !ok {
				return
			}
			s.opts.Events(s.rebuild(b))
		case <-s.watcher.Errors:
			// a dropped event: the next change is seen anyway
		case <-s.done:
			return
		}
	}
}

func (s *DevSession) rebuild(b watch.Batch) DevEvent {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ev := DevEvent{Changed: b.Paths, Debounce: time.Since(b.First)}
	if s.srcDir != "" {
		start := time.Now()
		out, err := BuildGoConnector(ctx, s.srcDir, s.opts.Output)
		ev.Build = time.Since(start)
		if err != nil {
			ev.Kind, ev.Err, ev.Output = "build failed", err, out
			ev.Total = time.Since(b.First)
			return ev
		}
	}
	res, err := s.live.Reload(ctx)
	ev.Total = time.Since(b.First)
	switch {
	case err != nil:
		ev.Kind, ev.Err = "reload failed", err
	case !res.Reloaded:
		ev.Kind, ev.Result = "unchanged", res
	default:
		ev.Kind, ev.Result = "reloaded", res
	}
	return ev
}

// Close stops watching and closes the connector once its calls return.
func (s *DevSession) Close(ctx context.Context) error {
	close(s.done)
	err := s.watcher.Close()
	s.wg.Wait()
	return errors.Join(err, s.live.Close(ctx))
}

// BuildGoConnector builds the Go connector in dir to out for wasip1, as
// `roost connector build` does, and returns the compiler's output.
func BuildGoConnector(ctx context.Context, dir, out string) (string, error) {
	return wasmbuild.Go(ctx, dir, out, wasmbuild.Options{})
}
