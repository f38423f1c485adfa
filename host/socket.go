package host

import (
	"context"

	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The home's service socket: a process that owns a home (roost serve, or
// roost dev with no service running) serves the API on it, and every
// other roost process on that home is its client.
//
//	run/            mode 0700: only the user may enter
//	run/roost.sock  the API, mode 0600
//
// Who listens (pid, addresses) is asked of the service itself
// (service.status), so nothing on disk can go stale.
const (
	runDirName = "run"
	socketName = "roost.sock"
)

// maxSocketPath is the longest unix socket path every system takes
// (sun_path is 108 bytes on Linux, 104 on macOS, with a final NUL).
const maxSocketPath = 103

// SocketPath is where the service of a home listens.
func SocketPath(home string) string { return filepath.Join(home, runDirName, socketName) }

// ErrNoService is returned by Dial when no service runs for the home.
var ErrNoService = errors.New("no Roost service is running for this home")

// ServiceRunningError says a service already runs for the home.
type ServiceRunningError struct {
	Home   string `json:"home"`
	PID    int    `json:"pid"`
	Socket string `json:"socket"`
	// Webhooks is where it takes webhooks, if it does.
	Webhooks string `json:"webhooks,omitempty"`
}

func (e *ServiceRunningError) Error() string {
	msg := fmt.Sprintf("a Roost service already runs for %s (pid %d, socket %s", e.Home, e.PID, e.Socket)
	if e.Webhooks != "" {
		msg += ", webhooks on " + e.Webhooks
	}
	return msg + ")"
}

// Dial connects to the service running for home. With none running (no
// socket, or a socket left by a service that died) it returns
// ErrNoService.
func Dial(ctx context.Context, home string) (*Service, error) {
	sock := SocketPath(home)
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}
	conn, err := dial(ctx) // a probe: is anyone listening?
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
			errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENAMETOOLONG) {
			// No socket, a stale one, or a home whose path is too long for
			// one (no service can listen there either).
			return nil, ErrNoService
		}
		return nil, fmt.Errorf("connect to the Roost service at %s: %w", sock, err)
	}
	conn.Close()
	return &Service{t: newRemote(sock, dial), remote: sock}, nil
}

// APIListener serves a host's API on its home's socket. Close it.
type APIListener struct {
	h      *Host
	socket string
	srv    *http.Server
	done   chan struct{}
}

// ListenAPI makes this host the home's service: it opens the store (so no
// other process can), refuses when a service already runs (a
// *ServiceRunningError), and serves the API on the home's socket until
// Close.
func (h *Host) ListenAPI(ctx context.Context) (*APIListener, error) {
	if h.cfg.Home == "" {
		return nil, ErrNoHome
	}
	if s, err := Dial(ctx, h.cfg.Home); err == nil {
		defer s.Close()
		st, err := s.Status(ctx)
		if err != nil {
			return nil, &ServiceRunningError{Home: h.cfg.Home, Socket: SocketPath(h.cfg.Home)}
		}
		return nil, &ServiceRunningError{Home: h.cfg.Home, PID: st.PID, Socket: st.Socket, Webhooks: st.Webhooks}
	}
	if _, err := h.openStore(); err != nil {
		return nil, err
	}
	dir := filepath.Join(h.cfg.Home, runDirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("serve the API: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("serve the API: %w", err)
	}
	sock := SocketPath(h.cfg.Home)
	if len(sock) > maxSocketPath {
		return nil, &InvalidInputError{Field: "home", Value: h.cfg.Home,
			Problem: fmt.Sprintf("is too long for the service's socket (%d bytes; unix sockets allow %d): use a shorter home", len(sock), maxSocketPath)}
	}
	os.Remove(sock) // left by a service that died: we hold the store, so it is not live
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("serve the API on %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("serve the API: %w", err)
	}
	h.serving.mu.Lock()
	h.serving.socket = sock
	h.serving.stopping = make(chan struct{}) // a new listener: dev sessions run until it closes
	h.serving.mu.Unlock()
	a := &APIListener{h: h, socket: sock, done: make(chan struct{}),
		srv: &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		defer close(a.done)
		a.srv.Serve(l)
	}()
	return a, nil
}

// Socket is where the API is served.
func (a *APIListener) Socket() string { return a.socket }

// Close stops taking requests, waits for those in flight until ctx is
// done (then cuts them), and removes the socket.
func (a *APIListener) Close(ctx context.Context) error {
	a.h.serving.stopDev() // dev sessions stream until told: end them first
	err := a.srv.Shutdown(ctx)
	if err != nil {
		a.srv.Close()
	}
	<-a.done
	os.Remove(a.socket)
	a.h.serving.mu.Lock()
	a.h.serving.socket = ""
	a.h.serving.mu.Unlock()
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
