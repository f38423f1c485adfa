package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/sdktest"
)

// These tests run the connector natively through sdktest: fast, and with
// Go's debugger and coverage.

func TestGreet(t *testing.T) {
	h := sdktest.New(t, &Connector, sdktest.Config{"greeting": "Hi"})
	var out GreetOutput
	if err := h.Invoke("greet", GreetInput{Name: "Ada"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Greeting != "Hi, Ada!" {
		t.Errorf("greeting = %q", out.Greeting)
	}
	if logs := h.Logs(); len(logs) != 1 || logs[0].Attrs["name"] != "Ada" {
		t.Errorf("logs = %+v", logs)
	}
	err := h.Invoke("greet", GreetInput{}, &out)
	if e, ok := sdk.AsError(err); !ok || e.Code != sdk.CodeInvalidInput {
		t.Errorf("empty name: %v", err)
	}
}

func TestStatusInjectsToken(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer api.Close()
	h := sdktest.New(t, &Connector, sdktest.Config{"base_url": api.URL, "token": "s3cret"})
	var out StatusOutput
	if err := h.Invoke("status", struct{}{}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Body["ok"] != true {
		t.Errorf("body = %v", out.Body)
	}
	h.SetConfig(sdktest.Config{"base_url": api.URL, "token": "wrong"})
	_, err := h.Check()
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != sdk.CodeUnauthenticated {
		t.Errorf("check with a wrong token: %v", err)
	}
}

func TestOrganizations(t *testing.T) {
	h := sdktest.New(t, &Connector, nil)
	accounts, err := h.Organizations(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 5 || accounts[4].Name != "Stark Industries" {
		t.Errorf("accounts = %+v", accounts)
	}
}
