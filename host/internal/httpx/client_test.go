package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

func allow(t *testing.T, rawURL string) abi.HostPattern {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := abi.ParseHostPattern(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func code(err error) abi.Code {
	var e *abi.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAllowedHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Key", r.Header.Get("X-Api-Key"))
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := New(Options{})
	defer c.Close()
	p := &Policy{Hosts: []abi.HostPattern{allow(t, srv.URL)}, AllowPrivate: true,
		Auth: func(_ context.Context, r *abi.HTTPRequest) error {
			r.Header = map[string][]string{"X-Api-Key": {"s3cret"}}
			return nil
		}}
	resp, body, err := c.Do(context.Background(), p, &abi.HTTPRequest{Method: "GET", URL: srv.URL + "/x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(body) != `{"ok":true}` {
		t.Fatalf("got %d %s", resp.Status, body)
	}
	if got := resp.Header["X-Seen-Key"]; len(got) != 1 || got[0] != "s3cret" {
		t.Errorf("credential not injected: %v", got)
	}
}

func TestRefusals(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("you should not see this"))
	}))
	defer other.Close()
	otherURL, _ := url.Parse(other.URL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			// Same address, other name: a different host as far as the allow-list goes.
			http.Redirect(w, r, "http://localhost:"+otherURL.Port()+"/", http.StatusFound)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	srvURL, _ := url.Parse(srv.URL)
	c := New(Options{MaxResponseBytes: 1024})
	defer c.Close()
	ctx := context.Background()
	private := &Policy{Hosts: []abi.HostPattern{allow(t, srv.URL)}, AllowPrivate: true}

	t.Run("host not declared", func(t *testing.T) {
		_, _, err := c.Do(ctx, private, &abi.HTTPRequest{URL: other.URL}, nil)
		if code(err) != abi.CodePermissionDenied || !strings.Contains(err.Error(), "not allowed") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("redirect to another host", func(t *testing.T) {
		_, _, err := c.Do(ctx, private, &abi.HTTPRequest{URL: srv.URL + "/redirect"}, nil)
		if code(err) != abi.CodePermissionDenied || !strings.Contains(err.Error(), "redirect") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("name resolving to loopback", func(t *testing.T) {
		p, _ := abi.ParseHostPattern("localhost:" + srvURL.Port())
		public := &Policy{Hosts: []abi.HostPattern{p}}
		_, _, err := c.Do(ctx, public, &abi.HTTPRequest{URL: "http://localhost:" + srvURL.Port() + "/"}, nil)
		if code(err) != abi.CodePermissionDenied || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("response over the cap", func(t *testing.T) {
		_, _, err := c.Do(ctx, private, &abi.HTTPRequest{URL: srv.URL + "/big"}, nil)
		if code(err) != abi.CodeTooLarge || !strings.Contains(err.Error(), "cut off") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("scheme", func(t *testing.T) {
		_, _, err := c.Do(ctx, private, &abi.HTTPRequest{URL: "file:///etc/passwd"}, nil)
		if code(err) != abi.CodeInvalidInput {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := New(Options{})
	defer c.Close()
	p := &Policy{Hosts: []abi.HostPattern{allow(t, srv.URL)}, AllowPrivate: true}

	start := time.Now()
	resp, _, err := c.Do(context.Background(), p, &abi.HTTPRequest{Method: "GET", URL: srv.URL}, nil)
	if err != nil || resp.Status != 200 {
		t.Fatalf("GET: %v %+v", err, resp)
	}
	if calls.Load() != 2 {
		t.Errorf("calls = %d, want 2", calls.Load())
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", waited)
	}

	calls.Store(0)
	resp, _, err = c.Do(context.Background(), p, &abi.HTTPRequest{Method: "POST", URL: srv.URL}, nil)
	if err != nil || resp.Status != http.StatusTooManyRequests || calls.Load() != 1 {
		t.Fatalf("POST must not be retried: %v %+v calls=%d", err, resp, calls.Load())
	}
}

func TestRetryAfterParsing(t *testing.T) {
	if got := retryAfter("3"); got != 3*time.Second {
		t.Errorf("seconds: %v", got)
	}
	if got := retryAfter(time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)); got <= 0 || got > 2*time.Second {
		t.Errorf("date: %v", got)
	}
	if got := retryAfter("soon"); got != 0 {
		t.Errorf("junk: %v", got)
	}
}
