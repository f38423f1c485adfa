// Package wasmrt runs Roost connectors on wazero: it compiles a module once
// (through an on-disk compilation cache), checks it speaks the ABI and reads
// its manifest, keeps a bounded pool of one-call-at-a-time instances over the
// compiled module, and provides the roost_v1 host functions.
//
// Everything a guest can do wrong — trap, run forever, exhaust memory,
// overflow its stack, deadlock, flood the host with calls, write too much —
// comes back as a *CallError naming the connector and the fault; the
// instance it happened in is discarded, never reused. Nothing here prints or
// exits; no wazero type leaves the package.
//
// The host package is the only user. HTTP, the key-value store and logging
// are supplied by the caller per call through an Env, so the policy (which
// hosts, which credentials, which store) lives there.
package wasmrt
