package main

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	csdk "github.com/roosthq/roost/sdk/c"
)

const roostModule = "github.com/roosthq/roost"

func connectorNewCommand() *cli.Command {
	return &cli.Command{
		Name:      "new",
		Usage:     "scaffold a working connector: manifest, an action, organizations, a test",
		ArgsUsage: "NAME",
		Description: `Writes a Go connector into DIR (default ./NAME): main.go with a manifest, a
configuration (base_url and a secret api_key the host injects), a "hello"
action, a "list_customers" action and the organizations capability over a
paged /customers endpoint; main_test.go that runs them against a local test
server with sdk/sdktest; and a README with the next steps. It builds and its
test passes as written:

  roost connector new acme
  cd acme && go test ./... && roost connector build && roost dev .

Inside a checkout of Roost the connector joins the Roost module. Elsewhere it
gets its own go.mod, which needs the SDK's source: --sdk PATH names a Roost
checkout (a "replace" directive points there).

With --lang c it writes NAME.c (the manifest, a "hello" action and the
organizations capability), Roost's C SDK (roost.h, roost.c) and build.sh,
which builds NAME.wasm with clang and wasi-libc:

  roost connector new acme --lang c && cd acme && ./build.sh && roost dev acme.wasm`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Usage: "where to write it (default ./NAME)"},
			&cli.StringFlag{Name: "sdk", Usage: "a Roost checkout, for a connector outside one"},
			&cli.StringFlag{Name: "module", Usage: "the Go module path of a connector outside Roost (default example.com/NAME)"},
			&cli.StringFlag{Name: "lang", Value: "go", Usage: "the connector's language: go or c"},
		},
		Action: connectorNew,
	}
}

func connectorBuildCommand() *cli.Command {
	return &cli.Command{
		Name:      "build",
		Usage:     "build a connector to .wasm",
		ArgsUsage: "[DIR]",
		Description: `For a Go connector (DIR has main.go) runs
GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared in DIR (default
.); for a C connector made by roost connector new --lang c, runs its
build.sh. Then checks the result loads as Roost would serve it.`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the .wasm file (default DIR/NAME.wasm)"},
			&cli.BoolFlag{Name: "no-check", Usage: "do not load the module after building"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErrorf("build takes at most one DIR")
			}
			dir := c.Args().First()
			if dir == "" {
				dir = "."
			}
			out := c.String("output")
			if out == "" {
				abs, _ := filepath.Abs(dir)
				out = filepath.Join(dir, filepath.Base(abs)+".wasm")
			}
			start := time.Now()
			switch {
			case fileExists(filepath.Join(dir, "main.go")):
				msg, err := host.BuildGoConnector(c.Context, dir, out)
				if err != nil {
					return fmt.Errorf("%w\n%s", err, msg)
				}
			case fileExists(filepath.Join(dir, "build.sh")):
				abs, err := filepath.Abs(out)
				if err != nil {
					return err
				}
				cmd := exec.CommandContext(c.Context, "./build.sh", abs)
				cmd.Dir = dir
				if msg, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("%s/build.sh failed: %w\n%s", dir, err, strings.TrimSpace(string(msg)))
				}
			default:
				return usageErrorf("%s has neither main.go (a Go connector) nor build.sh (a C connector from roost connector new --lang c)", dir)
			}
			built := time.Since(start)
			if c.Bool("no-check") {
				return printf(c.App.Writer, "built %s in %s\n", out, built.Round(time.Millisecond))
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			conn, err := h.LoadFile(c.Context, out)
			if err != nil {
				return err
			}
			m := conn.Manifest()
			return printf(c.App.Writer, "built %s in %s: %s %s, %d actions, %s\n", out, built.Round(time.Millisecond),
				m.Name, m.Version, len(m.Actions), humanBytes(int(conn.Info().Size)))
		},
	}
}

var connectorName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

func connectorNew(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErrorf("new takes one NAME")
	}
	name := c.Args().First()
	if !connectorName.MatchString(name) {
		return usageErrorf("connector name %q: use lower-case letters, digits, '-' and '_', starting with a letter", name)
	}
	lang := c.String("lang")
	if lang != "go" && lang != "c" {
		return usageErrorf("--lang %q: want go or c (for other languages start from docs/abi.md)", lang)
	}
	dir := c.String("dir")
	if dir == "" {
		dir = name
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty; choose another --dir", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if lang == "c" {
		return newCConnector(c, name, dir, abs)
	}
	inRoost := insideRoost(abs)
	sdk := c.String("sdk")
	if !inRoost && sdk == "" {
		return usageErrorf("%s is outside a Roost checkout, so the connector needs its own go.mod and the SDK's source: pass --sdk PATH/TO/roost", dir)
	}
	if sdk != "" {
		if sdk, err = filepath.Abs(sdk); err != nil {
			return err
		}
		if !isRoostRoot(sdk) {
			return fmt.Errorf("--sdk %s is not a Roost checkout (no go.mod of module %s)", sdk, roostModule)
		}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	data := scaffoldData{Name: name, Ident: ident(name), Module: c.String("module")}
	if data.Module == "" {
		data.Module = "example.com/" + name
	}
	files := map[string]*template.Template{"main.go": scaffoldTemplate("go/main.go.tmpl"),
		"main_test.go": scaffoldTemplate("go/main_test.go.tmpl"), "README.md": scaffoldTemplate("go/README.md.tmpl")}
	if !inRoost {
		files["go.mod"] = scaffoldTemplate("go/go.mod.tmpl")
		data.SDK = sdk
		data.GoVersion = goVersion(sdk)
	}
	for file, t := range files {
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(abs, file), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if !inRoost {
		cmd := exec.CommandContext(c.Context, "go", "mod", "tidy")
		cmd.Dir = abs
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go mod tidy in %s: %w\n%s", dir, err, out)
		}
	}
	w := c.App.Writer
	printf(w, "wrote the %s connector in %s\n", name, dir)
	return printf(w, "next:\n  cd %s\n  go test ./...          # the connector against a local test server\n  roost connector build   # %s.wasm\n  roost dev .             # serve it, reloading on every save\n", dir, filepath.Base(abs))
}

func goVersion(root string) string {
	b, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	if m := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "1.26"
}

func isRoostRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && regexp.MustCompile(`(?m)^module `+regexp.QuoteMeta(roostModule)+`\s*$`).Match(b)
}

// insideRoost reports whether dir lies in a checkout of the Roost module.
func insideRoost(dir string) bool {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return isRoostRoot(d)
		}
		if filepath.Dir(d) == d {
			return false
		}
	}
}

// ident makes a Go-friendly word of a name: "acme-psa" → "AcmePsa".
func ident(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

type scaffoldData struct {
	Name, Ident, Module, SDK, GoVersion string
}

// newCConnector writes a C connector with Roost's C SDK beside it.
func newCConnector(c *cli.Context, name, dir, abs string) error {
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	data := scaffoldData{Name: name, Ident: ident(name)}
	for file, t := range map[string]*template.Template{name + ".c": scaffoldTemplate("c/connector.c.tmpl"),
		"build.sh": scaffoldTemplate("c/build.sh.tmpl"), "README.md": scaffoldTemplate("c/README.md.tmpl")} {
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if file == "build.sh" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(abs, file), b.Bytes(), mode); err != nil {
			return err
		}
	}
	for _, f := range []string{"roost.h", "roost.c"} {
		b, err := csdk.Files.ReadFile("roost/" + f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(abs, f), b, 0o644); err != nil {
			return err
		}
	}
	w := c.App.Writer
	printf(w, "wrote the %s connector (C) in %s\n", name, dir)
	return printf(w, "next:\n  cd %s\n  ./build.sh              # %s.wasm (needs clang and wasi-libc; ./build.sh --install as root on Debian)\n  roost dev %s.wasm       # serve it, reloading whenever you rebuild\n", dir, name, name)
}

// templates are the files roost connector new writes, one per file.
//
//go:embed templates
var templates embed.FS

// scaffoldTemplate parses one of the embedded templates when it is used
// (not at start-up: every roost process would pay for it).
func scaffoldTemplate(path string) *template.Template {
	return template.Must(template.New(path).ParseFS(templates, "templates/"+path)).Lookup(filepath.Base(path))
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
