package main

import (
	"io"
	"testing"
)

// TestBundleIsFresh fails when a bundled connector's sources (its
// plugins/<name> files, the sdk, go.mod, go.sum) changed without
// `go run ./cmd/bundle`, so the roost binary never ships an old build.
func TestBundleIsFresh(t *testing.T) {
	b := &bundler{root: "../..", log: io.Discard}
	stale, err := b.Stale()
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("plugins/dist is stale for %v: run `go run ./cmd/bundle` and commit plugins/dist", stale)
	}
}
