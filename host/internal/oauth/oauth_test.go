package oauth

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

type fakeEndpoint struct {
	calls  atomic.Int32
	status int
	life   int
}

func (f *fakeEndpoint) post(_ context.Context, u string, form url.Values) (int, []byte, error) {
	f.calls.Add(1)
	time.Sleep(5 * time.Millisecond) // long enough for callers to pile up
	if form.Get("grant_type") != "client_credentials" || form.Get("client_secret") != "s3cret" {
		return 401, []byte(`{"error":"invalid_client"}`), nil
	}
	if f.status != 0 {
		return f.status, []byte(`{"error":"server_error"}`), nil
	}
	return 200, []byte(`{"access_token":"tok","token_type":"Bearer","expires_in":` + itoa(f.life) + `}`), nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	ep := &fakeEndpoint{life: 3600}
	c := &ClientCredentials{TokenURL: "https://x/token", ClientID: "id", Secret: "s3cret", Post: ep.post}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := c.Token(context.Background()); err != nil || tok != "tok" {
				t.Errorf("token %q, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if n := ep.calls.Load(); n != 1 {
		t.Fatalf("%d token requests for 16 concurrent callers, want 1", n)
	}
	c.Invalidate()
	c.Token(context.Background())
	if n := ep.calls.Load(); n != 2 {
		t.Fatalf("after Invalidate: %d requests, want 2", n)
	}
}

func TestTokenIsReplacedBeforeItExpires(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	ep := &fakeEndpoint{life: 120}
	c := &ClientCredentials{TokenURL: "https://x/token", ClientID: "id", Secret: "s3cret", Post: ep.post, Now: func() time.Time { return now }}
	c.Token(context.Background())
	now = now.Add(80 * time.Second) // 120 s token, replaced 30 s early
	c.Token(context.Background())
	if ep.calls.Load() != 1 {
		t.Fatal("refetched a token with 40 s left")
	}
	now = now.Add(15 * time.Second)
	c.Token(context.Background())
	if ep.calls.Load() != 2 {
		t.Fatal("kept a token 25 s before expiry")
	}
}

func TestFailedFetchCoolsDown(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	ep := &fakeEndpoint{}
	c := &ClientCredentials{TokenURL: "https://x/token?tenant=a", ClientID: "id", Secret: "wrong", Post: ep.post, Now: func() time.Time { return now }}
	_, err := c.Token(context.Background())
	var ae *abi.Error
	if !errors.As(err, &ae) || ae.Code != abi.CodeUnauthenticated {
		t.Fatalf("err = %v", err)
	}
	c.Token(context.Background())
	if ep.calls.Load() != 1 {
		t.Fatal("a failed fetch was retried at once")
	}
	now = now.Add(6 * time.Second)
	c.Token(context.Background())
	if ep.calls.Load() != 2 {
		t.Fatal("no retry after the cool-down")
	}
	ep2 := &fakeEndpoint{status: 503}
	c2 := &ClientCredentials{TokenURL: "https://x/token", ClientID: "id", Secret: "s3cret", Post: ep2.post}
	if _, err := c2.Token(context.Background()); !errors.As(err, &ae) || ae.Code != abi.CodeUnavailable {
		t.Fatalf("503: %v", err)
	}
}
