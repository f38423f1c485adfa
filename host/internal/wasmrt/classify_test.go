package wasmrt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/sys"
)

func TestClassify(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		err    error
		stderr string
		fault  Fault
		inMsg  string
	}{
		{"deadline", sys.NewExitError(sys.ExitCodeDeadlineExceeded), "", FaultTimeout, "deadline"},
		{"canceled", sys.NewExitError(sys.ExitCodeContextCanceled), "", FaultCanceled, "canceled"},
		{"host function fault", fmt.Errorf("%w (recovered by wazero)\nwasm stack trace:\n\tx", fault(FaultOutputTooLarge, "too big")), "", FaultOutputTooLarge, "too big"},
		{"go deadlock", sys.NewExitError(2), "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:", FaultDeadlock, "all goroutines are asleep"},
		{"go oom", sys.NewExitError(2), "fatal error: out of memory\n", FaultOutOfMemory, "out of memory"},
		{"go stack", errors.New("wasm error: unreachable"), "runtime: goroutine stack exceeds 16777216-byte limit\nfatal error: stack overflow", FaultStackOverflow, "stack"},
		{"go panic", sys.NewExitError(2), "panic: boom\n\ngoroutine 5 [running]:", FaultPanic, "panic: boom"},
		{"exit", sys.NewExitError(7), "", FaultExit, "code 7"},
		{"native stack overflow", errors.New("wasm error: stack overflow\nwasm stack trace:\n\tf"), "", FaultStackOverflow, "stack overflow"},
		{"plain trap", errors.New("wasm error: integer divide by zero"), "", FaultTrap, "divide by zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, msg := classify(ctx, tt.err, tt.stderr)
			if f != tt.fault || !strings.Contains(msg, tt.inMsg) {
				t.Errorf("classify = %s %q, want %s mentioning %q", f, msg, tt.fault, tt.inMsg)
			}
			if strings.Contains(msg, "wasm stack trace") {
				t.Errorf("message keeps the stack trace: %q", msg)
			}
		})
	}
}

func TestGuestOutputKeepsStartAndEnd(t *testing.T) {
	g := &guestOutput{logger: discard()}
	g.Write([]byte("fatal error: stack overflow\n"))
	for range 1000 {
		g.Write([]byte("main.deep(...)\n\t/src/main.go:65\n"))
	}
	g.Write([]byte("the end\n"))
	text := g.text()
	if !strings.HasPrefix(text, "fatal error: stack overflow") || !strings.HasSuffix(text, "the end\n") || len(text) > 2*outputKeep+10 {
		t.Errorf("kept %d bytes: %.80q … %.80q", len(text), text, text[max(0, len(text)-80):])
	}
	g.reset()
	if g.text() != "\n…\n" {
		t.Errorf("after reset: %q", g.text())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
