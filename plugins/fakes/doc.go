// Package fakes holds local stand-ins for the outside tools that the
// bundled connectors talk to. Each fake is a real HTTP server on 127.0.0.1
// that follows its vendor's published API contract — authentication,
// pagination, error codes, rate limiting — closely enough that a connector
// which works against the fake works against the tool. Tests, benchmarks
// and `roost demo` use them; they are never used in production.
//
// The subpackages are halopsa (HaloPSA), connectwise (ConnectWise PSA) and
// fakedata (deterministic, realistic company names and domains).
package fakes
