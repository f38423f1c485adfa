package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

func invokeCommand() *cli.Command {
	return &cli.Command{
		Name:      "invoke",
		Usage:     "run one action of an installed integration, or of a connector file without installing it",
		ArgsUsage: "NAME|FILE.wasm ACTION",
		Description: `With an installed integration's NAME, runs ACTION with its default stored
configuration (or --use CONFIG). With FILE.wasm, loads the file, configures
it from --config and --config-file, and runs ACTION. Either way the input
comes from --input and the result is printed as JSON.

  roost invoke halopsa list_tickets --use tenant-b
  roost invoke hello.wasm greet --input '{"name":"Ada"}' --config greeting=Hi
  roost invoke hello.wasm status --input @input.json --config-file cfg.json

--config values are parsed as JSON when they are valid JSON (numbers, true,
false), else taken as strings. Values on the command line are visible to
other users of the machine: put secrets in --config-file instead.

With --json, the output is an envelope a script can read:
  {"ok": true, "connector": "hello", "action": "greet", "duration_ms": 1.2, "result": {...}}
  {"ok": false, ..., "error": {"code": "...", "message": "...", "retryable": false, "fault": "..."}}

Exit status: 0 on success, 3 when the connector answered with an error or
faulted, 2 for a wrong command line, 1 for anything else.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Value: "{}", Usage: "action input: JSON, @FILE to read a file, or - for stdin"},
			&cli.StringSliceFlag{Name: "config", Aliases: []string{"c"}, Usage: "configuration field as `KEY=VALUE` (repeatable)"},
			&cli.StringFlag{Name: "config-file", Usage: "configuration as a JSON object in `FILE`"},
			&cli.StringFlag{Name: "use", Usage: "the stored configuration `NAME` of an installed integration (default: its default)"},
			&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "bound the call"},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let the connector reach loopback and private addresses (local tools, fakes)"},
			jsonFlag(),
		},
		Action: invoke,
	}
}

func invoke(c *cli.Context) error {
	if c.NArg() != 2 {
		return usageErrorf("invoke: want NAME|FILE.wasm ACTION; got %d arguments", c.NArg())
	}
	path, action := c.Args().Get(0), c.Args().Get(1)
	_, statErr := os.Stat(path)
	installed := statErr != nil && !strings.HasSuffix(path, ".wasm") && !strings.ContainsRune(path, os.PathSeparator)
	if installed && (c.IsSet("config") || c.IsSet("config-file")) {
		return usageErrorf("invoke %s: an installed integration uses its stored configuration (--use NAME); change it with roost integrations configure %s", path, path)
	}
	if !installed && c.IsSet("use") {
		return usageErrorf("invoke: --use names a stored configuration of an installed integration, not of a file")
	}
	input, err := readInput(c.String("input"), c.App.Reader)
	if err != nil {
		return err
	}
	config, err := readConfig(c.String("config-file"), c.StringSlice("config"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	if installed {
		// The service answers: a dev session of the connector first, else
		// the installed integration with its stored configuration.
		sess, err := connect(c)
		if err != nil {
			return err
		}
		defer sess.close()
		res, err := sess.Integrations().Invoke(ctx, host.InvokeInput{Integration: path, Config: c.String("use"),
			Action: action, Input: input, Timeout: c.Duration("timeout")})
		var ce *host.CallError
		if err != nil && !errors.As(err, &ce) {
			return err
		}
		if err != nil {
			return report(c, path, action, nil, err, 0)
		}
		return report(c, res.Connector, action, res.Output, nil, res.Took)
	}
	h, err := openHost(c, host.Config{
		Limits: host.Limits{CallTimeout: c.Duration("timeout")},
		HTTP:   host.HTTPConfig{AllowPrivateNetworks: c.Bool("allow-private-networks")},
	})
	if err != nil {
		return err
	}
	defer closeHost(h)
	conn, err := h.LoadFile(c.Context, path)
	if err != nil {
		return err
	}
	cl, err := conn.Configure(config)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (see the fields with: roost connector inspect %s)", err, path)}
	}
	start := time.Now()
	out, callErr := cl.Invoke(ctx, action, input)
	return report(c, conn.Manifest().Name, action, out, callErr, time.Since(start))
}

// report prints a call's result, or its error, as text or a JSON envelope.
func report(c *cli.Context, connector, action string, out json.RawMessage, callErr error, elapsed time.Duration) error {
	if c.Bool("json") {
		env := envelope{OK: callErr == nil, Connector: connector, Action: action, DurationMS: float64(elapsed.Microseconds()) / 1000}
		if callErr == nil {
			env.Result = out
		} else {
			env.Error = wireError(callErr)
		}
		if err := writeJSON(c.App.Writer, env); err != nil {
			return err
		}
		if callErr != nil {
			return &exitError{code: exitConnector, err: callErr, reported: true}
		}
		return nil
	}
	if callErr != nil {
		return callErr
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(out)
	}
	return printf(c.App.Writer, "%s\n", pretty.Bytes())
}

type envelope struct {
	OK         bool            `json:"ok"`
	Connector  string          `json:"connector"`
	Action     string          `json:"action"`
	DurationMS float64         `json:"duration_ms"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *errorJSON      `json:"error,omitempty"`
}

type errorJSON struct {
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Retryable bool            `json:"retryable"`
	Fault     string          `json:"fault,omitempty"`
	Details   json.RawMessage `json:"details,omitempty"`
}

func wireError(err error) *errorJSON {
	var ce *host.CallError
	if errors.As(err, &ce) {
		return &errorJSON{Code: string(ce.Code), Message: ce.Message, Retryable: ce.Retryable, Fault: string(ce.Fault), Details: ce.Details}
	}
	return &errorJSON{Code: "internal", Message: err.Error()}
}

// readInput reads --input: inline JSON, @FILE, or - for stdin.
func readInput(arg string, stdin io.Reader) (json.RawMessage, error) {
	var raw []byte
	switch {
	case arg == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read input from stdin: %w", err)
		}
		raw = b
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, usageErrorf("--input: %v", err)
		}
		raw = b
	default:
		raw = []byte(arg)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		return nil, usageErrorf("--input is not valid JSON: %v", err)
	}
	return raw, nil
}

// readConfig merges --config-file and --config KEY=VALUE pairs (the latter
// win).
func readConfig(file string, pairs []string) (map[string]any, error) {
	config := map[string]any{}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErrorf("--config-file: %v", err)
		}
		if err := json.Unmarshal(b, &config); err != nil {
			return nil, usageErrorf("--config-file %s: not a JSON object: %v", file, err)
		}
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--config %q: want KEY=VALUE", p)
		}
		var parsed any
		if err := json.Unmarshal([]byte(v), &parsed); err == nil {
			if _, isObj := parsed.(map[string]any); !isObj {
				config[k] = parsed
				continue
			}
		}
		config[k] = v
	}
	return config, nil
}
