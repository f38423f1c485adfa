package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins"
)

// Options are the process's surroundings, so tests can run the CLI in
// memory.
type Options struct {
	// Context, if set, is the commands' context; cancelling it stops
	// long-running commands such as roost dev.
	Context        context.Context
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Exit codes.
const (
	exitOK        = 0
	exitFailure   = 1 // something failed: I/O, a module that does not load
	exitUsage     = 2 // the command line is wrong
	exitConnector = 3 // the connector answered with an error or faulted
	exitBusy      = 4 // the home is in use, or its service went away mid-request
)

// exitError carries an exit code with the error shown to the user.
// reported says the command has already printed it (a --json envelope).
type exitError struct {
	code     int
	err      error
	reported bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// App builds the roost command-line application.
func App(o Options) *cli.App {
	app := &cli.App{
		Name:  "roost",
		Usage: "host integrations: sandboxed WebAssembly connectors to the tools an MSP runs",
		Description: `Roost loads connectors (WebAssembly modules written against docs/abi.md),
runs them in a sandbox with no filesystem, environment or sockets, and calls
their actions. Outbound HTTP goes through Roost, to the hosts the connector
declares only, with credentials injected from its configuration.

Start with "roost demo": against local fake HaloPSA and ConnectWise servers
it installs the bundled connectors, maps organizations to each tool's
accounts, unpacks a crate and runs its workflow. Then: "roost integrations"
(the catalogue, custom integrations, OpenAPI import), "roost orgs" and
"roost mapping", "roost crates", "roost run" and "roost serve"; connector
authors: "roost connector new" and "roost dev".`,
		Reader:    o.Stdin,
		Writer:    o.Stdout,
		ErrWriter: o.Stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "home",
				Usage:   "Roost home directory: the store, installed modules, the secret key, compiled code",
				EnvVars: []string{"ROOST_HOME"},
				Value:   defaultHome(o.Getenv),
			},
			&cli.StringSliceFlag{
				Name:  "catalog",
				Usage: "a directory of connector .wasm files available to install (repeatable; also ROOST_CATALOG, a list separated by " + string(os.PathListSeparator) + ")",
			},
		},
		Commands: []*cli.Command{
			versionCommand(),
			connectorCommand(),
			integrationsCommand(),
			orgsCommand(),
			mappingCommand(),
			cratesCommand(),
			runCommand(),
			runsCommand(),
			serveCommand(),
			requestsCommand(),
			invokeCommand(),
			devCommand(),
			demoCommand(),
		},
		ExitErrHandler: func(*cli.Context, error) {}, // Run reports errors itself
		// Repeatable flags take each value whole: "--paginate x=page,page_param=p"
		// and "--config list=a,b" must not be split at commas.
		DisableSliceFlagSeparator: true,
		HideHelpCommand:           true,
		Metadata:                  map[string]any{optionsKey: o},
	}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return &exitError{code: exitUsage, err: err}
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
		for _, sub := range c.Subcommands {
			sub.OnUsageError = app.OnUsageError
		}
	}
	return app
}

// Run runs the CLI and returns the process exit code. Errors are printed as
// one line on stderr.
func Run(args []string, o Options) int {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	app := App(o)
	if name := firstCommand(app, args); name != "" && find(app.Commands, name) == nil && name != "help" {
		fmt.Fprintf(o.Stderr, "roost: unknown command %q; see roost --help\n", name)
		return exitUsage
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	err := app.RunContext(ctx, interspersed(app, args))
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	var ee *exitError
	if errors.As(err, &ee) && ee.reported {
		return code
	}
	if jsonRequested(args) {
		// Scripts read one JSON document from stdout, errors included.
		writeJSON(o.Stdout, errorDocument(err, code))
		return code
	}
	fmt.Fprintln(o.Stderr, "roost: "+message(err))
	return code
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// defaultHome is $XDG_DATA_HOME/roost, else ~/.local/share/roost, else a
// directory under the system temp dir.
func defaultHome(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "roost")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "roost")
	}
	return filepath.Join(os.TempDir(), "roost")
}

const optionsKey = "roost.options"

// options returns the process surroundings the App was built with.
func options(c *cli.Context) Options {
	o, _ := c.App.Metadata[optionsKey].(Options)
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	return o
}

// openHost opens a host on the --home directory, with the bundled
// connectors, the --catalog directories and ROOST_SECRET_KEY.
func openHost(c *cli.Context, cfg host.Config) (*host.Host, error) {
	o := options(c)
	cfg.Home = c.String("home")
	if cfg.Home == "" {
		return nil, usageErrorf("--home is empty; set it or ROOST_HOME")
	}
	cfg.Bundled = plugins.Bundled()
	cfg.Catalogs = append(cfg.Catalogs, catalogDirs(c)...)
	cfg.SecretKey = o.Getenv("ROOST_SECRET_KEY")
	h, err := host.Open(c.Context, cfg)
	if err != nil {
		return nil, fmt.Errorf("open Roost home %s: %w", cfg.Home, err)
	}
	return h, nil
}

func closeHost(h *host.Host) { h.Close(context.Background()) }

// catalogDirs are the --catalog directories and ROOST_CATALOG's.
func catalogDirs(c *cli.Context) []string {
	dirs := c.StringSlice("catalog")
	for _, d := range filepath.SplitList(options(c).Getenv("ROOST_CATALOG")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}
