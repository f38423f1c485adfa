package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

// Options configure a Client. Zero values take the defaults given.
type Options struct {
	// Timeout bounds one request, redirects and retries included. Default 30s.
	Timeout time.Duration
	// MaxResponseBytes caps a response body. Default 8 MiB.
	MaxResponseBytes int64
	// MaxRedirects caps redirect hops. Default 5.
	MaxRedirects int
	// MaxRetries is how often an idempotent request is retried after a
	// network error, 429 or 502/503/504. Default 2; negative disables.
	MaxRetries int
	// MaxRetryWait caps one wait between tries (Retry-After included).
	// Default 10s.
	MaxRetryWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 8 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 2
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 10 * time.Second
	}
	return o
}

// Policy says where one connector configuration may send requests.
type Policy struct {
	// Hosts are resolved patterns (no config references left).
	Hosts []abi.HostPattern
	// AllowPrivate permits loopback, private, link-local and unspecified
	// addresses. Off by default; tests and local tools turn it on.
	AllowPrivate bool
	// Auth, if set, is applied to requests to allowed hosts. It may fetch
	// a token (through ctx).
	Auth func(ctx context.Context, r *abi.HTTPRequest) error
	// Limiter, if set, spaces this policy's requests (retries included).
	Limiter *Limiter
	// Reauth, if set, is called when an authenticated request gets a 401:
	// it drops cached credentials, and the request is sent once more with
	// fresh ones.
	Reauth func()
	// AuthHeader names the header Auth sets, so it is dropped when a
	// redirect leaves the original host.
	AuthHeader string
}

// Allows reports whether the policy's host patterns admit u.
func (p *Policy) Allows(u *url.URL) bool {
	for _, h := range p.Hosts {
		if h.Matches(u) {
			return true
		}
	}
	return false
}

func (p *Policy) describeHosts() string {
	if len(p.Hosts) == 0 {
		return "none"
	}
	s := make([]string, len(p.Hosts))
	for i, h := range p.Hosts {
		s[i] = h.Host
		if h.Port != "" {
			s[i] += ":" + h.Port
		}
	}
	return strings.Join(s, ", ")
}

// Client sends requests for connectors. It is safe for concurrent use and
// shared by every connector of a host; Close it when done.
type Client struct {
	opts    Options
	public  *http.Transport // dials only public addresses
	private *http.Transport // dials any address
}

// New returns a Client.
func New(opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{opts: opts, public: transport(false), private: transport(true)}
}

// Close drops idle connections.
func (c *Client) Close() {
	c.public.CloseIdleConnections()
	c.private.CloseIdleConnections()
}

func transport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		// Control runs after name resolution, for every address tried, so
		// a name that resolves to a forbidden address is caught here.
		Control: func(network, address string, _ syscall.RawConn) error {
			if allowPrivate {
				return nil
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("refusing to dial %s: %v", address, err)
			}
			if forbidden(ap.Addr()) {
				return &deniedAddr{addr: ap.Addr()}
			}
			return nil
		},
	}
	return &http.Transport{
		Proxy:                 nil, // no proxy from the environment: the sandbox decides
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}

type deniedAddr struct{ addr netip.Addr }

func (e *deniedAddr) Error() string {
	return fmt.Sprintf("address %s is loopback, private or link-local, which this host does not allow connectors to reach", e.addr)
}

// forbidden reports addresses a connector may not reach by default.
func forbidden(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		// 100.64.0.0/10 carrier-grade NAT, often internal too.
		(a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64)
}

func denied(format string, args ...any) *abi.Error {
	return &abi.Error{Code: abi.CodePermissionDenied, Message: fmt.Sprintf(format, args...)}
}

// Do sends one request under policy p and returns the response head and
// body. Every error is an *abi.Error.
func (c *Client) Do(ctx context.Context, p *Policy, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error) {
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: fmt.Sprintf("bad URL %q", req.URL)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: fmt.Sprintf("URL %q: only http and https are allowed", req.URL)}
	}
	if u.User != nil {
		return nil, nil, &abi.Error{Code: abi.CodeInvalidInput, Message: "URLs with user information are not allowed; declare auth in the manifest"}
	}
	if !p.Allows(u) {
		return nil, nil, denied("host %s is not allowed for this connector (allowed: %s)", u.Host, p.describeHosts())
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	timeout := c.opts.Timeout
	if req.TimeoutMS > 0 && time.Duration(req.TimeoutMS)*time.Millisecond < timeout {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	unauthed := req
	if p.Auth != nil {
		req = authed(unauthed)
		if err := p.Auth(ctx, req); err != nil {
			return nil, nil, authError(err)
		}
	}
	reauthed := false

	client := &http.Client{Transport: c.public, CheckRedirect: c.checkRedirect(p)}
	if p.AllowPrivate {
		client.Transport = c.private
	}
	retries := 0
	if (idempotent(method) || req.Retry) && c.opts.MaxRetries > 0 {
		retries = c.opts.MaxRetries
	}
	for attempt := 0; ; attempt++ {
		if p.Limiter != nil {
			if err := p.Limiter.Wait(ctx); err != nil {
				return nil, nil, transportError(ctx, err)
			}
		}
		resp, respBody, retryAfter, err := c.once(ctx, client, method, req, body)
		if err == nil && resp.Status == http.StatusUnauthorized && p.Reauth != nil && !reauthed {
			// A cached token may have been revoked or expired early: fetch
			// a fresh one and try once more.
			reauthed = true
			p.Reauth()
			req = authed(unauthed)
			if err := p.Auth(ctx, req); err != nil {
				return nil, nil, authError(err)
			}
			attempt--
			continue
		}
		if attempt >= retries || !retryable(resp, err) {
			return resp, respBody, err
		}
		wait := backoff(attempt, retryAfter, c.opts.MaxRetryWait)
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return resp, respBody, err // no time left to wait: give the answer we have
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, respBody, err
		case <-t.C:
		}
	}
}

// authed copies a request so credentials are added to the copy, never to
// the guest's request.
func authed(r *abi.HTTPRequest) *abi.HTTPRequest {
	c := *r
	c.Header = make(map[string][]string, len(r.Header)+1)
	for k, v := range r.Header {
		c.Header[k] = v
	}
	return &c
}

func authError(err error) error {
	var ae *abi.Error
	if errors.As(err, &ae) {
		return ae
	}
	return &abi.Error{Code: abi.CodeUnauthenticated, Message: err.Error()}
}

func (c *Client) checkRedirect(p *Policy) func(*http.Request, []*http.Request) error {
	return func(next *http.Request, via []*http.Request) error {
		if len(via) > c.opts.MaxRedirects {
			return denied("stopped after %d redirects", c.opts.MaxRedirects)
		}
		if !p.Allows(next.URL) {
			return denied("redirect to host %s is not allowed for this connector (allowed: %s)", next.URL.Host, p.describeHosts())
		}
		if p.AuthHeader != "" && next.URL.Host != via[0].URL.Host {
			next.Header.Del(p.AuthHeader) // credentials stay with the host they were meant for
		}
		return nil
	}
}

func (c *Client) once(ctx context.Context, client *http.Client, method string, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, time.Duration, error) {
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, 0, &abi.Error{Code: abi.CodeInvalidInput, Message: err.Error()}
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, nil, 0, transportError(ctx, err)
	}
	defer resp.Body.Close()
	limited := io.LimitReader(resp.Body, c.opts.MaxResponseBytes+1)
	respBody, err := io.ReadAll(limited)
	if err != nil {
		return nil, nil, 0, transportError(ctx, err)
	}
	if int64(len(respBody)) > c.opts.MaxResponseBytes {
		return nil, nil, 0, &abi.Error{Code: abi.CodeTooLarge,
			Message: fmt.Sprintf("%s %s: response body over the %d-byte cap; cut off", method, redact(req.URL), c.opts.MaxResponseBytes)}
	}
	head := &abi.HTTPResponse{Status: resp.StatusCode, Header: resp.Header}
	return head, respBody, retryAfter(resp.Header.Get("Retry-After")), nil
}

func transportError(ctx context.Context, err error) *abi.Error {
	var ae *abi.Error
	if errors.As(err, &ae) {
		return ae
	}
	var da *deniedAddr
	if errors.As(err, &da) {
		return denied("%v", da)
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
		return &abi.Error{Code: abi.CodeTimeout, Message: "request timed out", Retryable: true}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &abi.Error{Code: abi.CodeUnavailable, Message: err.Error(), Retryable: true}
}

// redact drops the query, which may carry an injected credential.
func redact(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i] + "?…"
	}
	return raw
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func retryable(resp *abi.HTTPResponse, err error) bool {
	if err != nil {
		var ae *abi.Error
		return errors.As(err, &ae) && ae.Code == abi.CodeUnavailable
	}
	switch resp.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// backoff waits Retry-After if the server said, else 200ms doubling, capped.
func backoff(attempt int, after, ceiling time.Duration) time.Duration {
	if after > 0 {
		return min(after, ceiling)
	}
	d := time.Duration(200<<attempt) * time.Millisecond
	return min(d+rand.N(d/4+1), ceiling) // jitter keeps many callers from retrying in step
}

// Limiter spaces requests evenly to at most a rate per second.
type Limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// NewLimiter allows perSecond requests a second.
func NewLimiter(perSecond float64) *Limiter {
	return &Limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// Wait blocks until the next request may go, or ctx is done.
func (l *Limiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
