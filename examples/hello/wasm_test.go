package main

import (
	"testing"

	"github.com/roosthq/roost/examples/internal/hellotest"
	"github.com/roosthq/roost/sdk/sdktest"
)

// TestWasm builds this connector to WebAssembly and runs it in a real host.
func TestWasm(t *testing.T) {
	hellotest.Run(t, sdktest.Build(t, "."), "hello")
}
