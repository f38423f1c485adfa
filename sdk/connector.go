package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"

	"github.com/roosthq/roost/sdk/abi"
)

// Connector is everything a connector says and does. Declare one as a
// package variable and pass it to Serve from init.
type Connector struct {
	Name        string
	Version     string
	Category    Category
	Description string
	Tags        []string
	Homepage    string

	// Config is the schema of a configuration. Secret fields are never
	// given to the connector; Auth says how the host uses them.
	Config []Field
	Auth   *Auth
	// Hosts are the outbound hosts the connector may reach (see
	// abi.Manifest.Hosts), for example "{config.base_url}".
	Hosts []string

	Actions []Action

	// Organizations, if set, lists one page of the tool's customer
	// accounts; it gives the connector the "organizations" capability.
	Organizations func(ctx context.Context, page PageRequest) (OrganizationPage, error)
	// Check, if set, tests a configuration, for example by fetching one
	// page; it gives the connector the "check" capability.
	Check func(ctx context.Context) (CheckResult, error)
}

// Action is one operation of a connector, made by NewAction.
type Action struct {
	name, description string
	input, output     json.RawMessage
	run               func(ctx context.Context, input []byte) ([]byte, error)
}

// Name returns the action's name.
func (a Action) Name() string { return a.name }

// NewAction makes a typed action. In and Out are JSON-encoded structs; the
// manifest's input and output schemas are derived from them (field
// descriptions come from a `desc:"…"` tag). An input that does not decode
// into In is refused with CodeInvalidInput before fn runs.
func NewAction[In, Out any](name, description string, fn func(ctx context.Context, in In) (Out, error)) Action {
	inType := reflect.TypeFor[In]()
	outType := reflect.TypeFor[Out]()
	outEmpty := outType.Kind() == reflect.Struct && outType.NumField() == 0
	return Action{
		name:        name,
		description: description,
		input:       schemaOf(inType),
		output:      schemaOf(outType),
		run: func(ctx context.Context, input []byte) ([]byte, error) {
			var in In
			if !isEmptyInput(input) {
				if err := json.Unmarshal(input, &in); err != nil {
					return nil, Errorf(abi.CodeInvalidInput, "action %s: input: %v", name, err)
				}
			}
			out, err := fn(ctx, in)
			if err != nil {
				return nil, err
			}
			if outEmpty {
				return emptyObject, nil
			}
			return json.Marshal(out)
		},
	}
}

// NewRawAction makes an action that takes and returns raw JSON, for
// connectors that pass data through without a Go type for it (the generic
// REST connector, proxies). input and output are JSON Schemas for the
// manifest; nil means any object. fn must return valid JSON and must not
// keep input after it returns (the buffer is reused).
func NewRawAction(name, description string, input, output json.RawMessage, fn func(ctx context.Context, in []byte) ([]byte, error)) Action {
	if input == nil {
		input = json.RawMessage(`{"type":"object"}`)
	}
	if output == nil {
		output = json.RawMessage(`{"type":"object"}`)
	}
	return Action{name: name, description: description, input: input, output: output, run: fn}
}

// emptyObject is the encoding of every field-less struct, shared because
// outputs are only read (the host copies them at once).
var emptyObject = []byte("{}")

func isEmptyInput(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "{}" || string(b) == "null"
}

// Manifest returns the manifest the connector describes itself with.
func (c *Connector) Manifest() *Manifest {
	m := &abi.Manifest{
		ABI:         abi.Version,
		Name:        c.Name,
		Version:     c.Version,
		Category:    c.Category,
		Description: c.Description,
		Tags:        c.Tags,
		Homepage:    c.Homepage,
		Config:      c.Config,
		Auth:        c.Auth,
		Hosts:       c.Hosts,
		Actions:     make([]abi.Action, 0, len(c.Actions)),
	}
	for _, a := range c.Actions {
		m.Actions = append(m.Actions, abi.Action{Name: a.name, Description: a.description, Input: a.input, Output: a.output})
	}
	if c.Check != nil {
		m.Capabilities = append(m.Capabilities, abi.CapCheck)
	}
	if c.Organizations != nil {
		m.Capabilities = append(m.Capabilities, abi.CapOrganizations)
	}
	return m
}

// Handle runs one call of the connector against host h and returns the
// JSON result or a structured error. The WebAssembly glue calls it for
// every roost_handle; package sdktest calls it natively. A panic in the
// connector is recovered into a CodePanic error.
func (c *Connector) Handle(ctx context.Context, h Host, op abi.Op, name string, input []byte) (out []byte, failure *abi.Error) {
	return c.handle(context.WithValue(ctx, hostKey{}, h), op, []byte(name), input)
}

// handle is Handle with the host already in ctx and the name as bytes, so
// the WebAssembly glue can call it without allocating.
func (c *Connector) handle(ctx context.Context, op abi.Op, name, input []byte) (out []byte, failure *abi.Error) {
	defer func() {
		if r := recover(); r != nil {
			stack := debug.Stack()
			Log(ctx).Error("connector panicked", "panic", fmt.Sprint(r), "stack", string(stack))
			out, failure = nil, &abi.Error{Code: abi.CodePanic, Message: fmt.Sprintf("%s %s panicked: %v", op, name, r)}
		}
	}()
	var err error
	switch op {
	case abi.OpAction:
		out, err = c.runAction(ctx, name, input)
	case abi.OpCheck:
		if c.Check == nil {
			return nil, &abi.Error{Code: abi.CodeNotImplemented, Message: "connector has no check"}
		}
		var res CheckResult
		if res, err = c.Check(ctx); err == nil {
			out, err = json.Marshal(res)
		}
	case abi.OpOrganizations:
		if c.Organizations == nil {
			return nil, &abi.Error{Code: abi.CodeNotImplemented, Message: "connector has no organizations capability"}
		}
		var req PageRequest
		if !isEmptyInput(input) {
			if err := json.Unmarshal(input, &req); err != nil {
				return nil, &abi.Error{Code: abi.CodeInvalidInput, Message: "page request: " + err.Error()}
			}
		}
		var page OrganizationPage
		if page, err = c.Organizations(ctx, req); err == nil {
			if page.Accounts == nil {
				page.Accounts = []Account{}
			}
			out, err = json.Marshal(page)
		}
	default:
		return nil, &abi.Error{Code: abi.CodeNotImplemented, Message: fmt.Sprintf("unknown operation %d", uint32(op))}
	}
	if err != nil {
		return nil, toWire(err)
	}
	return out, nil
}

func (c *Connector) runAction(ctx context.Context, name, input []byte) ([]byte, error) {
	found := -1
	for i := range c.Actions {
		if c.Actions[i].name == string(name) { // no allocation: compiler-optimised comparison
			found = i
			break
		}
	}
	if found < 0 {
		return nil, unknownAction(c.Name, name)
	}
	return c.Actions[found].run(ctx, input)
}

func unknownAction(connector string, name []byte) error {
	return &abi.Error{Code: abi.CodeUnknownAction, Message: fmt.Sprintf("connector %s has no action %q", connector, name)}
}

// served is the connector this module exports; the WebAssembly exports
// read it. A module is one connector, so this is the one piece of global
// state the SDK keeps.
var served *Connector

// Serve makes c the connector this module exports. Call it from an init
// function: a WASI reactor runs init functions but never main.
func Serve(c *Connector) { served = c }

type hostKey struct{}

func hostOf(ctx context.Context) Host {
	if h, ok := ctx.Value(hostKey{}).(Host); ok {
		return h
	}
	return noHost{}
}

// Log returns a logger whose records go to the host's log, tagged with the
// connector and call. Attribute values must be JSON-encodable.
func Log(ctx context.Context) *slog.Logger {
	return slog.New(&logHandler{host: hostOf(ctx)})
}

// DecodeConfig decodes the call's configuration (without secret fields)
// into v, typically a pointer to a struct with json tags.
func DecodeConfig(ctx context.Context, v any) error {
	raw := hostOf(ctx).Config()
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return Errorf(abi.CodeInvalidInput, "configuration: %v", err)
	}
	return nil
}
