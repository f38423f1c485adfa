// Package wasmtest runs a bundled connector — the module in plugins/dist
// that ships inside roost — in a real host, so each connector's tests
// exercise what Roost ships (the WebAssembly build, the ABI, the host's
// credential injection, host checks and retries) against a local fake of
// the tool:
//
//	func TestOrganizations(t *testing.T) {
//		fake := startFake(t)
//		c := wasmtest.Open(t, "ninjaone", map[string]any{"base_url": fake.URL(), …})
//		accounts, pages, err := c.Organizations(100)
//		…
//	}
//
// The module is the bundled one, so a test sees a source change only after
// `go run ./cmd/bundle`; cmd/bundle's TestBundleIsFresh fails until then.
// Each test process loads a module once (compiled code is cached on disk
// under the temporary directory) and gives every Open its own
// configuration.
package wasmtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins"
	"github.com/roosthq/roost/sdk/abi"
)

var (
	mu     sync.Mutex
	loaded = map[string]*host.Connector{}
)

// load returns the bundled connector name, loading it on first use. The
// host and connector live as long as the test process.
func load(t testing.TB, name string) *host.Connector {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if c := loaded[name]; c != nil {
		return c
	}
	gz, err := fs.ReadFile(plugins.Bundled(), name+".wasm.gz")
	if err != nil {
		t.Fatalf("wasmtest: %s is not bundled (add it to cmd/bundle and run `go run ./cmd/bundle`): %v", name, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("wasmtest: %s: %v", name, err)
	}
	wasm, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("wasmtest: %s: %v", name, err)
	}
	ctx := context.Background()
	home := filepath.Join(os.TempDir(), "roost-wasmtest", name) // compiled-code cache only
	h, err := host.Open(ctx, host.Config{Home: home})
	if err != nil {
		t.Fatalf("wasmtest: open host: %v", err)
	}
	c, err := h.Load(ctx, name+".wasm", wasm)
	if err != nil {
		t.Fatalf("wasmtest: load %s: %v", name, err)
	}
	loaded[name] = c
	return c
}

// Conn is a bundled connector bound to one configuration, allowed to reach
// loopback addresses (where the fakes listen).
type Conn struct {
	t  testing.TB
	cl *host.Client
}

// Open configures the bundled connector name with config (secret fields
// included: the host keeps them from the connector and injects them as the
// manifest says). A configuration the manifest refuses fails t.
func Open(t testing.TB, name string, config map[string]any) *Conn {
	t.Helper()
	cl, err := load(t, name).Configure(config, host.ClientOptions{AllowPrivateNetworks: true})
	if err != nil {
		t.Fatalf("wasmtest: configure %s: %v", name, err)
	}
	return &Conn{t: t, cl: cl}
}

// Manifest is the connector's manifest.
func (c *Conn) Manifest() *abi.Manifest { return c.cl.Connector().Manifest() }

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// Invoke runs action with in (JSON-encodable) and decodes its output into
// out (a pointer, or nil). A failed call is a *host.CallError.
func (c *Conn) Invoke(action string, in, out any) error {
	c.t.Helper()
	input, err := json.Marshal(in)
	if err != nil {
		c.t.Fatalf("wasmtest: encode input: %v", err)
	}
	ctx, cancel := ctx()
	defer cancel()
	res, err := c.cl.Invoke(ctx, action, input)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			c.t.Fatalf("wasmtest: %s returned %s, which does not decode: %v", action, res, err)
		}
	}
	return nil
}

// Check runs the connector's configuration check.
func (c *Conn) Check() (abi.CheckResult, error) {
	ctx, cancel := ctx()
	defer cancel()
	return c.cl.Check(ctx)
}

// Organizations lists every account, size at a time, as the host's mapping
// refresh does (a repeated cursor is an error), and says how many pages it
// took.
func (c *Conn) Organizations(size int) (accounts []abi.Account, pages int, err error) {
	ctx, cancel := ctx()
	defer cancel()
	err = c.cl.AllOrganizations(ctx, size, func(p abi.OrganizationPage) error {
		pages++
		accounts = append(accounts, p.Accounts...)
		return nil
	})
	return accounts, pages, err
}

// Code is the error code of a failed call, or "" for nil and errors that
// are not call errors.
func Code(err error) abi.Code {
	var ce *host.CallError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}
