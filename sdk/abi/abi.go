package abi

import "fmt"

// Major and Minor are the ABI version this package describes. A host speaks
// exactly one major version; within it, a later minor version only adds host
// functions, so a connector built for 1.0 loads on every 1.x host.
const (
	Major = 1
	Minor = 0
)

// Version is the ABI version as written in a manifest's "abi" field.
var Version = fmt.Sprintf("%d.%d", Major, Minor)

// ImportModule is the module name of every host function a v1 connector may
// import. The major version is part of the name, so a v2 host function can
// never be linked into a v1 connector by accident.
const ImportModule = "roost_v1"

// Exports a connector must provide (besides its linear memory, exported as
// "memory", and the reactor initializer "_initialize" if it has one).
const (
	// ExportMarker is a function () -> () that marks a module as a Roost v1
	// connector. The host reads the ABI major version from it before anything
	// else: a module exporting "roost_abi_v2" is refused by a v1 host with an
	// error that names both versions.
	ExportMarker = "roost_abi_v1"

	// ExportDescribe is a function () -> i32. The connector writes its
	// manifest (JSON, see Manifest) with the output host function and returns
	// HandleOK.
	ExportDescribe = "roost_describe"

	// ExportHandle is a function (op i32, name_len i32, input_len i32) -> i32
	// that handles one call. The connector reads the call's parts with the
	// call_read host function, writes its answer with output, and returns
	// HandleOK (the output is the result) or HandleError (the output is an
	// Error).
	ExportHandle = "roost_handle"

	// ExportInitialize is the WASI reactor initializer. A module that exports
	// "_start" instead was built as a command (for Go: without
	// -buildmode=c-shared) and is refused.
	ExportInitialize = "_initialize"

	// ExportStart is the WASI command entry point, which a connector must not
	// have.
	ExportStart = "_start"

	// ExportMemory is the name of the linear memory the host reads and writes.
	ExportMemory = "memory"
)

// MarkerPrefix is what every ABI marker export starts with; the major version
// follows it ("roost_abi_v" + "1").
const MarkerPrefix = "roost_abi_v"

// Host functions in ImportModule. Pointers and lengths are i32 offsets into
// the connector's exported memory. docs/abi.md gives each signature.
const (
	ImportLog        = "log"         // (level, msg_ptr, msg_len, attrs_ptr, attrs_len) -> ()
	ImportCallRead   = "call_read"   // (part, ptr, cap) -> size
	ImportOutput     = "output"      // (ptr, len) -> status
	ImportResultRead = "result_read" // (slot, ptr, cap) -> size
	ImportHTTP       = "http_request"
	ImportKVGet      = "kv_get"
	ImportKVSet      = "kv_set"
	ImportKVDelete   = "kv_delete"
)

// Op says what roost_handle is asked to do.
type Op uint32

const (
	// OpAction runs the action whose name is the call's name part, with the
	// input part as its JSON input.
	OpAction Op = 1
	// OpCheck checks that the configuration works (for example by fetching
	// one page from the tool). The input is "{}". The result is a
	// CheckResult.
	OpCheck Op = 2
	// OpOrganizations lists one page of the tool's customer accounts. The
	// input is a PageRequest, the result an OrganizationPage.
	OpOrganizations Op = 3
)

func (o Op) String() string {
	switch o {
	case OpAction:
		return "action"
	case OpCheck:
		return "check"
	case OpOrganizations:
		return "organizations"
	}
	return fmt.Sprintf("op(%d)", uint32(o))
}

// Part selects what call_read copies.
type Part uint32

const (
	PartName   Part = 0 // the action name (empty for other ops)
	PartInput  Part = 1 // the input, JSON
	PartConfig Part = 2 // the configuration, a JSON object without secret fields
)

// Slot selects what result_read copies: the results of the latest host
// function that produced any.
type Slot uint32

const (
	// SlotMain holds an Error after StatusError, a KV value after kv_get, or
	// the HTTPResponse head (JSON) after http_request.
	SlotMain Slot = 0
	// SlotBody holds the HTTP response body after http_request.
	SlotBody Slot = 1
)

// Status codes returned by host functions.
const (
	StatusOK       = 0
	StatusNotFound = 1 // kv_get: no such key
	StatusError    = 2 // an Error is in SlotMain
)

// Return values of roost_handle and roost_describe.
const (
	HandleOK    = 0
	HandleError = 1
)

// Log levels for the log host function. They match log/slog's levels.
const (
	LevelDebug = -4
	LevelInfo  = 0
	LevelWarn  = 4
	LevelError = 8
)
