// Package abi is the wire contract between the Roost host and a connector:
// the ABI version, the names of the exports a connector provides and of the
// host functions it may import, the status codes, and the JSON messages that
// cross the boundary (manifest, errors, HTTP, organization pages).
//
// Both sides import this package and nothing else of each other: the host
// (package host) to load and call connectors, the Go SDK (package sdk) to
// implement them. It depends on the standard library only and compiles for
// every GOOS/GOARCH, including wasip1/wasm.
//
// docs/abi.md is the language-neutral description of the same contract; a
// connector written in C or Rust follows that page and needs nothing here.
package abi
