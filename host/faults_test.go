package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/host/internal/wasmtest"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

// TestGuestFaults: each fault gives a typed error naming the connector and
// the fault, retires the instance, and leaves this and other connectors
// serving.
func TestGuestFaults(t *testing.T) {
	// Recursing to the 16 MiB stack limit takes a Go guest a few seconds
	// (each stack growth copies the stack), so the host's limit is roomy;
	// the runaway loop gets a tighter deadline from its caller.
	const deadline = 1500 * time.Millisecond
	h := openHost(t, host.Config{Limits: host.Limits{
		PoolSize:       2,
		CallTimeout:    20 * time.Second,
		MemoryBytes:    64 << 20,
		MaxOutputBytes: 1 << 20,
		MaxHostCalls:   1000,
	}})
	faulty := load(t, h, faultyWasm(t))
	other := configure(t, load(t, h, helloWasm(t)), nil)
	cl := configure(t, faulty, nil)

	tests := []struct {
		action string
		input  string
		fault  host.Fault
		inMsg  string
	}{
		{"loop", `{}`, host.FaultTimeout, "deadline"},
		{"sleep", `{}`, host.FaultTimeout, "deadline"},
		{"membomb", `{}`, host.FaultOutOfMemory, "out of memory"},
		{"recurse", `{}`, host.FaultStackOverflow, "stack"},
		{"deadlock", `{}`, host.FaultDeadlock, "deadlock"},
		{"panic", `{}`, host.FaultPanic, "boom"},
		{"gopanic", `{}`, host.FaultPanic, "boom in a goroutine"},
		{"big", `{"n":2000000}`, host.FaultOutputTooLarge, "cap"},
		{"logflood", `{}`, host.FaultHostCallFlood, "host calls"},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			before := faulty.Stats().Retired
			ctx := context.Background()
			if tt.fault == host.FaultTimeout {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, deadline)
				defer cancel()
			}
			start := time.Now()
			_, err := cl.Invoke(ctx, tt.action, json.RawMessage(tt.input))
			elapsed := time.Since(start)
			var ce *host.CallError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want a *host.CallError", err, err)
			}
			if ce.Fault != tt.fault || ce.Connector != "faulty" || !strings.Contains(ce.Op, tt.action) {
				t.Fatalf("err = %v; want fault %s from connector faulty", err, tt.fault)
			}
			if !strings.Contains(ce.Message, tt.inMsg) {
				t.Errorf("message %q does not mention %q", ce.Message, tt.inMsg)
			}
			if !strings.Contains(err.Error(), "faulty") || !strings.Contains(err.Error(), string(tt.fault)) {
				t.Errorf("Error() = %q names neither connector nor fault", err)
			}
			if tt.fault == host.FaultTimeout && elapsed > deadline+100*time.Millisecond {
				t.Errorf("runaway guest stopped after %v; deadline was %v", elapsed, deadline)
			}
			if got := faulty.Stats().Retired; got != before+1 {
				t.Errorf("retired instances %d → %d; the faulted instance must be discarded", before, got)
			}
			// The same connector and another one keep serving.
			if got := invoke(t, cl, "echo", `{"data":"still here"}`); got != `{"data":"still here"}` {
				t.Errorf("echo after fault = %s", got)
			}
			if got := invoke(t, other, "echo", `{"data":"other"}`); got != `{"data":"other"}` {
				t.Errorf("other connector after fault = %s", got)
			}
		})
	}
}

func TestCallerCancelStopsGuest(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{CallTimeout: time.Minute}})
	cl := configure(t, load(t, h, faultyWasm(t)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := cl.Invoke(ctx, "loop", nil)
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Fault != host.FaultCanceled {
		t.Fatalf("err = %v, want a canceled fault", err)
	}
}

func TestInputAndOutputCaps(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{MaxInputBytes: 1000, MaxOutputBytes: 1000}})
	cl := configure(t, load(t, h, faultyWasm(t)), nil)
	_, err := cl.Invoke(context.Background(), "echo", json.RawMessage(`{"data":"`+strings.Repeat("x", 2000)+`"}`))
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != abi.CodeTooLarge {
		t.Fatalf("big input: %v", err)
	}
	if got := invoke(t, cl, "big", `{"n":900}`); len(got) < 900 {
		t.Errorf("output under the cap was cut: %d bytes", len(got))
	}
}

func TestLoadRefusesBadModules(t *testing.T) {
	h := openHost(t, host.Config{})
	ctx := context.Background()
	marker := func(name string) wasmtest.Func { return wasmtest.Func{Export: name, Body: wasmtest.End} }
	describe := wasmtest.Func{Export: abi.ExportDescribe, Results: []byte{wasmtest.I32}, Body: wasmtest.ReturnI32Zero}
	handle := wasmtest.Func{Export: abi.ExportHandle, Params: []byte{wasmtest.I32, wasmtest.I32, wasmtest.I32}, Results: []byte{wasmtest.I32}, Body: wasmtest.ReturnI32Zero}
	command, err := os.ReadFile(sdktest.Build(t, "../examples/hello", sdktest.BuildOptions{Command: true}))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		wasm   []byte
		is     error
		inMsg  []string
		target any
	}{
		{"text file", []byte("#!/bin/sh\necho not wasm\n"), host.ErrNotWasm, []string{"magic"}, nil},
		{"truncated", []byte("\x00asm\x01\x00\x00\x00\x01\x05"), host.ErrInvalidWasm, nil, nil},
		{"no marker", wasmtest.Module(1, describe, handle), host.ErrNotConnector, []string{"roost_abi_v"}, nil},
		{"abi v2", wasmtest.Module(1, marker("roost_abi_v2"), describe, handle), host.ErrABIMismatch, []string{"v2", "v1.0"}, nil},
		{"wrong handle signature", wasmtest.Module(1, marker(abi.ExportMarker), describe,
			wasmtest.Func{Export: abi.ExportHandle, Results: []byte{wasmtest.I32}, Body: wasmtest.ReturnI32Zero}),
			host.ErrNotConnector, []string{"roost_handle", "signature"}, nil},
		{"newer host function", wasmtest.Module(1,
			wasmtest.Func{Import: [2]string{abi.ImportModule, "teleport"}},
			marker(abi.ExportMarker), describe, handle),
			host.ErrABIMismatch, []string{"roost_v1.teleport", "newer"}, nil},
		{"foreign import", wasmtest.Module(1,
			wasmtest.Func{Import: [2]string{"env", "system"}},
			marker(abi.ExportMarker), describe, handle),
			host.ErrNotConnector, []string{"env.system"}, nil},
		{"describe writes nothing", wasmtest.Module(1, marker(abi.ExportMarker), describe, handle),
			host.ErrBadManifest, []string{"no manifest"}, nil},
		{"command module", command, host.ErrCommandModule, []string{"-buildmode=c-shared"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Load(ctx, tt.name, tt.wasm)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			var le *host.LoadError
			if !errors.As(err, &le) || le.Source != tt.name {
				t.Errorf("err = %#v, want a *host.LoadError for %q", err, tt.name)
			}
			for _, s := range tt.inMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	// Still serving after all that.
	cl := configure(t, load(t, h, helloWasm(t)), nil)
	invoke(t, cl, "noop", `{}`)
}

func TestClosedConnectorRefusesCalls(t *testing.T) {
	h := openHost(t, host.Config{})
	conn := load(t, h, helloWasm(t))
	cl := configure(t, conn, nil)
	if err := conn.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := cl.Invoke(context.Background(), "noop", nil)
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Fault != host.FaultClosed {
		t.Fatalf("err = %v, want a closed fault", err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LoadFile(context.Background(), helloWasm(t)); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("load after close: %v", err)
	}
}

func TestHostDeadlineStopsRunawayGuest(t *testing.T) {
	const limit = 300 * time.Millisecond
	h := openHost(t, host.Config{Limits: host.Limits{CallTimeout: limit}})
	cl := configure(t, load(t, h, faultyWasm(t)), nil)
	start := time.Now()
	_, err := cl.Invoke(context.Background(), "loop", nil)
	elapsed := time.Since(start)
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Fault != host.FaultTimeout || !ce.Retryable {
		t.Fatalf("err = %v, want a retryable timeout fault", err)
	}
	if elapsed > limit+100*time.Millisecond {
		t.Errorf("stopped after %v, limit %v", elapsed, limit)
	}
	invoke(t, cl, "echo", `{"data":"ok"}`)
}

func TestRunawayInitializerIsStopped(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{CallTimeout: 500 * time.Millisecond}})
	// Load compiles first (slow under -race), so only the outcome is checked.
	_, err := h.LoadFile(context.Background(), sdktest.Build(t, "testdata/initloop"))
	if !errors.Is(err, host.ErrStartFailed) || !strings.Contains(err.Error(), "_initialize") || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v, want a start failure naming _initialize and the time-out", err)
	}
}

// TestSandbox: no files, no environment, no arguments; a real clock and a
// real random source (wazero's defaults are a fixed clock and fixed bytes).
func TestSandbox(t *testing.T) {
	t.Setenv("ROOST_TEST_SECRET", "must-not-leak")
	h := openHost(t, host.Config{Limits: host.Limits{PoolSize: 2}})
	conn := load(t, h, faultyWasm(t))
	cl := configure(t, conn, nil)
	type view struct {
		FileError string   `json:"file_error"`
		Env       []string `json:"env"`
		Args      []string `json:"args"`
		UnixMilli int64    `json:"unix_milli"`
		Random    string   `json:"random"`
	}
	var first view
	json.Unmarshal([]byte(invoke(t, cl, "sandbox", `{}`)), &first)
	if first.FileError == "" {
		t.Error("the guest read /etc/passwd")
	}
	if len(first.Env) != 0 || len(first.Args) > 1 {
		t.Errorf("the guest sees env %v and args %v", first.Env, first.Args)
	}
	if d := time.Since(time.UnixMilli(first.UnixMilli)); d < -time.Minute || d > time.Minute {
		t.Errorf("guest clock is off by %v", d)
	}
	// A fresh instance must not repeat the random bytes.
	faulty := configure(t, load(t, h, faultyWasm(t)), nil)
	var second view
	json.Unmarshal([]byte(invoke(t, faulty, "sandbox", `{}`)), &second)
	if first.Random == "" || first.Random == second.Random {
		t.Errorf("random bytes repeat across instances: %s", first.Random)
	}
}

// TestSpinningGuestDoesNotStallGC: a guest in a tight loop must leave the
// Go runtime able to stop the world (it reaches a preemption point every
// 1024 iterations), so a collection finishes long before the deadline.
func TestSpinningGuestDoesNotStallGC(t *testing.T) {
	h := openHost(t, host.Config{Limits: host.Limits{CallTimeout: 20 * time.Second}})
	cl := configure(t, load(t, h, faultyWasm(t)), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := cl.Invoke(ctx, "loop", nil)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let it spin
	gcDone := make(chan struct{})
	go func() { runtime.GC(); close(gcDone) }()
	select {
	case <-gcDone:
	case <-time.After(10 * time.Second):
		t.Error("a garbage collection waited more than 10 s for a spinning guest")
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the loop returned")
	}
}
