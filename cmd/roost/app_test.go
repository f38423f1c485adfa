package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roosthq/roost/sdk/sdktest"
)

// home is shared so each connector compiles once and then comes from the
// compilation cache.
var home string

func TestMain(m *testing.M) {
	// A test that needs a second process runs this binary as roost.
	if os.Getenv("ROOST_TEST_AS_ROOST") == "1" {
		main()
	}
	dir, err := os.MkdirTemp("", "roost-cli-test-")
	if err != nil {
		panic(err)
	}
	home = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func roost(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return roostAt(t, home, nil, stdin, args...)
}

func TestVersion(t *testing.T) {
	r := roost(t, "", "version", "--json")
	var v map[string]string
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v["abi"] != "1.0" || v["wazero"] == "" {
		t.Fatalf("version --json: %+v", r)
	}
}

func TestInspect(t *testing.T) {
	wasm := sdktest.Build(t, "../../examples/hello")
	r := roost(t, "", "connector", "inspect", wasm)
	if r.code != 0 {
		t.Fatalf("inspect: %+v", r)
	}
	for _, want := range []string{"hello 0.1.0 (Other)", "sha256", "v1.0", "token", "string (secret)", "greet", "name (string, required)", "{config.base_url}"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = roost(t, "", "connector", "inspect", "--json", wasm)
	var got struct {
		SHA256   string `json:"sha256"`
		Size     int    `json:"size"`
		Manifest struct {
			Name string `json:"name"`
		} `json:"manifest"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Manifest.Name != "hello" || len(got.SHA256) != 64 || got.Size == 0 {
		t.Fatalf("inspect --json: %+v", r)
	}
}

func TestInvoke(t *testing.T) {
	wasm := sdktest.Build(t, "../../examples/hello")
	dir := t.TempDir()
	input := filepath.Join(dir, "in.json")
	os.WriteFile(input, []byte(`{"name":"File"}`), 0o600)

	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		oneLiner bool
	}{
		{"flags after arguments", "", []string{"invoke", wasm, "greet", "--input", `{"name":"Ada"}`, "--config", "greeting=Hi"}, 0, `"greeting": "Hi, Ada!"`, "", false},
		{"input from a file", "", []string{"invoke", "-i", "@" + input, wasm, "greet"}, 0, "Hello, File!", "", false},
		{"input from stdin", `{"name":"Pipe"}`, []string{"invoke", wasm, "greet", "-i", "-"}, 0, "Hello, Pipe!", "", false},
		{"connector error", "", []string{"invoke", wasm, "greet"}, 3, "", "invalid_input: name is required", true},
		{"json envelope on error", "", []string{"invoke", "--json", wasm, "greet"}, 3, `"ok": false`, "", false},
		{"unknown action", "", []string{"invoke", wasm, "dance"}, 3, "", "no action \"dance\"", true},
		{"bad input JSON", "", []string{"invoke", wasm, "greet", "-i", "{nope"}, 2, "", "--input is not valid JSON", true},
		{"bad config", "", []string{"invoke", wasm, "greet", "-c", "colour=red"}, 2, "", "colour: not a field of hello", true},
		{"missing file", "", []string{"invoke", filepath.Join(dir, "nope.wasm"), "greet"}, 1, "", "no such file", true},
		{"not wasm", "", []string{"invoke", input, "greet"}, 1, "", "not a WebAssembly module", true},
		{"wrong arity", "", []string{"invoke", wasm}, 2, "", "want NAME|FILE.wasm ACTION", true},
		{"unknown flag", "", []string{"invoke", "--frobnicate", wasm, "greet"}, 2, "", "frobnicate", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := roost(t, tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.oneLiner && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("error is not one line:\n%s", r.stderr)
			}
		})
	}

	r := roost(t, "", "invoke", "--json", wasm, "echo", "-i", `{"data":"x"}`)
	var env envelope
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &env) != nil || !env.OK || !bytes.Equal(compact(env.Result), []byte(`{"data":"x"}`)) || env.Connector != "hello" {
		t.Fatalf("json envelope: %+v", r)
	}
}

func TestUnknownCommand(t *testing.T) {
	r := roost(t, "", "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Fatalf("%+v", r)
	}
}

func TestHelpExplains(t *testing.T) {
	r := roost(t, "", "invoke", "--help")
	for _, want := range []string{"FILE.wasm ACTION", "--config", "--json", "Exit status"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("invoke --help lacks %q", want)
		}
	}
}

// TestDemo runs the README's first command: the fakes, the bundled
// connectors, organizations, mapping, a crate and its runs.
func TestDemo(t *testing.T) {
	shared := filepath.Join(home, "cache")
	os.MkdirAll(shared, 0o755)
	r := roost(t, "", "demo", "--cache", shared)
	if r.code != 0 {
		t.Fatalf("demo failed: %+v", r)
	}
	for _, want := range []string{"halopsa 1.0.0 installed and configured", "check passed", "30 organizations added",
		"pulled 40 accounts in 4 pages", "30 matched by the default rules", "save: 30 mappings", "unpacked psa-ticket-for-orgs 1.0.0",
		"✓  ticket     halopsa.create_ticket", "run 2 succeeded", "Quarterly review — "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	json.Compact(&out, b)
	return out.Bytes()
}
