package configschema

import (
	"strings"
	"testing"

	"github.com/roosthq/roost/sdk/abi"
)

var manifest = &abi.Manifest{
	Name: "acme",
	Config: []abi.Field{
		{Name: "base_url", Type: abi.TypeURL, Required: true},
		{Name: "token", Type: abi.TypeString, Required: true, Secret: true},
		{Name: "page_size", Type: abi.TypeInteger, Default: 50},
		{Name: "region", Type: abi.TypeString, Enum: []any{"eu", "us"}},
		{Name: "verbose", Type: abi.TypeBoolean},
	},
}

func problems(t *testing.T, values map[string]any) map[string]string {
	t.Helper()
	v, err := Compile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range v.Validate(values) {
		out[p.Field] = p.Problem
	}
	return out
}

func TestValidConfiguration(t *testing.T) {
	got := problems(t, map[string]any{"base_url": "https://acme.example", "token": "s3cret", "page_size": 100.0, "region": "eu", "verbose": true})
	if len(got) != 0 {
		t.Fatalf("valid configuration rejected: %v", got)
	}
}

func TestEveryProblemIsNamedByField(t *testing.T) {
	got := problems(t, map[string]any{"base_url": "ftp://x", "page_size": 2.5, "region": "mars", "verbose": "yes", "colour": "red"})
	want := map[string]string{
		"base_url":  "not an http(s) URL",
		"token":     "required",
		"page_size": "want integer",
		"region":    "mars is not one of eu, us",
		"verbose":   "want boolean",
		"colour":    "not a field of acme",
	}
	for field, sub := range want {
		if !strings.Contains(got[field], sub) {
			t.Errorf("%s: problem %q, want it to say %q", field, got[field], sub)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems %v, want exactly the fields %v", got, want)
	}
}

func TestSecretValueNeverInProblem(t *testing.T) {
	m := &abi.Manifest{Name: "acme", Config: []abi.Field{{Name: "token", Type: abi.TypeString, Secret: true, Enum: []any{"a"}}}}
	v, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Validate(map[string]any{"token": "hunter2-secret"}) {
		if strings.Contains(p.Problem, "hunter2") {
			t.Errorf("problem %q repeats the secret", p.Problem)
		}
	}
	if len(v.Validate(map[string]any{"token": 5})) != 1 {
		t.Error("a number for a string secret was accepted")
	}
}
