package host

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/roosthq/roost/crates"
)

// wireError is an error as the API sends it: a stable code, the message
// as the host wrote it, the typed error's fields as details, and for an
// error that wraps another, that one as its cause.
type wireError struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details,omitempty"`
	Cause   *wireError      `json:"cause,omitempty"`
}

// errorKind is one typed error the API carries: its code, HTTP status and
// a pointer to a zero value of its type.
type errorKind struct {
	code   string
	status int
	typ    reflect.Type // a pointer type
}

func kind[T error](code string, status int) errorKind {
	return errorKind{code: code, status: status, typ: reflect.TypeFor[T]()}
}

// errorKinds lists every typed error the services return: one table, so
// a new error type that is not here reaches a remote client as a plain
// message, and TestErrorKinds says so.
var errorKinds = []errorKind{
	kind[*ConfigError]("config_invalid", http.StatusUnprocessableEntity),
	kind[*InvalidInputError]("invalid_input", http.StatusBadRequest),
	kind[*NotInstalledError]("not_installed", http.StatusNotFound),
	kind[*NotFoundError]("not_in_catalogue", http.StatusNotFound),
	kind[*NoOrganizationError]("no_organization", http.StatusNotFound),
	kind[*NotMappedError]("not_mapped", http.StatusNotFound),
	kind[*NoOptionsError]("no_options", http.StatusConflict),
	kind[*NoRequestError]("no_request", http.StatusNotFound),
	kind[*DuplicateRequestError]("duplicate_request", http.StatusConflict),
	kind[*AlreadyVotedError]("already_voted", http.StatusConflict),
	kind[*ConflictError]("mapping_conflict", http.StatusConflict),
	kind[*NeededByCratesError]("needed_by_crates", http.StatusConflict),
	kind[*HostsWidenedError]("hosts_widened", http.StatusConflict),
	kind[*UnmetError]("unmet_needs", http.StatusConflict),
	kind[*RefreshError]("refresh_failed", http.StatusBadGateway),
	kind[*RuleError]("rule_invalid", http.StatusUnprocessableEntity),
	kind[*CallError]("connector_error", http.StatusBadGateway),
	kind[*LoadError]("load_failed", http.StatusUnprocessableEntity),
	kind[*ABIMismatchError]("abi_mismatch", http.StatusUnprocessableEntity),
	kind[*HomeInUseError]("home_in_use", http.StatusConflict),
	kind[*NewerStoreError]("newer_store", http.StatusConflict),
	kind[*UnknownMethodError]("unknown_method", http.StatusNotFound),
	kind[*ServiceGoneError]("service_gone", http.StatusBadGateway),
	kind[*crates.Error]("crate_invalid", http.StatusUnprocessableEntity),
	kind[*NoCrateError]("no_crate", http.StatusNotFound),
	kind[*NoRunError]("no_run", http.StatusNotFound),
	kind[*NoConfigurationError]("no_configuration", http.StatusConflict),
	kind[*SignInTimeoutError]("sign_in_timeout", http.StatusRequestTimeout),
	kind[*NoOrganizationsCapabilityError]("no_organizations_capability", http.StatusConflict),
	kind[*NoDraftError]("no_draft", http.StatusConflict),
	kind[*NoAccountError]("no_account", http.StatusNotFound),
	kind[*DevAlreadyRunningError]("dev_running", http.StatusConflict),
	kind[*ServiceRunningError]("service_running", http.StatusConflict),
	kind[*FetchError]("fetch_failed", http.StatusBadGateway),
}

// sentinels the API carries by code; a decoded one matches errors.Is.
var sentinels = []struct {
	code string
	err  error
}{
	{"closed", ErrClosed},
	{"no_home", ErrNoHome},
	{"no_service", ErrNoService},
	{"repeated_cursor", ErrRepeatedCursor},
	{"repeated_page", ErrRepeatedPage},
	{"canceled", context.Canceled},
	{"deadline_exceeded", context.DeadlineExceeded},
	{"not_wasm", ErrNotWasm},
	{"invalid_wasm", ErrInvalidWasm},
	{"not_connector", ErrNotConnector},
	{"command_module", ErrCommandModule},
	{"bad_manifest", ErrBadManifest},
	{"start_failed", ErrStartFailed},
}

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	for _, k := range errorKinds {
		if k.code == code {
			return k.status
		}
	}
	for _, s := range sentinels {
		if s.code == code {
			return http.StatusConflict
		}
	}
	return http.StatusInternalServerError
}

// causer is a typed error whose cause crosses the wire too.
type causer interface {
	error
	Unwrap() error
	setCause(error)
}

func (e *RefreshError) setCause(err error) { e.Err = err }
func (e *LoadError) setCause(err error)    { e.Err = err }

// encodeError finds the outermost typed error (or sentinel) in err's
// chain; the message is err's own, whatever wraps it.
func encodeError(err error) *wireError {
	we := &wireError{Code: "error", Message: err.Error()}
	for e := err; e != nil; e = errors.Unwrap(e) {
		t := reflect.TypeOf(e)
		for _, k := range errorKinds {
			if k.typ == t {
				we.Code = k.code
				we.Details, _ = json.Marshal(e)
				if c, ok := e.(causer); ok && c.Unwrap() != nil {
					we.Cause = encodeError(c.Unwrap())
				}
				return we
			}
		}
		for _, s := range sentinels {
			if e == s.err {
				we.Code = s.code
				return we
			}
		}
		if is, ok := e.(interface{ Is(error) bool }); ok {
			for _, s := range sentinels {
				if is.Is(s.err) {
					we.Code = s.code
					return we
				}
			}
		}
	}
	return we
}

// decodeError rebuilds the error: the typed error (or the sentinel) under
// the message the service wrote.
func decodeError(we *wireError) error {
	if we == nil {
		return nil
	}
	for _, k := range errorKinds {
		if k.code != we.Code {
			continue
		}
		v := reflect.New(k.typ.Elem())
		if len(we.Details) > 0 {
			json.Unmarshal(we.Details, v.Interface())
		}
		typed := v.Interface().(error)
		if c, ok := typed.(causer); ok && we.Cause != nil {
			c.setCause(decodeError(we.Cause))
		}
		if typed.Error() == we.Message {
			return typed
		}
		return &APIError{Code: we.Code, Message: we.Message, Err: typed}
	}
	for _, s := range sentinels {
		if s.code == we.Code {
			return &APIError{Code: we.Code, Message: we.Message, Err: s.err}
		}
	}
	return &APIError{Code: we.Code, Message: we.Message}
}

// APIError is an error as a service sent it: its code and message, and
// the typed error or sentinel it carries, which errors.As and errors.Is
// find.
type APIError struct {
	Code    string
	Message string
	Err     error
}

func (e *APIError) Error() string { return e.Message }
func (e *APIError) Unwrap() error { return e.Err }

// ErrorCode is the API's code for err: "config_invalid", "not_installed",
// …, or "error" for an error that carries no data (see docs/api.md).
func ErrorCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return encodeError(err).Code
}

// ErrorDetails is the data err carries as the API sends it (the typed
// error's fields), or nil.
func ErrorDetails(err error) json.RawMessage {
	var ae *APIError
	if errors.As(err, &ae) && ae.Err != nil {
		err = ae.Err
	}
	return encodeError(err).Details
}
