package main

import (
	"bytes"
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
	files := map[string]*template.Template{"main.go": mainTmpl, "main_test.go": testTmpl, "README.md": readmeTmpl}
	if !inRoost {
		files["go.mod"] = goModTmpl
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

var goModTmpl = template.Must(template.New("go.mod").Parse(`module {{.Module}}

go {{.GoVersion}}

require github.com/roosthq/roost v0.0.0

replace github.com/roosthq/roost => {{.SDK}}
`))

var mainTmpl = template.Must(template.New("main.go").Parse(`// Command {{.Name}} is a Roost connector. Build it with
//
//	roost connector build
//
// (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o {{.Name}}.wasm .)
// and serve it while you edit with "roost dev .". docs/connector-guide.md
// in Roost explains every part.
package main

import (
	"context"
	"net/url"
	"strconv"

	"github.com/roosthq/roost/sdk"
)

// Connector is what the connector says and does. Roost reads the manifest
// from it; the host injects api_key into requests to base_url, so the
// connector never sees the secret.
var Connector = sdk.Connector{
	Name:        "{{.Name}}",
	Version:     "0.1.0",
	Category:    sdk.CategoryOther,
	Description: "{{.Ident}}: say what the tool is and what this connector does with it.",
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Required: true, Description: "The tool's API address, such as https://api.example.com."},
		{Name: "api_key", Type: sdk.TypeString, Required: true, Secret: true, Description: "An API key; sent as the X-Api-Key header by the host."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthHeader, Name: "X-Api-Key", Secret: "api_key"},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("hello", "Greets someone; a first action to change.", hello),
		sdk.NewAction("list_customers", "Lists one page of the tool's customers.", listCustomers),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

// HelloInput is the input of hello.
type HelloInput struct {
	Name string ` + "`" + `json:"name" desc:"Who to greet."` + "`" + `
}

// HelloOutput is the output of hello.
type HelloOutput struct {
	Greeting string ` + "`" + `json:"greeting"` + "`" + `
}

func hello(_ context.Context, in HelloInput) (HelloOutput, error) {
	if in.Name == "" {
		return HelloOutput{}, sdk.Errorf(sdk.CodeInvalidInput, "name is required")
	}
	return HelloOutput{Greeting: "Hello, " + in.Name + "!"}, nil
}

// Customer is one customer in the tool.
type Customer struct {
	ID     int    ` + "`" + `json:"id"` + "`" + `
	Name   string ` + "`" + `json:"name"` + "`" + `
	Domain string ` + "`" + `json:"domain,omitempty"` + "`" + `
}

// customerPage is the tool's answer to GET /customers?page=N&per_page=S.
// Change it to what your tool sends.
type customerPage struct {
	Customers []Customer ` + "`" + `json:"customers"` + "`" + `
	NextPage  int        ` + "`" + `json:"next_page"` + "`" + ` // 0 on the last page
}

// ListCustomersInput is the input of list_customers.
type ListCustomersInput struct {
	Page    int ` + "`" + `json:"page,omitempty" desc:"The page, from 1."` + "`" + `
	PerPage int ` + "`" + `json:"per_page,omitempty" desc:"Customers per page (default 100)."` + "`" + `
}

func listCustomers(ctx context.Context, in ListCustomersInput) ([]Customer, error) {
	page, err := fetchPage(ctx, max(in.Page, 1), in.PerPage)
	if err != nil {
		return nil, err
	}
	return page.Customers, nil
}

func fetchPage(ctx context.Context, page, perPage int) (customerPage, error) {
	var cfg struct {
		BaseURL string ` + "`" + `json:"base_url"` + "`" + `
	}
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return customerPage{}, err
	}
	if perPage <= 0 {
		perPage = 100
	}
	q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}}
	var out customerPage
	err := sdk.HTTP(ctx).GetJSON(cfg.BaseURL+"/customers?"+q.Encode(), &out)
	return out, err
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	if _, err := fetchPage(ctx, 1, 1); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "read the first customer"}, nil
}

// organizations lists the tool's customers for organization mapping. The
// cursor is the next page number.
func organizations(ctx context.Context, req sdk.PageRequest) (sdk.OrganizationPage, error) {
	page := 1
	if req.Cursor != "" {
		n, err := strconv.Atoi(req.Cursor)
		if err != nil || n < 1 {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", req.Cursor)
		}
		page = n
	}
	p, err := fetchPage(ctx, page, req.Size)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(p.Customers))}
	for _, c := range p.Customers {
		a := sdk.Account{ID: strconv.Itoa(c.ID), Name: c.Name}
		if c.Domain != "" {
			a.Domains = []string{c.Domain}
		}
		out.Accounts = append(out.Accounts, a)
	}
	if p.NextPage > page {
		out.Next = strconv.Itoa(p.NextPage)
	}
	return out, nil
}
`))

var testTmpl = template.Must(template.New("main_test.go").Parse(`package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/roosthq/roost/sdk/sdktest"
)

// fakeTool stands in for the tool: 25 customers, paged, behind X-Api-Key.
func fakeTool(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "test-key" {
			http.Error(w, ` + "`" + `{"error":"unauthorized"}` + "`" + `, http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		var out customerPage
		for i := (page - 1) * per; i < min(page*per, 25); i++ {
			out.Customers = append(out.Customers, Customer{ID: i + 1, Name: "Customer " + strconv.Itoa(i+1)})
		}
		if page*per < 25 {
			out.NextPage = page + 1
		}
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHello(t *testing.T) {
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": "https://api.example.com", "api_key": "k"})
	var out HelloOutput
	if err := h.Invoke("hello", HelloInput{Name: "Ada"}, &out); err != nil || out.Greeting != "Hello, Ada!" {
		t.Fatalf("hello: %+v, %v", out, err)
	}
	if err := h.Invoke("hello", HelloInput{}, &out); err == nil {
		t.Fatal("hello without a name succeeded")
	}
}

func TestOrganizationsPagesThroughTheTool(t *testing.T) {
	srv := fakeTool(t)
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": srv.URL, "api_key": "test-key"})
	accounts, err := h.Organizations(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 25 || accounts[24].Name != "Customer 25" {
		t.Fatalf("got %d accounts: %+v", len(accounts), accounts)
	}
	if _, err := h.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
}
`))

var readmeTmpl = template.Must(template.New("README.md").Parse(`# {{.Name}}

A Roost connector.

    go test ./...           # run it natively against a local test server (sdk/sdktest)
    roost connector build   # build {{.Name}}.wasm
    roost dev .             # serve it; every save rebuilds and reloads it
    roost invoke {{.Name}} hello --input '{"name":"Ada"}'   # while roost dev runs
    roost integrations install {{.Name}}.wasm

Change the manifest in main.go (name, description, configuration, hosts,
actions) and the customer page type to what your tool sends. Roost's
docs/connector-guide.md and docs/abi.md explain the rest.
`))

// newCConnector writes a C connector with Roost's C SDK beside it.
func newCConnector(c *cli.Context, name, dir, abs string) error {
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	data := scaffoldData{Name: name, Ident: ident(name)}
	for file, t := range map[string]*template.Template{name + ".c": cTmpl, "build.sh": buildShTmpl, "README.md": cReadmeTmpl} {
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

var cTmpl = template.Must(template.New("c").Parse(`/*
 * {{.Name}}: a Roost connector in C. roost.h (Roost's C SDK) declares the
 * ABI (docs/abi.md in Roost) and the helpers used here. Build with
 * ./build.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "roost.h"

static const char MANIFEST[] =
    "{\"abi\":\"1.0\",\"name\":\"{{.Name}}\",\"version\":\"0.1.0\",\"category\":\"Other\","
    "\"description\":\"{{.Ident}}: say what the tool is and what this connector does with it.\","
    "\"config\":["
    "{\"name\":\"base_url\",\"type\":\"url\",\"description\":\"The tool's API address.\"},"
    "{\"name\":\"api_key\",\"type\":\"string\",\"secret\":true,\"description\":\"Sent as X-Api-Key by the host.\"}],"
    "\"auth\":{\"type\":\"header\",\"name\":\"X-Api-Key\",\"secret\":\"api_key\"},"
    "\"hosts\":[\"{config.base_url}\"],"
    "\"capabilities\":[\"organizations\"],"
    "\"actions\":["
    "{\"name\":\"hello\",\"description\":\"Greets someone; a first action to change.\","
    "\"input\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]},"
    "\"output\":{\"type\":\"object\",\"properties\":{\"greeting\":{\"type\":\"string\"}}}}]}";

static uint32_t hello(const char *input) {
    const char *name;
    size_t len;
    if (!json_string(input, "name", &name, &len) || len == 0) return fail("invalid_input", "name is required");
    buf b = {0};
    puts_(&b, "{\"greeting\":\"Hello, ");
    put(&b, name, len);
    puts_(&b, "!\"}");
    return reply(&b);
}

/* organizations lists the tool's customers one page at a time; the cursor
 * is the index of the next one. Replace the fixed list with calls to the
 * tool (roost_http_request; see examples/hello-c in Roost). */
static const char *CUSTOMERS[] = {"Acme Corporation", "Globex LLC", "Initech GmbH"};
#define NCUSTOMERS ((long)(sizeof CUSTOMERS / sizeof CUSTOMERS[0]))

static uint32_t organizations(const char *input) {
    long size = json_int(input, "size", 100), start = 0;
    const char *cursor;
    size_t cursor_len;
    if (size <= 0) size = 100;
    if (json_string(input, "cursor", &cursor, &cursor_len) && cursor_len > 0) start = strtol(cursor, NULL, 10);
    if (start < 0 || start > NCUSTOMERS) return fail("invalid_input", "bad cursor");
    long stop = start + size < NCUSTOMERS ? start + size : NCUSTOMERS;
    buf b = {0};
    puts_(&b, "{\"accounts\":[");
    for (long i = start; i < stop; i++) {
        if (i > start) puts_(&b, ",");
        puts_(&b, "{\"id\":\"");
        putint(&b, i + 1);
        puts_(&b, "\",\"name\":\"");
        puts_(&b, CUSTOMERS[i]);
        puts_(&b, "\"}");
    }
    puts_(&b, "]");
    if (stop < NCUSTOMERS) {
        puts_(&b, ",\"next\":\"");
        putint(&b, stop);
        puts_(&b, "\"");
    }
    puts_(&b, "}");
    return reply(&b);
}

ROOST_EXPORT("roost_describe") uint32_t roost_describe(void) {
    roost_output(MANIFEST, sizeof MANIFEST - 1);
    return HANDLE_OK;
}

ROOST_EXPORT("roost_handle") uint32_t roost_handle(uint32_t op, uint32_t name_len, uint32_t input_len) {
    char *name = read_part(PART_NAME, name_len, NULL);
    char *input = read_part(PART_INPUT, input_len, NULL);
    uint32_t rc;
    if (op == OP_ORGANIZATIONS) {
        rc = organizations(input);
    } else if (op != OP_ACTION) {
        rc = fail("not_implemented", "unknown operation");
    } else if (strcmp(name, "hello") == 0) {
        rc = hello(input);
    } else {
        rc = fail("unknown_action", "no such action");
    }
    free(name);
    free(input);
    return rc;
}
`))

var buildShTmpl = template.Must(template.New("build.sh").Parse(`#!/usr/bin/env bash
# Builds {{.Name}}.wasm with clang and wasi-libc.
#   ./build.sh [OUT.wasm]        build (default {{.Name}}.wasm beside this script)
#   ./build.sh --install [OUT]   first install the toolchain with apt-get (Debian/Ubuntu, as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = "--install" ]; then
  shift
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends clang lld wasi-libc libclang-rt-14-dev-wasm32 >/dev/null
fi
out=${1:-$here/{{.Name}}.wasm}
# Write next to the target and rename, so roost dev never loads half a module.
"${CC:-clang}" --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror   -Wl,--strip-debug -I "$here" -o "$out.building" "$here/{{.Name}}.c" "$here/roost.c"
mv "$out.building" "$out"
`))

var cReadmeTmpl = template.Must(template.New("README.md").Parse(`# {{.Name}}

A Roost connector in C.

    ./build.sh              # {{.Name}}.wasm (clang + wasi-libc; ./build.sh --install as root on Debian)
    roost dev {{.Name}}.wasm     # serve it; every rebuild reloads it
    roost invoke {{.Name}} hello --input '{"name":"Ada"}'   # while roost dev runs
    roost integrations install {{.Name}}.wasm

roost.h and roost.c are Roost's C SDK. Change the manifest and the actions in
{{.Name}}.c; Roost's docs/abi.md is the whole contract.
`))

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
