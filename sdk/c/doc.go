// Package c holds Roost's connector SDK for C: roost/roost.h declares the
// ABI v1 imports and a few helpers, roost/roost.c implements them (in a
// subdirectory, so the Go tool does not take them for cgo sources).
// examples/hello-c is built with them, and `roost connector new --lang c`
// copies them into a new connector (Files embeds them for that).
package c

import "embed"

// Files are roost/roost.h and roost/roost.c.
//
//go:embed roost/roost.h roost/roost.c
var Files embed.FS
