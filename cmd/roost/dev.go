package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
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
	// The session runs in the home's service: a running roost serve, or
	// this process, which then serves the API so roost invoke reaches it.
	sess, err := connectHome(c, true)
	if err != nil {
		return err
	}
	defer sess.close()
	w := c.App.Writer
	var mu sync.Mutex // events and the first lines share the writer
	asJSON := c.Bool("json")
	done := progress(c, "building "+c.Args().First())
	var once sync.Once
	events := func(ev host.DevEvent) {
		once.Do(done)
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == "serving" && !asJSON {
			printf(w, "serving %s %s from %s\n", ev.Connector, ev.Version, ev.Path)
			printf(w, "roost invoke %s ACTION talks to this session (in %s); Ctrl-C stops\n", ev.Connector, sess.where())
			return
		}
		printDevEvent(w, ev, asJSON)
	}
	err = sess.Dev().Run(c.Context, host.DevOptions{Path: c.Args().First(), Output: c.String("output"),
		Quiet: c.Duration("quiet"), AllowPrivateNetworks: c.Bool("allow-private-networks"), Events: events}, config)
	once.Do(done)
	if err == nil && c.Context.Err() == nil {
		printf(w, "the Roost service stopped, and the session with it\n")
	}
	var ce *host.ConfigError
	if errors.As(err, &ce) {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w; give the values with --config KEY=VALUE or --config-file FILE (a development session keeps them in memory only)", err)}
	}
	return err
}

func printDevEvent(w io.Writer, ev host.DevEvent, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(ev)
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
		msg := ev.Error
		if ev.Output != "" {
			msg = ev.Output
		}
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}
