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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
)

func devCommand() *cli.Command {
	return &cli.Command{
		Name:      "dev",
		Usage:     "serve a connector under development, reloading it on every change",
		ArgsUsage: "DIR|FILE.wasm",
		Description: `For a Go connector's directory, roost dev builds it
(GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared), serves it, and
rebuilds and reloads it whenever a .go file, go.mod or go.sum changes. For a
.wasm file (any language), it reloads whenever the file changes. Each reload
is printed with its time and what changed in the manifest; a build or load
error is printed and the previous build keeps serving. Calls in flight
finish on the build they started on.

While it runs, "roost invoke NAME ACTION" (NAME is the connector's name)
calls this session instead of an installed integration. Ctrl-C stops.

  roost dev ./plugins/acme --config base_url=http://127.0.0.1:8080 --allow-private-networks
  roost invoke acme list_tickets        # in another terminal`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "config", Aliases: []string{"c"}, Usage: "configuration field as `KEY=VALUE` (repeatable)"},
			&cli.StringFlag{Name: "config-file", Usage: "configuration as a JSON object in `FILE`"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "where a Go connector is built to (default DIR/NAME.wasm)"},
			&cli.DurationFlag{Name: "quiet", Value: 100 * time.Millisecond, Usage: "wait this long after the last change before rebuilding"},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let the connector reach loopback and private addresses (local tools, fakes)"},
			jsonFlag(),
		},
		Action: dev,
	}
}

func dev(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErrorf("dev takes one DIR or FILE.wasm")
	}
	config, err := readConfig(c.String("config-file"), c.StringSlice("config"))
	if err != nil {
		return err
	}
	h, err := openHost(c, host.Config{HTTP: host.HTTPConfig{AllowPrivateNetworks: c.Bool("allow-private-networks")}})
	if err != nil {
		return err
	}
	defer closeHost(h)
	w := c.App.Writer
	var mu sync.Mutex // events and the first lines share the writer
	asJSON := c.Bool("json")
	events := func(ev host.DevEvent) {
		mu.Lock()
		defer mu.Unlock()
		printDevEvent(w, ev, asJSON)
	}
	done := progress(c, "building "+c.Args().First())
	sess, err := h.Develop(c.Context, host.DevOptions{Path: c.Args().First(), Output: c.String("output"),
		Quiet: c.Duration("quiet"), Events: events})
	done()
	if err != nil {
		return err
	}
	defer sess.Close(context.Background())
	live := sess.Live()
	client, err := live.Configure(config)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w; give the values with --config KEY=VALUE or --config-file FILE (a development session keeps them in memory only)", err)}
	}
	name := live.Manifest().Name
	sock, stop, err := serveDev(c, name, client)
	if err != nil {
		return err
	}
	defer stop()
	mu.Lock()
	if asJSON {
		writeJSON(w, map[string]any{"kind": "serving", "connector": name, "version": live.Manifest().Version, "path": live.Path(), "socket": sock})
	} else {
		printf(w, "serving %s %s from %s\n", name, live.Manifest().Version, live.Path())
		printf(w, "roost invoke %s ACTION talks to this session; Ctrl-C stops\n", name)
	}
	mu.Unlock()
	<-c.Context.Done()
	return nil
}

func printDevEvent(w io.Writer, ev host.DevEvent, asJSON bool) {
	if asJSON {
		type out struct {
			host.DevEvent
			Error string `json:"error,omitempty"`
		}
		o := out{DevEvent: ev}
		if ev.Err != nil {
			o.Error = ev.Err.Error()
		}
		b, _ := json.Marshal(o)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	at := time.Now().Format("15:04:05")
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	switch ev.Kind {
	case "reloaded":
		r := ev.Result
		fmt.Fprintf(w, "%s reloaded (build %d) in %s: debounce %s", at, r.Generation, ms(ev.Total), ms(ev.Debounce))
		if ev.Build > 0 {
			fmt.Fprintf(w, ", go build %s", ms(ev.Build))
		}
		fmt.Fprintf(w, ", load %s, swap %s\n", ms(r.Compile), ms(r.Swap))
		if ch := r.Changes; ch != nil {
			for _, l := range []struct {
				what string
				list []string
			}{{"actions added", ch.ActionsAdded}, {"actions removed", ch.ActionsRemoved}, {"actions changed", ch.ActionsChanged},
				{"config fields added", ch.FieldsAdded}, {"config fields removed", ch.FieldsRemoved},
				{"hosts added", ch.HostsAdded}, {"hosts removed", ch.HostsRemoved}} {
				if len(l.list) > 0 {
					fmt.Fprintf(w, "  %s: %s\n", l.what, strings.Join(l.list, ", "))
				}
			}
		}
	case "unchanged":
		fmt.Fprintf(w, "%s rebuilt, same module: nothing to reload\n", at)
	default:
		fmt.Fprintf(w, "%s %s; the previous build keeps serving:\n", at, ev.Kind)
		msg := ev.Err.Error()
		if ev.Output != "" {
			msg = ev.Output
		}
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// devSocket is where a dev session of connector name listens.
func devSocket(home, name string) string { return filepath.Join(home, "dev", name+".sock") }

type devRequest struct {
	Action string          `json:"action"`
	Input  json.RawMessage `json:"input"`
}

type devAnswer struct {
	Output json.RawMessage `json:"output,omitempty"`
	Error  *errorJSON      `json:"error,omitempty"`
}

// serveDev answers roost invoke on a unix socket in the home.
func serveDev(c *cli.Context, name string, client *host.LiveClient) (string, func(), error) {
	sock := devSocket(c.String("home"), name)
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return "", nil, err
	}
	if conn, err := net.Dial("unix", sock); err == nil {
		conn.Close()
		return "", nil, fmt.Errorf("another roost dev already serves %s (%s)", name, sock)
	}
	os.Remove(sock) // a stale socket of a session that died
	l, err := net.Listen("unix", sock)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", sock, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /invoke", func(w http.ResponseWriter, r *http.Request) {
		var req devRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := client.Invoke(r.Context(), req.Action, req.Input)
		ans := devAnswer{Output: out}
		if err != nil {
			ans.Error = wireError(err)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(ans)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	return sock, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Remove(sock)
	}, nil
}

// devInvoke calls a running dev session of connector name, if there is
// one; ok is false when there is none.
func devInvoke(ctx context.Context, home, name, action string, input json.RawMessage) (out json.RawMessage, callErr error, ok bool, err error) {
	sock := devSocket(home, name)
	if _, err := os.Stat(sock); err != nil {
		return nil, nil, false, nil
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	body, _ := json.Marshal(devRequest{Action: action, Input: input})
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://roost-dev/invoke", strings.NewReader(string(body)))
	resp, err := hc.Do(req)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) {
			return nil, nil, false, nil // a stale socket: no session
		}
		return nil, nil, true, err
	}
	defer resp.Body.Close()
	var ans devAnswer
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		return nil, nil, true, fmt.Errorf("the dev session answered badly: %w", err)
	}
	if ans.Error != nil {
		e := ans.Error
		return nil, &host.CallError{Connector: name, Op: "action " + action, Code: abi.Code(e.Code), Message: e.Message,
			Retryable: e.Retryable, Details: e.Details}, true, nil
	}
	return ans.Output, nil, true, nil
}
