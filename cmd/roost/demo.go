package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
)

const modulePath = "github.com/roosthq/roost"

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "build the example connector and show Roost running it against a local fake API",
		Description: `Run from a Roost checkout ("go run ./cmd/roost demo"). In a fresh temporary
home, the demo builds examples/hello to WebAssembly with the Go toolchain,
starts a fake tool API on 127.0.0.1, loads the connector in the sandbox,
configures it (the API token stays in the host, which injects it into the
connector's requests), calls its actions, pages through its organizations,
shows a failing credential check, and measures warm call latency.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "source", Usage: "the Roost checkout to build from (default: found from the current directory)"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the temporary home and print its path"},
		},
		Action: demo,
	}
}

func demo(c *cli.Context) error {
	w := c.App.Writer
	ctx := c.Context
	src := c.String("source")
	if src == "" {
		var err error
		if src, err = findCheckout(); err != nil {
			return err
		}
	}
	home, err := os.MkdirTemp("", "roost-demo-")
	if err != nil {
		return err
	}
	if c.Bool("keep") {
		defer printf(w, "\nhome kept at %s\n", home)
	} else {
		defer os.RemoveAll(home)
	}

	step(w, "building examples/hello for GOOS=wasip1 GOARCH=wasm (-buildmode=c-shared)")
	start := time.Now()
	wasm := filepath.Join(home, "hello.wasm")
	if err := buildConnector(ctx, filepath.Join(src, "examples", "hello"), wasm); err != nil {
		return err
	}
	fi, _ := os.Stat(wasm)
	done(w, "%s in %v", humanBytes(int(fi.Size())), since(start))

	step(w, "starting a fake tool API on 127.0.0.1 (it wants the bearer token \"demo-token\")")
	api, err := startFakeAPI()
	if err != nil {
		return err
	}
	defer api.Close()
	done(w, "listening at %s", api.URL)

	step(w, "opening a host in a fresh home %s", home)
	h, err := host.Open(ctx, host.Config{Home: home, HTTP: host.HTTPConfig{AllowPrivateNetworks: true}})
	if err != nil {
		return err
	}
	defer closeHost(h)
	printf(w, "    loopback access is allowed here only because the fake API is local\n")

	step(w, "loading the connector: compile, check the ABI, read the manifest")
	start = time.Now()
	conn, err := h.LoadFile(ctx, wasm)
	if err != nil {
		return err
	}
	m := conn.Manifest()
	done(w, "%s %s, ABI v%s, %d actions, capabilities: %s (%v)", m.Name, m.Version, m.ABI, len(m.Actions), capNames(m.Capabilities), since(start))
	for _, a := range m.Actions {
		printf(w, "      %-8s %s\n", a.Name, a.Description)
	}

	step(w, "configuring it (token is a secret field: the connector never sees it)")
	cl, err := conn.Configure(map[string]any{"greeting": "Welcome", "base_url": api.URL, "token": "demo-token"})
	if err != nil {
		return err
	}
	if err := demoCall(ctx, w, cl, "greet", `{"name":"Ada"}`); err != nil {
		return err
	}
	if err := demoCall(ctx, w, cl, "status", `{}`); err != nil {
		return err
	}
	res, err := cl.Check(ctx)
	if err != nil {
		return err
	}
	printf(w, "    check: %s\n", res.Message)

	step(w, "listing the tool's organizations, 2 a page")
	cursor, pages := "", 0
	for {
		page, err := cl.Organizations(ctx, abi.PageRequest{Cursor: cursor, Size: 2})
		if err != nil {
			return err
		}
		pages++
		for _, a := range page.Accounts {
			printf(w, "      page %d  %-3s %-20s %s\n", pages, a.ID, a.Name, strings.Join(a.Domains, ", "))
		}
		if page.Next == "" || pages > 100 {
			break
		}
		cursor = page.Next
	}

	step(w, "a configuration with a wrong token fails its check, with a structured error")
	bad, err := conn.Configure(map[string]any{"base_url": api.URL, "token": "wrong"})
	if err != nil {
		return err
	}
	_, err = bad.Check(ctx)
	var ce *host.CallError
	if !errors.As(err, &ce) {
		return fmt.Errorf("expected the check to fail, got %v", err)
	}
	done(w, "code %s: %s", ce.Code, ce.Message)

	step(w, "measuring 2000 warm calls of the no-op action")
	lat := make([]time.Duration, 0, 2000)
	for range 2000 {
		t := time.Now()
		if _, err := cl.Invoke(ctx, "noop", nil); err != nil {
			return err
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	st := conn.Stats()
	done(w, "median %v, p99 %v; %d instance(s) warm, %s of guest memory", lat[len(lat)/2], lat[len(lat)*99/100], st.Instances, humanBytes(int(st.IdleMemoryBytes)))

	printf(w, "\nRoost ran a sandboxed connector end to end. Next: roost connector inspect, roost invoke, docs/abi.md.\n")
	return nil
}

func demoCall(ctx context.Context, w io.Writer, cl *host.Client, action, input string) error {
	start := time.Now()
	out, err := cl.Invoke(ctx, action, json.RawMessage(input))
	if err != nil {
		return err
	}
	printf(w, "    %s %s -> %s (%v)\n", action, input, out, since(start))
	return nil
}

func step(w io.Writer, format string, args ...any) { printf(w, "==> "+format+"\n", args...) }
func done(w io.Writer, format string, args ...any) { printf(w, "    ok: "+format+"\n", args...) }

func since(t time.Time) time.Duration {
	d := time.Since(t)
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Nanosecond)
}

// findCheckout walks up from the working directory to the Roost module root.
func findCheckout() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", usageErrorf("demo: run it inside a Roost checkout (go run ./cmd/roost demo) or pass --source DIR")
		}
		dir = parent
	}
}

// buildConnector compiles the Go connector in dir to out.
func buildConnector(ctx context.Context, dir, out string) error {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", dir, err, b)
	}
	return nil
}

type fakeAPI struct {
	URL string
	srv *http.Server
}

func (f *fakeAPI) Close() { f.srv.Close() }

// startFakeAPI serves GET /status for the hello connector, checking the
// bearer token the host injects.
func startFakeAPI() (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start fake API: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer demo-token" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid token"}`))
			return
		}
		w.Write([]byte(`{"service":"fake-psa","healthy":true}`))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return &fakeAPI{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}
