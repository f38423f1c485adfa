package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

// session is what a command talks to: the home's running service, or the
// home opened in this process. Either way the command speaks the service
// API (host.Service), so it prints the same output and the same errors.
type session struct {
	*host.Service
	h *host.Host // set when this process owns the home
	l *host.APIListener
}

// connect returns the service of the --home: a running roost serve's, or
// the home opened here when none runs.
func connect(c *cli.Context) (*session, error) { return connectHome(c, false) }

// connectHome is connect; with serve, a process that opens the home
// itself also serves the API on the home's socket while it runs, so other
// roost processes reach it (roost dev).
func connectHome(c *cli.Context, serve bool) (*session, error) {
	home := c.String("home")
	if home == "" {
		return nil, usageErrorf("--home is empty; set it or ROOST_HOME")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		svc, err := host.Dial(c.Context, home)
		if err == nil {
			return &session{Service: svc.WithCatalogs(catalogDirs(c)...)}, nil
		}
		if !errors.Is(err, host.ErrNoService) {
			return nil, err
		}
		h, err := openHost(c, host.Config{})
		if err != nil {
			return nil, err
		}
		if !serve {
			return &session{Service: h.Service(), h: h}, nil
		}
		l, err := h.ListenAPI(c.Context)
		var running *host.ServiceRunningError
		var inUse *host.HomeInUseError
		if (errors.As(err, &running) || errors.As(err, &inUse)) && time.Now().Before(deadline) {
			// A service started meanwhile, or a command holds the home
			// for a moment: talk to the service once it listens.
			closeHost(h)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			closeHost(h)
			return nil, err
		}
		return &session{Service: h.Service(), h: h, l: l}, nil
	}
}

// close ends the session: the connection to a service, or the home.
func (s *session) close() {
	if s.l != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.l.Close(ctx)
		cancel()
	}
	s.Service.Close()
	if s.h != nil {
		closeHost(s.h)
	}
}

// where says which process answers, for --verbose messages and errors.
func (s *session) where() string {
	if s.Remote() != "" {
		return fmt.Sprintf("the service at %s", s.Remote())
	}
	return "this process"
}
