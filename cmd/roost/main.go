// Command roost hosts Roost integrations: WebAssembly connectors to the
// tools a managed-service provider uses. Run "roost --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels the command's context, so long-running commands
	// (roost dev) close their connectors before the process ends.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(os.Args, Options{Context: ctx, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
