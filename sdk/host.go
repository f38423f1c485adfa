package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/roosthq/roost/sdk/abi"
)

// Host is what a connector's call can ask of the world outside it. In a
// WebAssembly build the SDK implements it with the roost_v1 host functions;
// package sdktest implements it natively for tests. Connector code does not
// use it directly: it calls Log, HTTP, KV and DecodeConfig.
type Host interface {
	// Log records one log line; attrs is a JSON object or empty.
	Log(level slog.Level, msg string, attrs []byte)
	// Config returns the call's configuration as a JSON object, without
	// secret fields.
	Config() []byte
	// HTTP sends one request through the host, which checks the
	// destination, injects credentials, and returns the response.
	HTTP(ctx context.Context, req *abi.HTTPRequest, body []byte) (*abi.HTTPResponse, []byte, error)
	// KVGet, KVSet and KVDelete use a key-value store scoped to the
	// integration.
	KVGet(key string) (value []byte, found bool, err error)
	KVSet(key string, value []byte) error
	KVDelete(key string) error
}

var errNoHost = &abi.Error{Code: abi.CodeInternal, Message: "no host: this context did not come from a connector call"}

// noHost answers when a context carries no host (code called outside a
// call). It refuses everything rather than crashing.
type noHost struct{}

func (noHost) Log(slog.Level, string, []byte) {}
func (noHost) Config() []byte                 { return nil }
func (noHost) HTTP(context.Context, *abi.HTTPRequest, []byte) (*abi.HTTPResponse, []byte, error) {
	return nil, nil, errNoHost
}
func (noHost) KVGet(string) ([]byte, bool, error) { return nil, false, errNoHost }
func (noHost) KVSet(string, []byte) error         { return errNoHost }
func (noHost) KVDelete(string) error              { return errNoHost }

// Store is the integration's key-value store.
type Store struct{ host Host }

// KV returns the key-value store of the integration the call belongs to.
// Values survive across calls and instances; keys are scoped to the
// integration, so two integrations never see each other's values.
func KV(ctx context.Context) *Store { return &Store{host: hostOf(ctx)} }

// Get returns the value under key and whether it exists.
func (s *Store) Get(key string) ([]byte, bool, error) { return s.host.KVGet(key) }

// Set stores value under key.
func (s *Store) Set(key string, value []byte) error { return s.host.KVSet(key, value) }

// Delete removes key; deleting a missing key is not an error.
func (s *Store) Delete(key string) error { return s.host.KVDelete(key) }

// logHandler sends slog records to the host.
type logHandler struct {
	host  Host
	attrs []slog.Attr
	group string
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var fields map[string]any
	if len(h.attrs) > 0 || r.NumAttrs() > 0 {
		fields = make(map[string]any, len(h.attrs)+r.NumAttrs())
		add := func(a slog.Attr) bool {
			key := a.Key
			if h.group != "" {
				key = h.group + "." + key
			}
			fields[key] = a.Value.Resolve().Any()
			return true
		}
		for _, a := range h.attrs {
			add(a)
		}
		r.Attrs(add)
	}
	var attrs []byte
	if fields != nil {
		var err error
		if attrs, err = json.Marshal(fields); err != nil {
			attrs, _ = json.Marshal(map[string]string{"log_error": err.Error()})
		}
	}
	h.host.Log(r.Level, r.Message, attrs)
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &n
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	n := *h
	if n.group != "" {
		name = n.group + "." + name
	}
	n.group = name
	return &n
}

// AsError returns err as a structured error if it is one.
func AsError(err error) (*Error, bool) {
	var e *abi.Error
	ok := errors.As(err, &e)
	return e, ok
}
