package abi

import "encoding/json"

// Code classifies an Error. Connectors use the codes below; a host adds its
// own for faults (see package host). Unknown codes are passed through.
type Code string

const (
	CodeInvalidInput     Code = "invalid_input"     // the input or configuration is wrong; do not retry as is
	CodeUnknownAction    Code = "unknown_action"    // no action by that name
	CodeNotImplemented   Code = "not_implemented"   // the connector lacks this capability
	CodeNotFound         Code = "not_found"         // the thing asked for does not exist in the tool
	CodeUnauthenticated  Code = "unauthenticated"   // credentials missing or rejected
	CodePermissionDenied Code = "permission_denied" // credentials valid but not allowed, or a host not allowed
	CodeRateLimited      Code = "rate_limited"      // retryable after a while
	CodeUnavailable      Code = "unavailable"       // the tool is down or unreachable; retryable
	CodeTimeout          Code = "timeout"           // a deadline passed; retryable
	CodeTooLarge         Code = "too_large"         // a size cap was hit
	CodeUpstream         Code = "upstream"          // the tool answered with an error
	CodeInternal         Code = "internal"          // a bug in the connector or host
	CodePanic            Code = "panic"             // the connector panicked (recovered by its SDK)
)

// Error is the structured error that crosses the boundary in both
// directions: a connector returns it from roost_handle (HandleError), a host
// function leaves it in SlotMain (StatusError).
type Error struct {
	Code      Code            `json:"code"`
	Message   string          `json:"message"`
	Retryable bool            `json:"retryable,omitempty"`
	Details   json.RawMessage `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// CodeForStatus is the code of a tool's HTTP answer with this status: the
// one mapping the host, the SDK and the bundled connectors share. 2xx and
// 3xx give CodeUpstream (an answer the caller did not expect), as do
// statuses outside 100–599.
func CodeForStatus(status int) Code {
	switch {
	case status == 401:
		return CodeUnauthenticated
	case status == 403:
		return CodePermissionDenied
	case status == 404 || status == 410:
		return CodeNotFound
	case status == 408 || status == 504:
		return CodeTimeout
	case status == 429:
		return CodeRateLimited
	case status >= 500 && status <= 599:
		return CodeUnavailable
	case status >= 400 && status <= 499:
		return CodeInvalidInput
	}
	return CodeUpstream
}

// Retryable reports whether errors with code c are worth retrying by default.
func (c Code) Retryable() bool {
	switch c {
	case CodeRateLimited, CodeUnavailable, CodeTimeout:
		return true
	}
	return false
}
