package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
)

func TestGuestHTTPThroughHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/status" && r.Header.Get("Authorization") == "Bearer t0ken":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"healthy":true}`))
		case r.URL.Path == "/status":
			http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
		case r.URL.Path == "/key":
			w.Write([]byte(r.Header.Get("X-Api-Key")))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	h := openHost(t, host.Config{HTTP: host.HTTPConfig{AllowPrivateNetworks: true}})
	hello := load(t, h, helloWasm(t))
	cl := configure(t, hello, map[string]any{"base_url": srv.URL, "token": "t0ken"})

	if got := invoke(t, cl, "status", `{}`); got != `{"status":200,"body":{"healthy":true}}` {
		t.Errorf("status = %s", got)
	}
	res, err := cl.Check(context.Background())
	if err != nil || res.Message == "" {
		t.Errorf("check = %+v, %v", res, err)
	}

	// A wrong token: the tool's 401 becomes the connector's unauthenticated error.
	bad := configure(t, hello, map[string]any{"base_url": srv.URL, "token": "wrong"})
	_, err = bad.Check(context.Background())
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != abi.CodeUnauthenticated || ce.Fault != "" {
		t.Errorf("check with a bad token = %v", err)
	}

	// The guest reaches only declared hosts, and never sees secrets.
	faulty := configure(t, load(t, h, faultyWasm(t)), map[string]any{"base_url": srv.URL, "token": "k3y"})
	if got := invoke(t, faulty, "fetch", `{"data":"`+srv.URL+`/key"}`); !strings.Contains(got, `"body":"k3y"`) {
		t.Errorf("fetch = %s; the host should inject X-Api-Key", got)
	}
	_, err = faulty.Invoke(context.Background(), "fetch", json.RawMessage(`{"data":"http://example.com/"}`))
	if !errors.As(err, &ce) || ce.Code != abi.CodePermissionDenied {
		t.Errorf("fetch of an undeclared host = %v", err)
	}
	if got := invoke(t, faulty, "config", `{}`); strings.Contains(got, "k3y") || !strings.Contains(got, srv.URL) {
		t.Errorf("guest config = %s; want base_url and no secret", got)
	}
}

func TestGuestHTTPRefusesLoopbackByDefault(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	h := openHost(t, host.Config{}) // AllowPrivateNetworks off
	cl := configure(t, load(t, h, helloWasm(t)), map[string]any{"base_url": srv.URL, "token": "t"})
	_, err := cl.Invoke(context.Background(), "status", nil)
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != abi.CodePermissionDenied || !strings.Contains(ce.Message, "loopback") {
		t.Fatalf("err = %v, want permission_denied naming loopback", err)
	}
}

func TestGuestKV(t *testing.T) {
	h := openHost(t, host.Config{})
	conn := load(t, h, faultyWasm(t))
	if got := invoke(t, configure(t, conn, nil), "kv", `{"data":"v1"}`); got != `{"data":"v1"}` {
		t.Errorf("kv = %s", got)
	}
}
