package wasmrt

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/roosthq/roost/sdk/abi"
)

// Fault names what went wrong inside a guest when a call ended without an
// answer from the connector itself.
type Fault string

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

// CallError is the error of a call that did not produce a result: either the
// connector answered with a structured error (Fault is empty, Code is the
// connector's) or the call faulted (Fault says how; Code is the fault).
type CallError struct {
	Connector string          // the connector's name
	Op        string          // "action greet", "check", "organizations", "describe"
	Code      abi.Code        // the connector's code, or the fault as a code
	Message   string          // what happened, for a person
	Retryable bool            // whether trying again may help
	Fault     Fault           // empty when the connector itself answered with an error
	Details   json.RawMessage // the connector's details, if any
}

func (e *CallError) Error() string {
	kind := string(e.Code)
	if e.Fault != "" {
		kind = "fault " + string(e.Fault)
	}
	return fmt.Sprintf("connector %s: %s: %s: %s", e.Connector, e.Op, kind, e.Message)
}

// faultError is what a host function panics with when a guest breaks a
// rule; wazero turns the panic into an error of the guest call.
type faultError struct {
	fault Fault
	msg   string
}

func (e *faultError) Error() string { return string(e.fault) + ": " + e.msg }

func fault(f Fault, format string, args ...any) *faultError {
	return &faultError{fault: f, msg: fmt.Sprintf(format, args...)}
}

// Sentinel causes of a *LoadError; test with errors.Is.
var (
	// ErrNotWasm: the bytes are not a WebAssembly module at all.
	ErrNotWasm = errors.New("not a WebAssembly module")
	// ErrInvalidWasm: the module is malformed or uses features wazero lacks.
	ErrInvalidWasm = errors.New("invalid WebAssembly module")
	// ErrNotConnector: a valid module without the Roost ABI marker.
	ErrNotConnector = errors.New("not a Roost connector")
	// ErrCommandModule: built as a WASI command instead of a reactor.
	ErrCommandModule = errors.New("built as a WASI command, not a reactor")
	// ErrABIMismatch: the connector speaks another ABI version; the error
	// is an *ABIMismatchError naming both.
	ErrABIMismatch = errors.New("ABI version mismatch")
	// ErrBadManifest: the connector's manifest is unreadable or invalid.
	ErrBadManifest = errors.New("invalid manifest")
	// ErrStartFailed: the module could not be instantiated or described.
	ErrStartFailed = errors.New("connector failed to start")
)

// LoadError says why a module could not be loaded as a connector.
type LoadError struct {
	Source string // where the module came from (a path or a name)
	Err    error  // wraps one of the sentinels above
}

func (e *LoadError) Error() string { return fmt.Sprintf("load connector %s: %v", e.Source, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// ABIMismatchError says which ABI version a connector speaks and which the
// host speaks.
type ABIMismatchError struct {
	Connector string // e.g. "2" from a roost_abi_v2 marker, or "1.3" from a manifest
	Host      string // this host's version, "1.0"
	Hint      string
}

func (e *ABIMismatchError) Error() string {
	msg := fmt.Sprintf("connector speaks Roost ABI v%s but this host speaks v%s", e.Connector, e.Host)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

func (e *ABIMismatchError) Is(target error) bool { return target == ErrABIMismatch }
