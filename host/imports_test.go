package host_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// TestImportRules keeps the architecture's one-way flow (cmd → host →
// runtime → plugin) true of the code, with go list.
func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-json", "./...")
	cmd.Dir = ".."
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(stdout)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}

	const mod = "github.com/roosthq/roost/"
	has := func(list []string, prefix string) string {
		for _, d := range list {
			if d == strings.TrimSuffix(prefix, "/") || strings.HasPrefix(d, prefix) {
				return d
			}
		}
		return ""
	}
	for _, p := range pkgs {
		path := strings.TrimPrefix(p.ImportPath, mod)
		under := func(dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }
		if under("sdk") {
			if d := has(p.Deps, mod+"host/"); d != "" {
				t.Errorf("%s depends on %s: the SDK must never import the host", path, d)
			}
		}
		if path == "sdk/abi" {
			for _, d := range p.Deps {
				if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") {
					t.Errorf("sdk/abi depends on %s: the wire contract is standard library only", d)
				}
			}
		}
		if !under("cmd") {
			if d := has(p.Deps, "github.com/urfave/cli"); d != "" {
				t.Errorf("%s depends on %s: only cmd/ may use urfave/cli", path, d)
			}
		}
		// One room per library: each third-party dependency is used by the
		// internal packages named here and nowhere else.
		for dep, rooms := range map[string][]string{
			"github.com/tetratelabs/wazero": {"host/internal/wasmrt"},
			"github.com/dgraph-io/badger":   {"host/internal/store"},
			"github.com/fsnotify/fsnotify":  {"host/internal/watch"},
			"github.com/pb33f/libopenapi":   {"host/internal/openapi"},
			"github.com/expr-lang/expr":     {"host/internal/match", "host/internal/workflow"},
		} {
			if d := has(p.Imports, dep); d != "" && !slices.Contains(rooms, path) {
				t.Errorf("%s imports %s: only %s may use it", path, d, strings.Join(rooms, ", "))
			}
		}
		if under("host/internal") {
			// Domains depend on narrow interfaces and function values, never
			// on the public package above them.
			if d := has(p.Imports, mod+"host"); d == mod+"host" {
				t.Errorf("%s imports %s: internal packages never import host", path, d)
			}
		}
		if under("cmd") {
			// The CLI uses only what an embedder could use.
			if d := has(p.Imports, mod+"host/internal/"); d != "" {
				t.Errorf("%s imports %s: the CLI uses host's public API only", path, d)
			}
		}
		if under("host") {
			if d := has(p.Deps, mod+"cmd/"); d != "" {
				t.Errorf("%s depends on %s: the host must not import the CLI", path, d)
			}
		}
		if (under("plugins") && !under("plugins/internal")) || path == "examples/hello" {
			// plugins/internal holds test support that runs connectors in a host.
			if d := has(p.Deps, mod+"host"); d != "" {
				t.Errorf("%s depends on %s: connectors import the SDK, never the host", path, d)
			}
		}
	}
}
