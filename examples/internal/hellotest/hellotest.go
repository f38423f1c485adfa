// Package hellotest is the behaviour both hello connectors (Go in
// examples/hello, C in examples/hello-c) must show when loaded into a real
// host: one suite, two languages, proof that the ABI is language-neutral.
package hellotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
)

// Run loads the connector at wasmPath and checks everything a hello
// connector does. name is the manifest name it must declare.
func Run(t *testing.T, wasmPath, name string) {
	ctx := context.Background()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"healthy":true}`))
	}))
	defer api.Close()

	h, err := host.Open(ctx, host.Config{
		Home:   t.TempDir(),
		Limits: host.Limits{PoolSize: 4},
		HTTP:   host.HTTPConfig{AllowPrivateNetworks: true}, // the fake API is on loopback
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	conn, err := h.LoadFile(ctx, wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	configure := func(values map[string]any) *host.Client {
		t.Helper()
		cl, err := conn.Configure(values)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	cl := configure(map[string]any{"greeting": "Hi", "base_url": api.URL, "token": "t0ken"})

	t.Run("manifest", func(t *testing.T) {
		m := conn.Manifest()
		if m.Name != name || m.ABI != abi.Version || !m.Has(abi.CapCheck) || !m.Has(abi.CapOrganizations) {
			t.Errorf("manifest: name %q abi %q capabilities %v", m.Name, m.ABI, m.Capabilities)
		}
		for _, a := range []string{"greet", "echo", "status", "noop"} {
			if _, ok := m.Action(a); !ok {
				t.Errorf("no action %s", a)
			}
		}
		if f, ok := m.Field("token"); !ok || !f.Secret {
			t.Errorf("token field must be secret: %+v", f)
		}
	})
	t.Run("greet", func(t *testing.T) {
		expectJSON(t, call(t, cl, "greet", `{"name":"Ada"}`), `{"greeting":"Hi, Ada!"}`)
		expectJSON(t, call(t, configure(nil), "greet", `{"name":"Bo"}`), `{"greeting":"Hello, Bo!"}`)
		_, err := cl.Invoke(ctx, "greet", json.RawMessage(`{}`))
		expectCode(t, err, abi.CodeInvalidInput)
	})
	t.Run("echo", func(t *testing.T) {
		expectJSON(t, call(t, cl, "echo", `{"data":"a \"quoted\" ünïcode string"}`), `{"data":"a \"quoted\" ünïcode string"}`)
	})
	t.Run("noop", func(t *testing.T) {
		expectJSON(t, call(t, cl, "noop", `{}`), `{}`)
	})
	t.Run("unknown action", func(t *testing.T) {
		_, err := cl.Invoke(ctx, "dance", nil)
		expectCode(t, err, abi.CodeUnknownAction)
	})
	t.Run("status and check through the host", func(t *testing.T) {
		expectJSON(t, call(t, cl, "status", `{}`), `{"status":200,"body":{"healthy":true}}`)
		if res, err := cl.Check(ctx); err != nil || res.Message == "" {
			t.Errorf("check = %+v, %v", res, err)
		}
		_, err := configure(map[string]any{"base_url": api.URL, "token": "wrong"}).Check(ctx)
		expectCode(t, err, abi.CodeUnauthenticated)
	})
	t.Run("organizations", func(t *testing.T) {
		var names []string
		cursor := ""
		for pages := 1; ; pages++ {
			page, err := cl.Organizations(ctx, abi.PageRequest{Cursor: cursor, Size: 2})
			if err != nil {
				t.Fatal(err)
			}
			if pages > 3 || len(page.Accounts) == 0 || page.Total != 5 {
				t.Fatalf("page %d: %+v", pages, page)
			}
			for _, a := range page.Accounts {
				names = append(names, a.Name)
			}
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		want := []string{"Acme Corporation", "Globex LLC", "Initech GmbH", "Umbrella Ltd.", "Stark Industries"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("accounts = %v", names)
		}
	})
	t.Run("16 goroutines x 500 calls, pool of 4", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 500 {
					want := fmt.Sprintf(`{"data":"%d/%d"}`, g, i)
					out, err := cl.Invoke(ctx, "echo", json.RawMessage(want))
					if err == nil && string(out) != want {
						err = fmt.Errorf("got %s, want %s", out, want)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if s := conn.Stats(); s.Instances > 4 {
			t.Errorf("pool over its size: %+v", s)
		}
	})
}

func call(t *testing.T, cl *host.Client, action, input string) []byte {
	t.Helper()
	out, err := cl.Invoke(context.Background(), action, json.RawMessage(input))
	if err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	return out
}

func expectJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output %s is not JSON: %v", got, err)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got %s, want %s", got, want)
	}
}

func expectCode(t *testing.T, err error, code abi.Code) {
	t.Helper()
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Errorf("err = %v, want code %s", err, code)
	}
}
