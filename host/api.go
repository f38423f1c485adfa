package host

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// The service API: every front end (the CLI, the web UI, triggers, an
// embedding program) reaches the host's services through one protocol,
// version 1, JSON over HTTP (docs/api.md):
//
//	POST /v1/<service>.<method>     body: the method's input as JSON
//	200 application/json            the method's output
//	4xx/5xx application/json        an Error: code, message, details
//
// A request that accepts application/x-ndjson gets, for a method that
// reports progress, one JSON object a line: {"event": …} as work
// proceeds, then {"result": …} or {"error": …}.
//
// The same table of methods answers in-process (Host.Service: the input
// and output still cross as JSON, so a program sees the same values and
// the same errors either way) and over the home's socket (Dial).

// APIVersion is the protocol's version, the first segment of every path.
const APIVersion = "v1"

// transport carries one call: in is encoded, out decoded into; events, when
// set, receives each progress event as it comes.
type transport interface {
	call(ctx context.Context, method string, in, out any, events func(json.RawMessage)) error
	close() error
}

// Service is Roost's service API: integrations, configurations,
// organizations, mappings, crates and runs, requests and development
// sessions. It has the same methods, outputs and errors whether the
// home's owner is this process (Host.Service) or a running roost serve
// (Dial). Safe for concurrent use.
type Service struct {
	t      transport
	remote string // the service's socket, "" in-process
}

// WithCatalogs returns a Service whose calls also offer the connectors in
// these directories (absolute paths; the service reads them), as
// Config.Catalogs does for the host's own.
func (s *Service) WithCatalogs(dirs ...string) *Service {
	if len(dirs) == 0 {
		return s
	}
	abs := make([]string, len(dirs))
	for i, d := range dirs {
		abs[i] = absPath(d)
	}
	return &Service{t: catalogTransport{transport: s.t, dirs: abs}, remote: s.remote}
}

// catalogTransport sends the caller's catalogue directories with each call.
type catalogTransport struct {
	transport
	dirs []string
}

func (c catalogTransport) call(ctx context.Context, method string, in, out any, events func(json.RawMessage)) error {
	return c.transport.call(context.WithValue(ctx, catalogsKey{}, c.dirs), method, in, out, events)
}

// Remote is the socket of the service this talks to, or "" when the
// services run in this process.
func (s *Service) Remote() string { return s.remote }

// Close closes the connection to a remote service; for an in-process
// service it does nothing (close the Host).
func (s *Service) Close() error { return s.t.close() }

// Integrations is the catalogue, installs, configurations and calls.
func (s *Service) Integrations() *Integrations { return &Integrations{t: s.t} }

// Organizations are the user's customers.
func (s *Service) Organizations() *Organizations { return &Organizations{t: s.t} }

// Mappings link organizations to each tool's accounts.
func (s *Service) Mappings() *Mappings { return &Mappings{t: s.t} }

// Crates are packages of workflows, unpacked for organizations, and their
// runs.
func (s *Service) Crates() *Crates { return &Crates{t: s.t} }

// Requests are the integrations users asked for.
func (s *Service) Requests() *Requests { return &Requests{t: s.t} }

// Dev runs development sessions of connectors.
func (s *Service) Dev() *Dev { return &Dev{t: s.t} }

// Status describes the service.
func (s *Service) Status(ctx context.Context) (*ServiceStatus, error) {
	return call[*ServiceStatus](ctx, s.t, "service.status", struct{}{}, nil)
}

// ServiceStatus describes a running service.
type ServiceStatus struct {
	PID     int    `json:"pid"`
	Home    string `json:"home"`
	Version string `json:"api_version"`
	// Socket is where the API is served, "" in-process.
	Socket string `json:"socket,omitempty"`
	// Webhooks is the address triggers are received on, if any.
	Webhooks string `json:"webhooks,omitempty"`
	// Loaded counts the connector builds kept compiled and warm.
	Loaded int `json:"loaded"`
	// DevSessions names the connectors under development.
	DevSessions []string `json:"dev_sessions,omitempty"`
}

// call is one typed call through a transport.
func call[Out any](ctx context.Context, t transport, method string, in any, events func(json.RawMessage)) (Out, error) {
	var out Out
	err := t.call(ctx, method, in, &out, events)
	return out, err
}

// ---- in-process ----

// inProcess serves the table in this process. Input and output cross as
// JSON, as they would over the socket.
type inProcess struct{ h *Host }

func (p inProcess) call(ctx context.Context, method string, in, out any, events func(json.RawMessage)) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode input: %w", method, err)
	}
	emit := func(v any) {
		if events == nil {
			return
		}
		if raw, err := json.Marshal(v); err == nil {
			events(raw)
		}
	}
	res, err := p.h.serveMethod(ctx, method, body, emit)
	if err != nil {
		return decodeError(encodeError(err))
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("%s: encode output: %w", method, err)
	}
	return decodeResult(raw, out)
}

func (inProcess) close() error { return nil }

func decodeResult(raw json.RawMessage, out any) error {
	if out == nil || len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// ---- the socket ----

// remote speaks the protocol over a connection made by dial.
type remote struct {
	addr   string
	client *http.Client
}

func newRemote(addr string, dial func(ctx context.Context) (net.Conn, error)) *remote {
	tr := &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true,
	}
	return &remote{addr: addr, client: &http.Client{Transport: tr}}
}

func (r *remote) close() error {
	r.client.CloseIdleConnections()
	return nil
}

func (r *remote) call(ctx context.Context, method string, in, out any, events func(json.RawMessage)) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode input: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://roost/"+APIVersion+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if dirs, _ := ctx.Value(catalogsKey{}).([]string); len(dirs) > 0 {
		raw, _ := json.Marshal(dirs)
		req.Header.Set(catalogsHeader, string(raw))
	}
	if events != nil {
		req.Header.Set("Accept", ndjson)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ServiceGoneError{Socket: r.addr, Reason: err.Error()}
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), ndjson) {
		return r.stream(ctx, resp.Body, out, events)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ServiceGoneError{Socket: r.addr, Reason: err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		var we wireError
		if json.Unmarshal(raw, &we) != nil || we.Code == "" {
			return fmt.Errorf("%s: the service answered %s: %s", method, resp.Status, strings.TrimSpace(string(raw)))
		}
		return decodeError(&we)
	}
	return decodeResult(raw, out)
}

const (
	ndjson = "application/x-ndjson"
	// catalogsHeader carries the caller's catalogue directories.
	catalogsHeader = "Roost-Catalogs"
)

// streamLine is one line of a streamed answer.
type streamLine struct {
	Event  json.RawMessage `json:"event,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

func (r *remote) stream(ctx context.Context, body io.Reader, out any, events func(json.RawMessage)) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var l streamLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("the service sent a bad line: %w", err)
		}
		switch {
		case l.Error != nil:
			return decodeError(l.Error)
		case l.Event != nil:
			if events != nil {
				events(l.Event)
			}
		default:
			return decodeResult(l.Result, out)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	reason := "the answer ended early"
	if err := sc.Err(); err != nil {
		reason = err.Error()
	}
	return &ServiceGoneError{Socket: r.addr, Reason: reason}
}

// ServiceGoneError says the service stopped answering in the middle of a
// request: it was stopped or it died. What the request changed may or may
// not have been saved.
type ServiceGoneError struct {
	Socket string `json:"socket"`
	Reason string `json:"reason"`
}

func (e *ServiceGoneError) Error() string {
	return fmt.Sprintf("the Roost service at %s went away during the request (%s)", e.Socket, e.Reason)
}

// ---- serving ----

// Handler serves the service API of h over HTTP: mount it at /v1/.
func (h *Host) Handler() http.Handler { return apiHandler{h: h} }

type apiHandler struct{ h *Host }

func (a apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/"+APIVersion+"/")
	// Only programs speak the API: a browser's cross-site form post (no
	// JSON content type, an Origin) is refused, should the handler ever be
	// mounted on a TCP listener.
	if ct := r.Header.Get("Content-Type"); ok && (r.Header.Get("Origin") != "" || (ct != "" && !strings.HasPrefix(ct, "application/json"))) {
		writeWireError(w, &wireError{Code: "forbidden", Message: "the API takes JSON from programs, not from web pages"}, http.StatusForbidden)
		return
	}
	if !ok || r.Method != http.MethodPost {
		writeWireError(w, &wireError{Code: "not_found", Message: fmt.Sprintf("no API method %s %s; methods are POST /%s/<service>.<method>", r.Method, r.URL.Path, APIVersion)}, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 512<<20))
	if err != nil {
		writeWireError(w, &wireError{Code: "bad_request", Message: err.Error()}, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if raw := r.Header.Get(catalogsHeader); raw != "" {
		var dirs []string
		if json.Unmarshal([]byte(raw), &dirs) == nil {
			ctx = context.WithValue(ctx, catalogsKey{}, dirs)
		}
	}
	r = r.WithContext(ctx)
	if !strings.Contains(r.Header.Get("Accept"), ndjson) {
		res, err := a.h.serveMethod(r.Context(), method, body, func(any) {})
		var raw []byte
		if err == nil {
			raw, err = json.Marshal(res)
		}
		if err != nil {
			we := encodeError(err)
			writeWireError(w, we, statusOf(we.Code))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(raw)
		return
	}
	w.Header().Set("Content-Type", ndjson)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	write := func(l streamLine) {
		mu.Lock()
		defer mu.Unlock()
		enc.Encode(l)
		if flusher != nil {
			flusher.Flush()
		}
	}
	res, err := a.h.serveMethod(r.Context(), method, body, func(ev any) {
		if raw, err := json.Marshal(ev); err == nil {
			write(streamLine{Event: raw})
		}
	})
	if err != nil {
		write(streamLine{Error: encodeError(err)})
		return
	}
	raw, err := json.Marshal(res)
	if err != nil {
		write(streamLine{Error: encodeError(err)})
		return
	}
	if string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	write(streamLine{Result: raw})
}

func writeWireError(w http.ResponseWriter, we *wireError, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(we)
}

// serveMethod runs one method of the table.
func (h *Host) serveMethod(ctx context.Context, method string, body json.RawMessage, emit func(any)) (any, error) {
	m, ok := apiMethods[method]
	if !ok {
		return nil, &UnknownMethodError{Method: method}
	}
	if len(body) == 0 {
		body = json.RawMessage("{}")
	}
	return m(ctx, h, body, emit)
}

// UnknownMethodError says the service has no such API method: a client
// newer than the service, or a typo.
type UnknownMethodError struct {
	Method string `json:"method"`
}

func (e *UnknownMethodError) Error() string {
	return fmt.Sprintf("the service has no API method %q (is it an older roost?)", e.Method)
}

// apiMethod serves one method: decode the input, run, return the output.
type apiMethod func(ctx context.Context, h *Host, body json.RawMessage, emit func(any)) (any, error)

// rpc adapts a typed method to the table.
func rpc[In any](fn func(ctx context.Context, h *Host, in In, emit func(any)) (any, error)) apiMethod {
	return func(ctx context.Context, h *Host, body json.RawMessage, emit func(any)) (any, error) {
		var in In
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &InvalidInputError{Field: "request body", Problem: err.Error()}
		}
		return fn(ctx, h, in, emit)
	}
}
