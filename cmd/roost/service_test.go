package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// viaService runs every CLI test through a running service: set by
// TestCLIThroughAService for the second run of this binary.
var viaService = os.Getenv("ROOST_TEST_VIA_SERVICE") == "1"

var services struct {
	mu   sync.Mutex
	live map[string]bool
}

// ensureService starts roost serve on home (in this process, through Run,
// on a real socket) unless one runs, and stops it when the test ends.
// The global flags before the command (--catalog) are the service's too.
func ensureService(t *testing.T, home string, env map[string]string, args []string) {
	t.Helper()
	if len(args) > 0 && (args[0] == "serve" || args[0] == "demo" || args[0] == "version" || args[0] == "connector") {
		return
	}
	services.mu.Lock()
	defer services.mu.Unlock()
	if services.live == nil {
		services.live = map[string]bool{}
	}
	if services.live[home] {
		return
	}
	var global []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--catalog" && i+1 < len(args) {
			global = append(global, args[i], args[i+1])
			i++
		} else if !strings.HasPrefix(args[i], "-") {
			break
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(append(append([]string{"roost", "--home", home}, global...), "serve", "--addr", "127.0.0.1:0"),
			Options{Context: ctx, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(k string) string { return env[k] }})
	}()
	// Wait for what serve prints once it listens: reading it through the
	// buffer's lock also orders this goroutine after serve's start (urfave
	// /cli's flags are package variables; two Runs unordered are a race).
	deadline := time.Now().Add(20 * time.Second)
	for {
		if strings.Contains(out.String(), " serving ") {
			break
		}
		select {
		case code := <-done:
			cancel()
			if strings.Contains(out.String(), "already runs") {
				return // another owner (a dev session) serves this home
			}
			t.Fatalf("roost serve for the test exited %d: %s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("roost serve never listened: %s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	services.live[home] = true
	t.Cleanup(func() {
		cancel()
		<-done
		services.mu.Lock()
		delete(services.live, home)
		services.mu.Unlock()
	})
}

// skipViaService skips a test whose point is the home opened in-process.
func skipViaService(t *testing.T, why string) {
	if viaService {
		t.Skip("in-process only: " + why)
	}
}

// TestCLIThroughAService runs this package's CLI tests a second time,
// every command through a roost serve that owns its home: the same table
// of tests, the same expected output and exit codes.
func TestCLIThroughAService(t *testing.T) {
	if viaService {
		t.Skip("this is the run through a service")
	}
	if testing.Short() {
		t.Skip("-short: the CLI suite runs in-process only")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^Test", "-test.skip", "^TestCLIThroughAService$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "ROOST_TEST_VIA_SERVICE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the CLI tests through a service failed (%v):\n%s", err, out.String())
	}
	t.Logf("through a service:\n%s", lastLines(out.String(), 5))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
