package host

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/host/internal/wasmrt"
	"github.com/roosthq/roost/sdk/abi"
)

// CallError is the error of a call that produced no result: the
// connector's own structured error (Fault empty) or a fault in the guest
// (Fault set: time-out, trap, out of memory, …), after which the instance
// that faulted was discarded.
type CallError = wasmrt.CallError

// Fault names a guest failure; see the Fault constants.
type Fault = wasmrt.Fault

// Faults a CallError may carry.
const (
	FaultTimeout         = wasmrt.FaultTimeout
	FaultCanceled        = wasmrt.FaultCanceled
	FaultOutOfMemory     = wasmrt.FaultOutOfMemory
	FaultStackOverflow   = wasmrt.FaultStackOverflow
	FaultDeadlock        = wasmrt.FaultDeadlock
	FaultPanic           = wasmrt.FaultPanic
	FaultTrap            = wasmrt.FaultTrap
	FaultExit            = wasmrt.FaultExit
	FaultOutputTooLarge  = wasmrt.FaultOutputTooLarge
	FaultHostCallFlood   = wasmrt.FaultHostCallFlood
	FaultProtocol        = wasmrt.FaultProtocol
	FaultInstantiate     = wasmrt.FaultInstantiate
	FaultPoolUnavailable = wasmrt.FaultPoolUnavailable
	FaultClosed          = wasmrt.FaultClosed
)

// LoadError says why a module could not be loaded; errors.Is matches it
// against the sentinels below.
type LoadError = wasmrt.LoadError

// ABIMismatchError names the ABI version a connector speaks and the one
// this host speaks.
type ABIMismatchError = wasmrt.ABIMismatchError

// Causes of a LoadError.
var (
	// ErrNotWasm: the file is not WebAssembly at all. Check the path.
	ErrNotWasm = wasmrt.ErrNotWasm
	// ErrInvalidWasm: the module is malformed. Rebuild it.
	ErrInvalidWasm = wasmrt.ErrInvalidWasm
	// ErrNotConnector: valid wasm without the Roost ABI. Build it with the
	// SDK or follow docs/abi.md.
	ErrNotConnector = wasmrt.ErrNotConnector
	// ErrCommandModule: built as a WASI command. Rebuild with
	// -buildmode=c-shared (Go) or -mexec-model=reactor (clang).
	ErrCommandModule = wasmrt.ErrCommandModule
	// ErrABIMismatch: another ABI version. The error is an
	// *ABIMismatchError naming both.
	ErrABIMismatch = wasmrt.ErrABIMismatch
	// ErrBadManifest: the connector describes itself wrongly. Fix the
	// fields the message names.
	ErrBadManifest = wasmrt.ErrBadManifest
	// ErrStartFailed: the module failed while starting or describing
	// itself.
	ErrStartFailed = wasmrt.ErrStartFailed
)

// ErrClosed is returned by a Host after Close.
var ErrClosed = errors.New("host is closed")

// ConfigError lists every problem with a configuration, each naming its
// field.
type ConfigError struct {
	Connector string
	Problems  []FieldProblem
}

// FieldProblem is one bad configuration field.
type FieldProblem = abi.ConfigProblem

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = fmt.Sprintf("%s: %s", p.Field, p.Problem)
	}
	return fmt.Sprintf("configuration of %s: %s", e.Connector, strings.Join(parts, "; "))
}

// HomeInUseError says another process has the Roost home's store open.
type HomeInUseError = store.InUseError

// NewerStoreError says the store was written by a newer Roost.
type NewerStoreError = store.NewerSchemaError
