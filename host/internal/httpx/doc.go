// Package httpx performs the outbound HTTP requests connectors ask for,
// under a policy: only the hosts the manifest and configuration allow,
// checked again on every redirect hop and against every address a name
// resolves to (loopback, private and link-local ranges are refused unless
// the policy allows them), with time-outs, a response size cap, and retries
// of idempotent requests on 429 and 5xx that honour Retry-After.
//
// Errors are *abi.Error values with the code a connector should see
// (permission_denied, timeout, too_large, unavailable).
package httpx
