// Package wasmbuild builds a Go connector to WebAssembly: the one place
// that knows the command (GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared), used by roost connector build and roost dev, by
// cmd/bundle for the bundled connectors, and by sdktest.Build in authors'
// tests. Standard library only; it runs the go command found in GOROOT
// or on PATH.
//
//	out, err := wasmbuild.Go(ctx, "./acme", "acme.wasm", wasmbuild.Options{})
//	if err != nil { fmt.Println(out) } // the compiler's messages
package wasmbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Options change a build; the zero value builds a reactor, as connectors
// must be.
type Options struct {
	// Package is what to build, relative to dir; default ".".
	Package string
	// Tags are build tags.
	Tags []string
	// Strip drops the symbol table and debug information (-ldflags=-s -w):
	// smaller modules, for shipping.
	Strip bool
	// Command builds a WASI command instead of a reactor, only to test
	// that the host refuses one.
	Command bool
}

// Go builds the Go package in dir to out and returns the compiler's
// output. out is written whole (through a temporary file and a rename),
// so a watcher never sees half a module.
func Go(ctx context.Context, dir, out string, o Options) (string, error) {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(absOut), 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(absOut), filepath.Base(absOut)+".*.building")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	f.Close()
	args := []string{"build", "-trimpath"}
	if !o.Command {
		args = append(args, "-buildmode=c-shared")
	}
	if o.Strip {
		args = append(args, "-ldflags=-s -w")
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags", strings.Join(o.Tags, ","))
	}
	pkg := o.Package
	if pkg == "" {
		pkg = "."
	}
	args = append(args, "-o", tmp, pkg)
	cmd := exec.CommandContext(ctx, GoTool(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return strings.TrimSpace(buf.String()), fmt.Errorf("GOOS=wasip1 GOARCH=wasm %s: %w", strings.Join(cmd.Args, " "), err)
	}
	return strings.TrimSpace(buf.String()), os.Rename(tmp, absOut)
}

// GoTool is the go command: $GOROOT/bin/go when GOROOT is set, else "go"
// from PATH.
func GoTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
