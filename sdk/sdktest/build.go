package sdktest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roosthq/roost/sdk/wasmbuild"
)

// BuildOptions change how Build compiles a connector.
type BuildOptions struct {
	// Command builds a WASI command (no -buildmode=c-shared), which Roost
	// refuses; only useful to test that refusal.
	Command bool
	// Tags are extra build tags.
	Tags []string
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]*buildResult{}
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Build compiles the Go connector package in dir (a directory path) with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared and returns the path
// of the .wasm file. Each dir and options pair is built once per test
// process; later calls return the same file. A build failure fails t.
func Build(t testing.TB, dir string, opts ...BuildOptions) string {
	t.Helper()
	var o BuildOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("sdktest.Build: %v", err)
	}
	key := fmt.Sprintf("%s|%v|%s", abs, o.Command, strings.Join(o.Tags, ","))
	buildMu.Lock()
	r := buildCache[key]
	if r == nil {
		r = &buildResult{}
		buildCache[key] = r
	}
	buildMu.Unlock()
	r.once.Do(func() { r.path, r.err = build(abs, key, o) })
	if r.err != nil {
		t.Fatalf("sdktest.Build %s: %v", dir, r.err)
	}
	return r.path
}

func build(dir, key string, o BuildOptions) (string, error) {
	sum := sha256.Sum256([]byte(key))
	// One file per package and options, shared by test processes and
	// replaced atomically, so repeated runs do not pile up modules.
	out := filepath.Join(os.TempDir(), "roost-sdktest", filepath.Base(dir)+"-"+hex.EncodeToString(sum[:6])+".wasm")
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	if msg, err := wasmbuild.Go(context.Background(), dir, tmp, wasmbuild.Options{Command: o.Command, Tags: o.Tags}); err != nil {
		return "", fmt.Errorf("%v\n%s", err, msg)
	}
	return out, os.Rename(tmp, out)
}
