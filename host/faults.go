package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/host/internal/wasmrt"
	"github.com/roosthq/roost/sdk/abi"
)

// Fault names what went wrong inside a guest when a call ended without an
// answer from the connector itself.
type Fault string

// Faults a CallError may carry.
const (
	FaultTimeout         Fault = "timeout"          // the call's deadline passed; the guest was stopped
	FaultCanceled        Fault = "canceled"         // the caller canceled; the guest was stopped
	FaultOutOfMemory     Fault = "out_of_memory"    // the guest hit the memory cap
	FaultStackOverflow   Fault = "stack_overflow"   // unbounded recursion
	FaultDeadlock        Fault = "deadlock"         // the guest blocked with nothing left to run
	FaultPanic           Fault = "panic"            // the guest panicked (recovered or not)
	FaultTrap            Fault = "trap"             // any other WebAssembly trap
	FaultExit            Fault = "exit"             // the guest called proc_exit
	FaultOutputTooLarge  Fault = "output_too_large" // the answer exceeded the output cap
	FaultHostCallFlood   Fault = "host_call_flood"  // more host calls in one call than allowed
	FaultProtocol        Fault = "protocol"         // the guest broke the ABI (bad pointer, bad status)
	FaultInstantiate     Fault = "instantiate"      // a new instance could not start
	FaultPoolUnavailable Fault = "pool_unavailable" // no instance became free before the deadline
	FaultClosed          Fault = "closed"           // the connector was closed
)

// CallError is the error of a call that produced no result: the
// connector's own structured error (Fault empty) or a fault in the guest
// (Fault set: time-out, trap, out of memory, …), after which the instance
// that faulted was discarded.
type CallError struct {
	Connector string          `json:"connector"`         // the connector's name
	Op        string          `json:"op"`                // "action greet", "check", "organizations", "describe"
	Code      abi.Code        `json:"code"`              // the connector's code, or the fault as a code
	Message   string          `json:"message"`           // what happened, for a person
	Retryable bool            `json:"retryable"`         // whether trying again may help
	Fault     Fault           `json:"fault,omitempty"`   // empty when the connector itself answered with an error
	Details   json.RawMessage `json:"details,omitempty"` // the connector's details, if any
}

func (e *CallError) Error() string {
	kind := string(e.Code)
	if e.Fault != "" {
		kind = "fault " + string(e.Fault)
	}
	return fmt.Sprintf("connector %s: %s: %s: %s", e.Connector, e.Op, kind, e.Message)
}

// Causes of a LoadError; test with errors.Is.
var (
	// ErrNotWasm: the file is not WebAssembly at all. Check the path.
	ErrNotWasm = errors.New("not a WebAssembly module")
	// ErrInvalidWasm: the module is malformed. Rebuild it.
	ErrInvalidWasm = errors.New("invalid WebAssembly module")
	// ErrNotConnector: valid wasm without the Roost ABI. Build it with the
	// SDK or follow docs/abi.md.
	ErrNotConnector = errors.New("not a Roost connector")
	// ErrCommandModule: built as a WASI command. Rebuild with
	// -buildmode=c-shared (Go) or -mexec-model=reactor (clang).
	ErrCommandModule = errors.New("built as a WASI command, not a reactor")
	// ErrABIMismatch: another ABI version. The error is an
	// *ABIMismatchError naming both.
	ErrABIMismatch = errors.New("ABI version mismatch")
	// ErrBadManifest: the connector describes itself wrongly. Fix the
	// fields the message names.
	ErrBadManifest = errors.New("invalid manifest")
	// ErrStartFailed: the module failed while starting or describing
	// itself.
	ErrStartFailed = errors.New("connector failed to start")
)

// loadCauses pairs the runtime's causes with the host's, in one place.
var loadCauses = []struct {
	rt, host error
	code     string
}{
	{wasmrt.ErrNotWasm, ErrNotWasm, "not_wasm"},
	{wasmrt.ErrInvalidWasm, ErrInvalidWasm, "invalid_wasm"},
	{wasmrt.ErrNotConnector, ErrNotConnector, "not_connector"},
	{wasmrt.ErrCommandModule, ErrCommandModule, "command_module"},
	{wasmrt.ErrABIMismatch, ErrABIMismatch, "abi_mismatch"},
	{wasmrt.ErrBadManifest, ErrBadManifest, "bad_manifest"},
	{wasmrt.ErrStartFailed, ErrStartFailed, "start_failed"},
}

// LoadError says why a module could not be loaded; errors.Is matches it
// against the causes above.
type LoadError struct {
	Source string `json:"source"` // where the module came from (a path or a name)
	Err    error  `json:"-"`      // wraps one of the causes above, or an I/O error
}

func (e *LoadError) Error() string { return fmt.Sprintf("load connector %s: %v", e.Source, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// ABIMismatchError names the ABI version a connector speaks and the one
// this host speaks.
type ABIMismatchError struct {
	Connector string `json:"connector"` // e.g. "2" from a roost_abi_v2 marker, or "1.3" from a manifest
	Host      string `json:"host"`      // this host's version, "1.0"
	Hint      string `json:"hint,omitempty"`
}

func (e *ABIMismatchError) Error() string {
	msg := fmt.Sprintf("connector speaks Roost ABI v%s but this host speaks v%s", e.Connector, e.Host)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Is makes errors.Is(err, ErrABIMismatch) true.
func (e *ABIMismatchError) Is(target error) bool { return target == ErrABIMismatch }

// causeError keeps a cause's message while matching the host's sentinel.
type causeError struct {
	msg      string
	sentinel error
}

func (e *causeError) Error() string        { return e.msg }
func (e *causeError) Is(target error) bool { return target == e.sentinel }

// HomeInUseError says another process has the Roost home's store open
// without serving its API.
type HomeInUseError struct {
	Home string `json:"home"`
	// Holder is what the other process wrote in the lock file: its pid and
	// command line, when known.
	Holder string `json:"holder,omitempty"`
}

func (e *HomeInUseError) Error() string {
	who := "another roost process"
	if e.Holder != "" {
		who += " (" + e.Holder + ")"
	}
	return fmt.Sprintf("the Roost home %s is in use by %s", e.Home, who)
}

// NewerStoreError says the store was written by a newer Roost.
type NewerStoreError struct {
	Home string `json:"home"`
	Have int    `json:"have"` // the store's schema version
	Know int    `json:"know"` // the newest this Roost knows
}

func (e *NewerStoreError) Error() string {
	return fmt.Sprintf("the store in %s was written by a newer Roost (schema version %d; this Roost knows up to %d)", e.Home, e.Have, e.Know)
}

// rtErr turns the runtime's and the store's errors into the host's own;
// everything the host returns passes through here first.
func rtErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *wasmrt.CallError
	if errors.As(err, &ce) {
		return &CallError{Connector: ce.Connector, Op: ce.Op, Code: ce.Code, Message: ce.Message,
			Retryable: ce.Retryable, Fault: Fault(ce.Fault), Details: ce.Details}
	}
	var le *wasmrt.LoadError
	if errors.As(err, &le) {
		return &LoadError{Source: le.Source, Err: rtCause(le.Err)}
	}
	var iu *store.InUseError
	if errors.As(err, &iu) {
		return &HomeInUseError{Home: filepath.Dir(iu.Dir), Holder: iu.Holder}
	}
	var ns *store.NewerSchemaError
	if errors.As(err, &ns) {
		return &NewerStoreError{Home: filepath.Dir(ns.Dir), Have: ns.Have, Know: ns.Know}
	}
	return err
}

func rtCause(err error) error {
	var am *wasmrt.ABIMismatchError
	if errors.As(err, &am) {
		return &ABIMismatchError{Connector: am.Connector, Host: am.Host, Hint: am.Hint}
	}
	for _, c := range loadCauses {
		if errors.Is(err, c.rt) {
			return &causeError{msg: err.Error(), sentinel: c.host}
		}
	}
	return err
}
