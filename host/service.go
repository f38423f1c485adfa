package host

import (
	"context"
	"encoding/json"

	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Service returns the service API of this host, served in this process:
// the same methods, values and errors as a remote service's (Dial).
func (h *Host) Service() *Service { return &Service{t: inProcess{h: h}} }

// Integrations is Service().Integrations().
func (h *Host) Integrations() *Integrations { return h.Service().Integrations() }

// Organizations is Service().Organizations().
func (h *Host) Organizations() *Organizations { return h.Service().Organizations() }

// Mappings is Service().Mappings().
func (h *Host) Mappings() *Mappings { return h.Service().Mappings() }

// Crates is Service().Crates().
func (h *Host) Crates() *Crates { return h.Service().Crates() }

// Requests is Service().Requests().
func (h *Host) Requests() *Requests { return h.Service().Requests() }

// Client returns a client of an installed integration bound to one of its
// stored configurations (empty means the default), to call in this
// process.
func (h *Host) Client(ctx context.Context, integration, config string) (*Client, error) {
	return h.integrations().Client(ctx, integration, config)
}

// serving is what a host serving its API keeps: the socket it listens
// on, the webhook address, the development sessions.
type serving struct {
	mu       sync.Mutex
	socket   string
	webhooks string
	dev      map[string]*LiveClient // by connector name
	stopping chan struct{}          // closed when the API stops serving
}

// stopped returns the channel closed when the API listener closes.
func (s *serving) stopped() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	return s.stopping
}

// stopDev ends the development sessions (they stream until their client
// leaves or the service stops).
func (s *serving) stopDev() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping == nil {
		s.stopping = make(chan struct{})
	}
	select {
	case <-s.stopping:
	default:
		close(s.stopping)
	}
}

func (h *Host) status() *ServiceStatus {
	h.serving.mu.Lock()
	defer h.serving.mu.Unlock()
	st := &ServiceStatus{PID: os.Getpid(), Home: h.cfg.Home, Version: APIVersion,
		Socket: h.serving.socket, Webhooks: h.serving.webhooks}
	for name := range h.serving.dev {
		st.DevSessions = append(st.DevSessions, name)
	}
	slices.Sort(st.DevSessions)
	st.Loaded = h.home.builds.Len()
	return st
}

// invoke calls an action: of a dev session's connector if one runs under
// that name, else of the installed integration.
func (h *Host) invoke(ctx context.Context, in InvokeInput) (*InvokeResult, error) {
	if in.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.Timeout)
		defer cancel()
	}
	h.serving.mu.Lock()
	dev := h.serving.dev[in.Integration]
	h.serving.mu.Unlock()
	start := time.Now()
	if dev != nil {
		out, err := dev.Invoke(ctx, in.Action, in.Input)
		if err != nil {
			return nil, err
		}
		m := dev.live.Manifest()
		return &InvokeResult{Connector: m.Name, Version: m.Version, Output: out, Dev: true, Took: time.Since(start)}, nil
	}
	cl, err := h.integrations().Client(ctx, in.Integration, in.Config)
	if err != nil {
		return nil, err
	}
	out, err := cl.Invoke(ctx, in.Action, in.Input)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = json.RawMessage("null")
	}
	m := cl.Connector().Manifest()
	return &InvokeResult{Connector: m.Name, Version: m.Version, Output: out, Took: time.Since(start)}, nil
}

// DevAlreadyRunningError says a development session of the connector runs
// already.
type DevAlreadyRunningError struct {
	Connector string `json:"connector"`
}

func (e *DevAlreadyRunningError) Error() string {
	return "a development session of " + e.Connector + " is already running"
}

// runDev runs a development session until ctx is done.
func (h *Host) runDev(ctx context.Context, opts DevOptions, config map[string]any, emit func(any)) error {
	opts.Events = func(ev DevEvent) {
		if ev.Err != nil {
			ev.Error = ev.Err.Error()
		}
		emit(ev)
	}
	sess, err := h.Develop(ctx, opts)
	if err != nil {
		return err
	}
	defer sess.Close(context.Background())
	live := sess.Live()
	client, err := live.Configure(config, ClientOptions{AllowPrivateNetworks: opts.AllowPrivateNetworks})
	if err != nil {
		return err
	}
	m := live.Manifest()
	h.serving.mu.Lock()
	if h.serving.dev == nil {
		h.serving.dev = map[string]*LiveClient{}
	}
	if _, ok := h.serving.dev[m.Name]; ok {
		h.serving.mu.Unlock()
		return &DevAlreadyRunningError{Connector: m.Name}
	}
	h.serving.dev[m.Name] = client
	h.serving.mu.Unlock()
	defer func() {
		h.serving.mu.Lock()
		delete(h.serving.dev, m.Name)
		h.serving.mu.Unlock()
	}()
	emit(DevEvent{Kind: "serving", Connector: m.Name, Version: m.Version, Path: live.Path()})
	select {
	case <-ctx.Done():
	case <-h.serving.stopped():
	}
	return nil
}

func absPath(p string) string {
	if p == "" {
		return p
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
