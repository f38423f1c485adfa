package host

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestErrorKinds: every exported error type of host crosses the API
// typed (it is in errorKinds), and comes back as itself with its data.
func TestErrorKinds(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, k := range errorKinds {
		known[k.typ.Elem().Name()] = true
	}
	for _, f := range pkgs["host"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				name := s.(*ast.TypeSpec).Name.Name
				if ast.IsExported(name) && strings.HasSuffix(name, "Error") && name != "APIError" && !known[name] {
					t.Errorf("%s is not in errorKinds: a remote client would get it as a plain message", name)
				}
			}
		}
	}
	codes := map[string]bool{}
	for _, k := range errorKinds {
		if codes[k.code] {
			t.Errorf("code %s twice", k.code)
		}
		codes[k.code] = true
	}
}

func TestErrorRoundTrip(t *testing.T) {
	cases := []error{
		&ConfigError{Connector: "halopsa", Problems: []FieldProblem{{Field: "base_url", Problem: "is required"}}},
		fmt.Errorf("install x: %w", &NotInstalledError{Name: "x"}),
		&RefreshError{Integration: "halopsa", Page: 3, Accounts: 200, Err: &CallError{Connector: "halopsa", Op: "organizations", Code: "rate_limited", Message: "slow down", Retryable: true}},
		&LoadError{Source: "x.wasm", Err: &causeError{msg: "not a WebAssembly module: magic", sentinel: ErrNotWasm}},
		fmt.Errorf("refresh: %w", ErrRepeatedCursor),
		errors.New("plain"),
	}
	for _, want := range cases {
		got := decodeError(encodeError(want))
		if got.Error() != want.Error() {
			t.Errorf("message %q came back as %q", want.Error(), got.Error())
		}
		for e := want; e != nil; e = errors.Unwrap(e) {
			if _, typed := e.(interface{ Unwrap() error }); typed && reflect.TypeOf(e).String() == "*fmt.wrapError" {
				continue
			}
			target := reflect.New(reflect.TypeOf(e))
			if reflect.TypeOf(e).Kind() == reflect.Pointer && reflect.TypeOf(e).String() != "*errors.errorString" &&
				reflect.TypeOf(e).String() != "*host.causeError" && !errors.As(got, target.Interface()) {
				t.Errorf("%T did not come back from %v", e, want)
			}
		}
	}
	var ce *CallError
	if err := decodeError(encodeError(cases[2])); !errors.As(err, &ce) || ce.Code != "rate_limited" || !ce.Retryable {
		t.Errorf("a refresh error's cause: %#v", err)
	}
	if err := decodeError(encodeError(cases[3])); !errors.Is(err, ErrNotWasm) {
		t.Errorf("a load error's cause: %v", err)
	}
	if err := decodeError(encodeError(cases[4])); !errors.Is(err, ErrRepeatedCursor) {
		t.Errorf("a sentinel: %v", err)
	}
}
