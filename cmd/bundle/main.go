// Command bundle rebuilds plugins/dist, the connectors that ship inside the
// roost binary, from their sources in plugins/<name>:
//
//	go run ./cmd/bundle            # rebuild what changed
//	go run ./cmd/bundle -check     # exit 1 if plugins/dist is stale
//
// Each connector is built for wasip1 (trimmed paths, no symbol tables),
// loaded by a host to read and check its manifest, and written as
// NAME.wasm.gz; plugins/dist/index.json records each module's digest, size,
// manifest and a digest of the sources it was built from (the connector's
// own files, the sdk, go.mod and go.sum). A connector whose sources have
// not changed is not rebuilt.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	check := flag.Bool("check", false, "only report whether plugins/dist is up to date")
	flag.Parse()
	b := &bundler{root: *root, log: os.Stderr}
	var err error
	if *check {
		var stale []string
		stale, err = b.Stale()
		if err == nil && len(stale) > 0 {
			err = fmt.Errorf("plugins/dist is stale for %v: run `go run ./cmd/bundle`", stale)
		}
	} else {
		err = b.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}
