package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/roosthq/roost/sdk/sdktest"
)

func TestRun(t *testing.T) {
	wasm := sdktest.Build(t, "../hello")
	var out bytes.Buffer
	if err := run(context.Background(), []string{wasm, "Ada", "Grace", "Linus"}, &out); err != nil {
		t.Fatal(err)
	}
	want := "loaded hello 0.1.0 (Other)\nHello, Ada!\nHello, Grace!\nHello, Linus!\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunRefusesNonWasm(t *testing.T) {
	err := run(context.Background(), []string{"main.go", "x"}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("loaded a Go source file as a connector")
	}
}
