package helloc

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/roosthq/roost/examples/internal/hellotest"
)

// TestWasm builds hello.c with build.sh and runs the shared hello suite on
// it. Under CI (CI set) build.sh installs the toolchain if it is missing and
// a missing toolchain fails the test; elsewhere the test skips and says how
// to install it.
func TestWasm(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hello-c.wasm")
	args := []string{out}
	ci := os.Getenv("CI") != ""
	if ci {
		args = []string{"--install", out}
	}
	cmd := exec.Command("./build.sh", args...)
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 && !ci {
		t.Skipf("no C toolchain for wasm32-wasi; run examples/hello-c/build.sh --install as root (or install clang, lld, wasi-libc, libclang-rt-14-dev-wasm32):\n%s", b)
	}
	if err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	hellotest.Run(t, out, "hello-c")
}
