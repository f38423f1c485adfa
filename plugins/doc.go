// Package plugins holds Roost's bundled connectors, one main package per
// subdirectory, each built to <name>.wasm with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o <name>.wasm ./plugins/<name>
//
// The generic REST connector and the vendor connectors (HaloPSA,
// ConnectWise PSA) arrive with the issues that need them; until then the
// runtime is exercised by examples/hello and examples/hello-c.
package plugins
