// Command embed shows Roost used as a Go library: it opens a host, loads a
// connector, configures it and calls one action from many goroutines.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o /tmp/hello.wasm ./examples/hello
//	go run ./examples/embed /tmp/hello.wasm Ada Grace Linus
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/roosthq/roost/host"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) < 2 {
		return errors.New("usage: embed CONNECTOR.wasm NAME...")
	}
	home, err := os.MkdirTemp("", "roost-embed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)

	// One Host per process: it owns the WebAssembly runtime and the
	// compilation cache under Home.
	h, err := host.Open(ctx, host.Config{
		Home:   home,
		Limits: host.Limits{PoolSize: 2},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer h.Close(ctx)

	conn, err := h.LoadFile(ctx, args[0])
	if err != nil {
		return err // a *host.LoadError: not wasm, wrong ABI, bad manifest…
	}
	m := conn.Manifest()
	fmt.Fprintf(out, "loaded %s %s (%s)\n", m.Name, m.Version, m.Category)

	client, err := conn.Configure(map[string]any{"greeting": "Hello"})
	if err != nil {
		return err // a *host.ConfigError naming each bad field
	}

	// Calls from many goroutines run in parallel, up to the pool size.
	names := args[1:]
	greetings := make([]string, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			input, _ := json.Marshal(map[string]string{"name": name})
			raw, err := client.Invoke(ctx, "greet", input)
			if err != nil {
				errs[i] = err // a *host.CallError: the connector's error or a fault
				return
			}
			var res struct{ Greeting string }
			errs[i] = json.Unmarshal(raw, &res)
			greetings[i] = res.Greeting
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, g := range greetings {
		fmt.Fprintln(out, g)
	}
	return nil
}
