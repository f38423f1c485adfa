package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/sdktest"
)

type Ticket struct {
	ID       int               `json:"id"`
	Summary  string            `json:"summary" desc:"One line."`
	Tags     []string          `json:"tags,omitempty"`
	Due      *time.Time        `json:"due"`
	Extra    map[string]string `json:"extra,omitempty"`
	Parent   *Ticket           `json:"parent,omitempty"`
	internal int
}

var conn = sdk.Connector{
	Name: "t", Version: "1.0.0", Category: sdk.CategoryPSA, Description: "test",
	Actions: []sdk.Action{
		sdk.NewAction("get", "Gets a ticket.", func(_ context.Context, in Ticket) (Ticket, error) { return in, nil }),
		sdk.NewAction("boom", "Panics.", func(context.Context, struct{}) (struct{}, error) { panic("kaboom") }),
		sdk.NewAction("plain", "Plain error.", func(context.Context, struct{}) (struct{}, error) { return struct{}{}, errors.New("oops") }),
	},
}

func TestSchemaFromTypes(t *testing.T) {
	m := conn.Manifest()
	a, _ := m.Action("get")
	var s map[string]any
	if err := json.Unmarshal(a.Input, &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	if props["id"].(map[string]any)["type"] != "integer" ||
		props["summary"].(map[string]any)["description"] != "One line." ||
		props["tags"].(map[string]any)["type"] != "array" ||
		props["due"].(map[string]any)["format"] != "date-time" ||
		props["parent"].(map[string]any)["type"] != "object" {
		t.Errorf("schema = %s", a.Input)
	}
	if _, ok := props["internal"]; ok {
		t.Error("unexported field in schema")
	}
	if got := s["required"]; !reflect.DeepEqual(got, []any{"id", "summary"}) {
		t.Errorf("required = %v", got)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestHandleErrors(t *testing.T) {
	h := sdktest.New(t, &conn, nil)
	_, err := h.InvokeRaw("boom", nil)
	if e, ok := sdk.AsError(err); !ok || e.Code != abi.CodePanic {
		t.Errorf("panic: %v", err)
	}
	_, err = h.InvokeRaw("plain", nil)
	if e, ok := sdk.AsError(err); !ok || e.Code != abi.CodeInternal || e.Message != "oops" {
		t.Errorf("plain error: %v", err)
	}
	_, err = h.InvokeRaw("nope", nil)
	if e, ok := sdk.AsError(err); !ok || e.Code != abi.CodeUnknownAction {
		t.Errorf("unknown: %v", err)
	}
	_, err = h.InvokeRaw("get", []byte(`{"id":"x"}`))
	if e, ok := sdk.AsError(err); !ok || e.Code != abi.CodeInvalidInput {
		t.Errorf("bad input: %v", err)
	}
	_, err = h.Check()
	if e, ok := sdk.AsError(err); !ok || e.Code != abi.CodeNotImplemented {
		t.Errorf("check without capability: %v", err)
	}
}

func TestHeader(t *testing.T) {
	h := sdk.Header{}
	h.Set("content-type", "a")
	h.Add("X-REQUEST-id", "1")
	if h.Get("Content-Type") != "a" || h["X-Request-Id"][0] != "1" {
		t.Errorf("header = %v", h)
	}
}
