package sdk

import (
	"errors"
	"fmt"

	"github.com/roosthq/roost/sdk/abi"
)

// Errorf returns an *Error with the given code; it is retryable when the
// code usually is (rate limits, time-outs, unavailability).
func Errorf(code Code, format string, args ...any) error {
	return &abi.Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: code.Retryable()}
}

// toWire turns any error an author returned into the structured error sent
// to the host.
func toWire(err error) *abi.Error {
	var e *abi.Error
	if errors.As(err, &e) {
		if e.Code == "" {
			e.Code = abi.CodeInternal
		}
		return e
	}
	return &abi.Error{Code: abi.CodeInternal, Message: err.Error()}
}

// statusError maps an HTTP status from the tool to a structured error.
func statusError(method, url string, status int, body []byte) *abi.Error {
	code := abi.CodeForStatus(status)
	snippet := string(body)
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	msg := fmt.Sprintf("%s %s: status %d", method, url, status)
	if snippet != "" {
		msg += ": " + snippet
	}
	return &abi.Error{Code: code, Message: msg, Retryable: code.Retryable()}
}
