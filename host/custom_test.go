package host_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/rest"
)

// fakeAPI is a local REST API with one endpoint per pagination kind and
// every auth kind, recording what it was sent.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	tokens   atomic.Int32 // tokens issued
	valid    sync.Map     // token → expiry
	hits429  atomic.Int32
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	items := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"id": i + 1, "name": fmt.Sprintf("Company %d", i+1), "site": fmt.Sprintf("c%d.example", i+1)}
		}
		return out
	}
	all := items(23)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		var id, secret string
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var body map[string]string
			json.NewDecoder(r.Body).Decode(&body)
			id, secret = body["client_id"], body["client_secret"]
		} else {
			r.ParseForm()
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if id != "cid" || secret != "csecret" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		tok := fmt.Sprintf("tok-%d", f.tokens.Add(1))
		f.valid.Store(tok, time.Now().Add(time.Hour))
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"token": tok}, "access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"authorization": r.Header.Get("Authorization"), "key": r.Header.Get("X-Key") + r.URL.Query().Get("key")})
	})
	mux.HandleFunc("GET /protected", func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if exp, ok := f.valid.Load(tok); !ok || time.Now().After(exp.(time.Time)) {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("GET /pages", func(w http.ResponseWriter, r *http.Request) { // page number, data under "data"
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		lo := min((page-1)*per, len(all))
		json.NewEncoder(w).Encode(map[string]any{"data": all[lo:min(lo+per, len(all))]})
	})
	mux.HandleFunc("GET /offsets", func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		lo := min(off, len(all))
		json.NewEncoder(w).Encode(all[lo:min(lo+lim, len(all))])
	})
	mux.HandleFunc("GET /links", func(w http.ResponseWriter, r *http.Request) { // Link header
		p, _ := strconv.Atoi(r.URL.Query().Get("p"))
		if p == 0 {
			p = 1
		}
		if p*10 < len(all) {
			w.Header().Set("Link", fmt.Sprintf(`</links?p=%d>; rel="next"`, p+1))
		}
		json.NewEncoder(w).Encode(all[(p-1)*10 : min(p*10, len(all))])
	})
	mux.HandleFunc("GET /nexturl", func(w http.ResponseWriter, r *http.Request) { // next URL in the body
		p, _ := strconv.Atoi(r.URL.Query().Get("p"))
		if p == 0 {
			p = 1
		}
		next := ""
		if p*10 < len(all) {
			next = fmt.Sprintf("http://%s/nexturl?p=%d", r.Host, p+1)
		}
		json.NewEncoder(w).Encode(map[string]any{"items": all[(p-1)*10 : min(p*10, len(all))], "next": next})
	})
	mux.HandleFunc("GET /cursor", func(w http.ResponseWriter, r *http.Request) {
		c, _ := strconv.Atoi(r.URL.Query().Get("after"))
		end := min(c+10, len(all))
		meta := map[string]any{"next_cursor": nil}
		if end < len(all) {
			meta["next_cursor"] = strconv.Itoa(end)
		}
		json.NewEncoder(w).Encode(map[string]any{"items": all[c:end], "meta": meta})
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"items": all[:2], "meta": map[string]any{"next_cursor": "same"}})
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		if f.hits429.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	})
	mux.HandleFunc("POST /tickets/{company}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"company":%q,"priority":%q,"trace":%q,"received":%s}`, r.PathValue("company"), r.URL.Query().Get("priority"), r.Header.Get("X-Trace"), b)
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(context.Background()))
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func intp(n int) *int { return &n }

func apiDefinition(name string, auth rest.Auth) *rest.Definition {
	return &rest.Definition{Name: name, Description: "A test API", Auth: auth, Headers: map[string]string{"X-Client": "roost"},
		Endpoints: []rest.Endpoint{
			{Name: "whoami", Method: "GET", Path: "/whoami"},
			{Name: "protected", Method: "GET", Path: "/protected"},
			{Name: "busy", Method: "GET", Path: "/busy"},
			{Name: "by_page", Method: "GET", Path: "/pages", ResultsKey: "data",
				Pagination: &rest.Pagination{Kind: rest.PageNumber, PageParam: "page", SizeParam: "per_page", PageSize: 5}},
			{Name: "by_offset", Method: "GET", Path: "/offsets",
				Pagination: &rest.Pagination{Kind: rest.PageOffset, PageParam: "offset", SizeParam: "limit", PageSize: 7}},
			{Name: "by_link", Method: "GET", Path: "/links", Pagination: &rest.Pagination{Kind: rest.PageLink}},
			{Name: "by_next_url", Method: "GET", Path: "/nexturl", ResultsKey: "items",
				Pagination: &rest.Pagination{Kind: rest.PageLink, NextPath: "next"}},
			{Name: "by_cursor", Method: "GET", Path: "/cursor", ResultsKey: "items",
				Pagination:    &rest.Pagination{Kind: rest.PageCursor, NextPath: "meta.next_cursor", CursorParam: "after"},
				Organizations: &rest.OrgFields{Domain: "site"}},
			{Name: "loop", Method: "GET", Path: "/loop", ResultsKey: "items",
				Pagination: &rest.Pagination{Kind: rest.PageCursor, NextPath: "meta.next_cursor", CursorParam: "after"}},
			{Name: "create_ticket", Method: "POST", Path: "/tickets/{company}",
				Params: []rest.Param{{Name: "company", In: "path", Required: true}, {Name: "priority", In: "query"}, {Name: "X-Trace", In: "header"}},
				Body:   json.RawMessage(`{"type":"object","properties":{"summary":{"type":"string"}}}`), BodyRequired: true},
		}}
}

func installAPI(t *testing.T, h *host.Host, def *rest.Definition, set map[string]any, secrets map[string]string) *host.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := h.Integrations().InstallCustom(ctx, def, "test"); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := h.Integrations().Configure(ctx, def.Name, host.ConfigureInput{Config: "default", Set: set, Secrets: secrets,
		AllowPrivateNetworks: &yes, SkipCheck: true}); err != nil {
		t.Fatal(err)
	}
	cl, err := h.Client(ctx, def.Name, "")
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestCustomIntegrationAuthKinds(t *testing.T) {
	ctx := context.Background()
	api := newFakeAPI(t)
	h := openBundled(t, newHome(t))
	base := map[string]any{"base_url": api.URL}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{"base_url": api.URL}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name    string
		auth    rest.Auth
		set     map[string]any
		secrets map[string]string
		want    string
	}{
		{"api-key-header", rest.Auth{Kind: rest.AuthAPIKey, Name: "X-Key"}, base, map[string]string{"api_key": "k1"}, `"key":"k1"`},
		{"api-key-query", rest.Auth{Kind: rest.AuthAPIKey, In: "query", Name: "key"}, base, map[string]string{"api_key": "k2"}, `"key":"k2"`},
		{"api-key-prefix", rest.Auth{Kind: rest.AuthAPIKey, Name: "Authorization", Prefix: "Token "}, base, map[string]string{"api_key": "k3"}, `"authorization":"Token k3"`},
		{"basic", rest.Auth{Kind: rest.AuthBasic}, with(map[string]any{"username": "ada"}), map[string]string{"password": "pw"},
			`"authorization":"Basic ` + base64.StdEncoding.EncodeToString([]byte("ada:pw")) + `"`},
		{"bearer", rest.Auth{Kind: rest.AuthBearer}, base, map[string]string{"token": "t0k"}, `"authorization":"Bearer t0k"`},
		{"oauth-form", rest.Auth{Kind: rest.AuthClientCredentials, TokenURL: api.URL + "/oauth/token"}, with(map[string]any{"client_id": "cid"}),
			map[string]string{"client_secret": "csecret"}, `"authorization":"Bearer tok-`},
		{"oauth-json", rest.Auth{Kind: rest.AuthClientCredentials, TokenURL: api.URL + "/oauth/token", TokenRequest: "json", TokenPath: "data.token"},
			with(map[string]any{"client_id": "cid"}), map[string]string{"client_secret": "csecret"}, `"authorization":"Bearer tok-`},
		{"none", rest.Auth{Kind: rest.AuthNone}, base, nil, `"authorization":""`},
	} {
		cl := installAPI(t, h, apiDefinition(c.name, c.auth), c.set, c.secrets)
		out, err := cl.Invoke(ctx, "whoami", nil)
		if err != nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %s %v (want %s)", c.name, out, err, c.want)
		}
	}
	// A token revoked by the tool: the 401 fetches a new one, once.
	cl, _ := h.Client(ctx, "oauth-form", "")
	if _, err := cl.Invoke(ctx, "protected", nil); err != nil {
		t.Fatal(err)
	}
	before := api.tokens.Load()
	api.valid.Range(func(k, _ any) bool { api.valid.Delete(k); return true })
	if out, err := cl.Invoke(ctx, "protected", nil); err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("after revocation: %s %v", out, err)
	}
	if api.tokens.Load() != before+1 {
		t.Errorf("%d tokens fetched after a 401, want 1", api.tokens.Load()-before)
	}
	// A wrong client secret says so.
	bad := installAPI(t, h, apiDefinition("oauth-bad", rest.Auth{Kind: rest.AuthClientCredentials, TokenURL: api.URL + "/oauth/token"}),
		with(map[string]any{"client_id": "cid"}), map[string]string{"client_secret": "nope"})
	_, err := bad.Invoke(ctx, "whoami", nil)
	var ce *host.CallError
	if !errors.As(err, &ce) || ce.Code != abi.CodeUnauthenticated || !strings.Contains(ce.Message, "invalid_client") {
		t.Errorf("bad secret: %v", err)
	}
}

func TestCustomIntegrationPaginationAndRequests(t *testing.T) {
	ctx := context.Background()
	api := newFakeAPI(t)
	h := openBundled(t, newHome(t))
	cl := installAPI(t, h, apiDefinition("paged", rest.Auth{Kind: rest.AuthNone}), map[string]any{"base_url": api.URL}, nil)
	for _, action := range []string{"by_page", "by_offset", "by_link", "by_next_url", "by_cursor"} {
		out, err := cl.Invoke(ctx, action, nil)
		var got []map[string]any
		if err == nil {
			err = json.Unmarshal(out, &got)
		}
		if err != nil || len(got) != 23 || got[22]["name"] != "Company 23" {
			t.Errorf("%s: %d items, %v", action, len(got), err)
		}
	}
	_, err := cl.Invoke(ctx, "loop", nil)
	if err == nil || !strings.Contains(err.Error(), "already sent") {
		t.Errorf("a looping cursor: %v", err)
	}
	// 429 with Retry-After: waited out, then answered.
	start := time.Now()
	if out, err := cl.Invoke(ctx, "busy", nil); err != nil || string(out) != `{"ok":true}` || time.Since(start) < time.Second {
		t.Errorf("429: %s %v after %v", out, err, time.Since(start))
	}
	// Path, query, header parameters and a JSON body.
	out, err := cl.Invoke(ctx, "create_ticket", json.RawMessage(`{"company":"acme co","priority":"high","X-Trace":"t-1","body":{"summary":"Disk full"}}`))
	if err != nil || string(out) != `{"company":"acme co","priority":"high","trace":"t-1","received":{"summary":"Disk full"}}` {
		t.Errorf("create_ticket: %s %v", out, err)
	}
	last := api.requests[len(api.requests)-1]
	if last.URL.EscapedPath() != "/tickets/acme%20co" || last.Header.Get("X-Client") != "roost" || last.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request: %s %v", last.URL, last.Header)
	}
	for _, bad := range []string{`{"priority":"high","body":{}}`, `{"company":"x"}`, `{"company":"x","body":{},"colour":"red"}`} {
		if _, err := cl.Invoke(ctx, "create_ticket", json.RawMessage(bad)); err == nil || !strings.Contains(err.Error(), "invalid_input") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	// The endpoint marked as organizations source feeds mapping.
	res, err := h.Mappings().Refresh(ctx, "paged", host.RefreshOptions{PageSize: 10})
	if err != nil || res.Accounts != 23 || res.Pages != 3 {
		t.Fatalf("refresh through the custom integration: %+v %v", res, err)
	}
	opts, _ := h.Mappings().Options(ctx, "paged")
	if opts.Accounts[0].Name != "Company 1" || opts.Accounts[0].Domains[0] != "c1.example" {
		t.Errorf("accounts: %+v", opts.Accounts[0])
	}
}

func TestCustomIntegrationRateLimit(t *testing.T) {
	ctx := context.Background()
	api := newFakeAPI(t)
	h := openBundled(t, newHome(t))
	def := apiDefinition("limited", rest.Auth{Kind: rest.AuthNone})
	def.RateLimit = 20
	cl := installAPI(t, h, def, map[string]any{"base_url": api.URL}, nil)
	start := time.Now()
	for range 11 {
		if _, err := cl.Invoke(ctx, "whoami", nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("11 calls at 20/s took %v, want ≥ 500ms", d)
	}
}

// BenchmarkCustomCallOverhead is the figure: one custom action
// (a GET through the host and the REST connector) against the bare HTTP
// round trip to the same local server. The overhead is the difference.
func BenchmarkCustomCallOverhead(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":7,"name":"Company 7","status":"active"}`)
	}))
	defer api.Close()
	ctx := context.Background()
	b.Run("bare-http", func(b *testing.B) {
		client := &http.Client{}
		for range b.N {
			resp, err := client.Get(api.URL + "/companies/7")
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("custom-action", func(b *testing.B) {
		h := openBundled(b, b.TempDir())
		def := &rest.Definition{Name: "bench", Auth: rest.Auth{Kind: rest.AuthBearer}, Endpoints: []rest.Endpoint{
			{Name: "get_company", Method: "GET", Path: "/companies/{id}", Params: []rest.Param{{Name: "id", In: "path", Required: true}}}}}
		if _, err := h.Integrations().InstallCustom(ctx, def, "bench"); err != nil {
			b.Fatal(err)
		}
		yes := true
		if _, err := h.Integrations().Configure(ctx, "bench", host.ConfigureInput{Config: "default", AllowPrivateNetworks: &yes, SkipCheck: true,
			Set: map[string]any{"base_url": api.URL}, Secrets: map[string]string{"token": "t"}}); err != nil {
			b.Fatal(err)
		}
		cl, err := h.Client(ctx, "bench", "")
		if err != nil {
			b.Fatal(err)
		}
		in := json.RawMessage(`{"id":7}`)
		b.ResetTimer()
		for range b.N {
			if _, err := cl.Invoke(ctx, "get_company", in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestAuthorizationCodeWithPKCE signs a custom integration in through a
// fake authorization server: PKCE S256, state, loopback redirect, code
// exchange, then refresh-token grants (with rotation) on each new client.
func TestAuthorizationCodeWithPKCE(t *testing.T) {
	ctx := context.Background()
	var (
		mu        sync.Mutex
		challenge string
		refresh   = "rt-1"
		access    = map[string]bool{}
		n         int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/authorize":
			q := r.URL.Query()
			if q.Get("response_type") != "code" || q.Get("client_id") != "app" || q.Get("code_challenge_method") != "S256" || q.Get("scope") != "offline tickets" {
				http.Error(w, "bad authorize request "+r.URL.RawQuery, 400)
				return
			}
			challenge = q.Get("code_challenge")
			http.Redirect(w, r, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
		case "/token":
			r.ParseForm()
			f := r.PostForm
			switch f.Get("grant_type") {
			case "authorization_code":
				sum := sha256.Sum256([]byte(f.Get("code_verifier")))
				if f.Get("code") != "the-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge || !strings.HasPrefix(f.Get("redirect_uri"), "http://127.0.0.1:") {
					w.WriteHeader(400)
					io.WriteString(w, `{"error":"invalid_grant"}`)
					return
				}
				json.NewEncoder(w).Encode(map[string]any{"access_token": "unused", "refresh_token": refresh, "expires_in": 3600})
			case "refresh_token":
				if f.Get("refresh_token") != refresh {
					w.WriteHeader(400)
					io.WriteString(w, `{"error":"invalid_grant","error_description":"stale refresh token"}`)
					return
				}
				n++
				tok := fmt.Sprintf("at-%d", n)
				access[tok] = true
				refresh = fmt.Sprintf("rt-%d", n+1) // rotate
				json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "refresh_token": refresh, "expires_in": 3600})
			}
		case "/me":
			if !access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
				w.WriteHeader(401)
				return
			}
			io.WriteString(w, `{"me":"ada"}`)
		}
	}))
	defer srv.Close()
	h := openBundled(t, newHome(t))
	def := &rest.Definition{Name: "signin", Auth: rest.Auth{Kind: rest.AuthAuthorizationCode, AuthorizeURL: srv.URL + "/authorize",
		TokenURL: srv.URL + "/token", Scopes: []string{"offline", "tickets"}},
		Endpoints: []rest.Endpoint{{Name: "me", Method: "GET", Path: "/me"}}}
	cl := installAPI(t, h, def, map[string]any{"base_url": srv.URL, "client_id": "app"}, nil)
	if _, err := cl.Invoke(ctx, "me", nil); err == nil || !strings.Contains(err.Error(), "signin is not signed in to the tool yet") {
		t.Fatalf("before sign-in: %v", err)
	}
	err := h.Integrations().Authorize(ctx, "signin", host.AuthorizeOptions{Open: func(u string) error {
		resp, err := http.Get(u) // the "browser": follows the redirect to Roost's loopback
		if err == nil {
			resp.Body.Close()
		}
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // a second client starts from the rotated refresh token
		cl, err := h.Client(ctx, "signin", "")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := cl.Invoke(ctx, "me", nil); err != nil || string(out) != `{"me":"ada"}` {
			t.Fatalf("after sign-in (%d): %s %v", i, out, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 2 || refresh != "rt-3" {
		t.Errorf("%d refresh grants, refresh token %s", n, refresh)
	}
}
