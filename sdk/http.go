package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

// Header is a set of HTTP header fields. Keys are canonicalised by Set, Add
// and Get ("content-type" and "Content-Type" are the same field).
type Header map[string][]string

// Get returns the first value of key, or "".
func (h Header) Get(key string) string {
	if v := h[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (h Header) Set(key, value string) { h[canonicalKey(key)] = []string{value} }

// Add appends a value to key.
func (h Header) Add(key, value string) { k := canonicalKey(key); h[k] = append(h[k], value) }

func canonicalKey(k string) string {
	b := []byte(strings.ToLower(k))
	upper := true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		upper = c == '-'
	}
	return string(b)
}

// Request is one outbound HTTP request.
type Request struct {
	Method string
	URL    string
	Header Header
	Body   []byte
	// Timeout, if set, bounds this request below the host's own limit.
	Timeout time.Duration
	// Retry lets the host retry this request after a 429, 5xx or network
	// error even if its method is not idempotent.
	Retry bool
}

// Response is the answer to a Request. The whole body has been read (up to
// the host's size cap).
type Response struct {
	Status int
	Header Header
	Body   []byte
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return Errorf(abi.CodeUpstream, "decode response: %v", err)
	}
	return nil
}

// Client sends requests through the host. The host checks each destination
// against the manifest's Hosts, injects credentials as the manifest's Auth
// says, and enforces time-outs and size caps.
type Client struct {
	ctx  context.Context
	host Host
	// Header is added to every request this client sends.
	Header Header
}

// HTTP returns a client for the current call.
func HTTP(ctx context.Context) *Client {
	return &Client{ctx: ctx, host: hostOf(ctx), Header: Header{}}
}

// Do sends req. A transport failure or a refused destination is an error;
// any HTTP status, including 4xx and 5xx, is a Response.
func (c *Client) Do(req Request) (*Response, error) {
	head := &abi.HTTPRequest{Method: req.Method, URL: req.URL, TimeoutMS: int(req.Timeout / time.Millisecond), Retry: req.Retry}
	if head.Method == "" {
		head.Method = "GET"
	}
	if len(c.Header)+len(req.Header) > 0 {
		head.Header = make(map[string][]string, len(c.Header)+len(req.Header))
		for k, v := range c.Header {
			head.Header[k] = v
		}
		for k, v := range req.Header {
			head.Header[canonicalKey(k)] = v
		}
	}
	resp, body, err := c.host.HTTP(c.ctx, head, req.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.Status, Header: Header(resp.Header), Body: body}, nil
}

// Get sends a GET request.
func (c *Client) Get(url string) (*Response, error) {
	return c.Do(Request{Method: "GET", URL: url})
}

// GetJSON sends a GET request and decodes a 2xx JSON answer into out. Any
// other status becomes a structured error whose code follows the status
// (401 unauthenticated, 404 not_found, 429 rate_limited, 5xx unavailable…).
func (c *Client) GetJSON(url string, out any) error {
	return c.DoJSON(Request{Method: "GET", URL: url}, nil, out)
}

// PostJSON sends in as a JSON body and decodes a 2xx answer into out (which
// may be nil).
func (c *Client) PostJSON(url string, in, out any) error {
	return c.DoJSON(Request{Method: "POST", URL: url}, in, out)
}

// DoJSON sends req with in (if not nil) as its JSON body and decodes a 2xx
// answer into out (if not nil); other statuses become structured errors.
func (c *Client) DoJSON(req Request, in, out any) error {
	if req.Header == nil {
		req.Header = Header{}
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return Errorf(abi.CodeInvalidInput, "encode request: %v", err)
		}
		req.Body = b
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError(req.Method, req.URL, resp.Status, bytes.TrimSpace(resp.Body))
	}
	if out == nil || len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	return resp.JSON(out)
}
