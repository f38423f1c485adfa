// Package helloc holds src/hello.c, the hello connector written in C against
// docs/abi.md alone, and the test that builds it with clang (build.sh) and
// runs it through the same suite as the Go connector in examples/hello.
package helloc
