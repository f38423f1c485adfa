package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"

	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/wasmbuild"
)

// Connectors are the plugins/ subdirectories that are bundled.
var Connectors = []string{"autotask", "connectwise", "halopsa", "huntress", "itglue", "m365", "ninjaone", "pax8", "rest"}

type bundler struct {
	root string
	log  io.Writer
}

func (b *bundler) dist() string { return filepath.Join(b.root, "plugins", "dist") }

func (b *bundler) readIndex() (host.BundleIndex, error) {
	var idx host.BundleIndex
	raw, err := os.ReadFile(filepath.Join(b.dist(), "index.json"))
	if err != nil {
		return idx, err
	}
	return idx, json.Unmarshal(raw, &idx)
}

// SourceDigest hashes everything a connector's module is built from.
func (b *bundler) SourceDigest(name string) (string, error) {
	var files []string
	add := func(dir string) error {
		return filepath.WalkDir(filepath.Join(b.root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "sdktest") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				files = append(files, p)
			}
			return nil
		})
	}
	if err := add(filepath.Join("plugins", name)); err != nil {
		return "", err
	}
	if err := add("sdk"); err != nil {
		return "", err
	}
	files = append(files, filepath.Join(b.root, "go.mod"), filepath.Join(b.root, "go.sum"))
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(b.root, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Stale names the connectors whose bundled module was not built from the
// current sources.
func (b *bundler) Stale() ([]string, error) {
	idx, err := b.readIndex()
	if err != nil {
		return nil, err
	}
	have := map[string]string{}
	for _, e := range idx.Connectors {
		have[strings.TrimSuffix(strings.TrimSuffix(e.File, ".gz"), ".wasm")] = e.Sources
	}
	var stale []string
	for _, name := range Connectors {
		d, err := b.SourceDigest(name)
		if err != nil {
			return nil, err
		}
		if have[name] != d {
			stale = append(stale, name)
		}
	}
	return stale, nil
}

// Run rebuilds the stale connectors and rewrites the index.
func (b *bundler) Run() error {
	idx, _ := b.readIndex()
	old := map[string]host.BundleEntry{}
	for _, e := range idx.Connectors {
		old[e.File] = e
	}
	stale, err := b.Stale()
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if os.IsNotExist(err) {
		stale = Connectors
	}
	isStale := map[string]bool{}
	for _, n := range stale {
		isStale[n] = true
	}
	ctx := context.Background()
	h, err := host.Open(ctx, host.Config{})
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	var out host.BundleIndex
	for _, name := range Connectors {
		file := name + ".wasm.gz"
		if e, ok := old[file]; ok && !isStale[name] {
			out.Connectors = append(out.Connectors, e)
			continue
		}
		e, err := b.build(ctx, h, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		out.Connectors = append(out.Connectors, e)
	}
	raw, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(b.dist(), "index.json"), append(raw, '\n'))
}

func (b *bundler) build(ctx context.Context, h *host.Host, name string) (host.BundleEntry, error) {
	start := time.Now()
	digest, err := b.SourceDigest(name)
	if err != nil {
		return host.BundleEntry{}, err
	}
	tmp, err := os.MkdirTemp("", "roost-bundle-")
	if err != nil {
		return host.BundleEntry{}, err
	}
	defer os.RemoveAll(tmp)
	wasmPath := filepath.Join(tmp, name+".wasm")
	if out, err := wasmbuild.Go(ctx, b.root, wasmPath, wasmbuild.Options{Package: "./plugins/" + name, Strip: true}); err != nil {
		return host.BundleEntry{}, fmt.Errorf("%v\n%s", err, out)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		return host.BundleEntry{}, err
	}
	c, err := h.Load(ctx, name+".wasm", wasm)
	if err != nil {
		return host.BundleEntry{}, err
	}
	manifest, err := json.Marshal(c.Manifest())
	c.Close(ctx)
	if err != nil {
		return host.BundleEntry{}, err
	}
	if c.Manifest().Name != name {
		return host.BundleEntry{}, fmt.Errorf("the connector in plugins/%s calls itself %q; the directory and the name must match", name, c.Manifest().Name)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(wasm)
	if err := zw.Close(); err != nil {
		return host.BundleEntry{}, err
	}
	if err := writeFile(filepath.Join(b.dist(), name+".wasm.gz"), gz.Bytes()); err != nil {
		return host.BundleEntry{}, err
	}
	sum := sha256.Sum256(wasm)
	fmt.Fprintf(b.log, "bundled %s %s: %d bytes, %d gzipped, in %s\n", name, c.Manifest().Version, len(wasm), gz.Len(), time.Since(start).Round(time.Millisecond))
	return host.BundleEntry{File: name + ".wasm.gz", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm)),
		Manifest: manifest, Sources: digest}, nil
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
