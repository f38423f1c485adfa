package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/crates"
	"github.com/roosthq/roost/host/internal/schedule"
	"github.com/roosthq/roost/host/internal/store"
)

// Trigger is an unpacked crate's trigger.
type Trigger struct {
	Crate    string   `json:"crate"`
	Workflow string   `json:"workflow"`
	Kind     string   `json:"kind"` // manual, cron, webhook
	Spec     string   `json:"spec,omitempty"`
	Orgs     []string `json:"orgs"`
	// Path is a webhook's path on the server.
	Path string `json:"path,omitempty"`
	// Next is a cron trigger's next time.
	Next time.Time `json:"next,omitzero"`
	cron *schedule.Cron
}

// Triggers lists the triggers of every unpacked crate.
func (cr *cratesSvc) Triggers(_ context.Context, now time.Time) ([]Trigger, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, err
	}
	all, err := st.UnpackedCrates()
	if err != nil {
		return nil, err
	}
	var out []Trigger
	for _, u := range all {
		var c crates.Crate
		if json.Unmarshal(u.Crate, &c) != nil {
			continue
		}
		for _, t := range c.Triggers {
			tr := Trigger{Crate: u.Name, Workflow: t.Workflow, Orgs: u.Orgs, Kind: "manual"}
			switch {
			case t.Cron != "":
				tr.Kind, tr.Spec = "cron", t.Cron
				if tr.cron, err = schedule.Parse(t.Cron); err != nil {
					return nil, fmt.Errorf("crate %s: %w", u.Name, err)
				}
				tr.Next = tr.cron.Next(now)
			case t.Webhook != "":
				tr.Kind, tr.Spec, tr.Path = "webhook", t.Webhook, "/hooks/"+u.Name+"/"+t.Webhook
			}
			out = append(out, tr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Crate+out[i].Workflow < out[j].Crate+out[j].Workflow })
	return out, nil
}

// ServeOptions set up roost serve.
type ServeOptions struct {
	// Addr is where webhooks are received; default 127.0.0.1:8787.
	Addr string
	// Listening, if set, is told the address once the server listens.
	Listening func(addr string)
	// OnRun is told about every run a trigger started.
	OnRun func(job Job, org string, run *WorkflowRun, err error)
}

// Server runs triggered workflows: cron schedules each minute, webhooks
// as they arrive. A trigger first becomes a job in the store; the webhook
// is answered 202 only then, so no accepted request is lost, and jobs left
// by a stopped server run when the next one starts.
type Server struct {
	cr   *cratesSvc
	opts ServeOptions
	wake chan struct{}
	mu   sync.Mutex
	last time.Time // the last minute cron was checked for
}

// NewServer makes the trigger server of this host, the home's owner.
func (h *Host) NewServer(opts ServeOptions) *Server {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8787"
	}
	return &Server{cr: h.crates(), opts: opts, wake: make(chan struct{}, 1)}
}

// Triggers lists the triggers of every unpacked crate.
func (s *Server) Triggers(ctx context.Context, now time.Time) ([]Trigger, error) {
	return s.cr.Triggers(ctx, now)
}

// Serve listens and runs until ctx is done.
func (s *Server) Serve(ctx context.Context) error {
	l, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	s.cr.h.serving.mu.Lock()
	s.cr.h.serving.webhooks = l.Addr().String()
	s.cr.h.serving.mu.Unlock()
	defer func() {
		s.cr.h.serving.mu.Lock()
		s.cr.h.serving.webhooks = ""
		s.cr.h.serving.mu.Unlock()
	}()
	if s.opts.Listening != nil {
		s.opts.Listening(l.Addr().String())
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.Tick(ctx, now)
			}
		}
	}()
	s.signal()
	for {
		if err := s.drain(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		}
	}
}

func (s *Server) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Tick queues the cron triggers due in now's minute (once per minute).
func (s *Server) Tick(ctx context.Context, now time.Time) {
	minute := now.Truncate(time.Minute)
	s.mu.Lock()
	if !minute.After(s.last) {
		s.mu.Unlock()
		return
	}
	s.last = minute
	s.mu.Unlock()
	triggers, err := s.cr.Triggers(ctx, now)
	if err != nil {
		return
	}
	st, err := s.cr.h.openStore()
	if err != nil {
		return
	}
	queued := false
	for _, t := range triggers {
		if t.Kind == "cron" && t.cron.Matches(minute) {
			if _, err := st.Enqueue(store.Job{Crate: t.Crate, Workflow: t.Workflow, Orgs: t.Orgs, Trigger: "cron " + t.Spec, QueuedAt: now.UTC()}); err == nil {
				queued = true
			}
		}
	}
	if queued {
		s.signal()
	}
}

// ServeHTTP takes webhooks: POST /hooks/CRATE/NAME[?org=ORG] queues the
// workflow for that organization (or all of the crate's) and answers 202.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/hooks/")
	crate, name, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || r.Method != http.MethodPost {
		http.Error(w, `{"error":"POST /hooks/CRATE/WEBHOOK[?org=ORG]"}`, http.StatusNotFound)
		return
	}
	triggers, err := s.cr.Triggers(r.Context(), time.Now())
	if err != nil {
		http.Error(w, `{"error":"store unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	for _, t := range triggers {
		if t.Kind != "webhook" || t.Crate != crate || t.Spec != name {
			continue
		}
		orgs := t.Orgs
		if o := r.URL.Query().Get("org"); o != "" {
			if !contains(t.Orgs, o) {
				http.Error(w, fmt.Sprintf(`{"error":"crate %s is not unpacked for %s"}`, crate, o), http.StatusBadRequest)
				return
			}
			orgs = []string{o}
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		st, err := s.cr.h.openStore()
		if err != nil {
			http.Error(w, `{"error":"store unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		job, err := st.Enqueue(store.Job{Crate: crate, Workflow: t.Workflow, Orgs: orgs, Trigger: "webhook " + name, Payload: body, QueuedAt: time.Now().UTC()})
		if err != nil {
			http.Error(w, `{"error":"could not queue the run"}`, http.StatusServiceUnavailable)
			return
		}
		s.signal()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"queued":%d,"workflow":%q,"orgs":%d}`+"\n", job.ID, t.Workflow, len(orgs))
		return
	}
	http.Error(w, fmt.Sprintf(`{"error":"no webhook %s in unpacked crate %s"}`, name, crate), http.StatusNotFound)
}

// drain runs the queued jobs, oldest first, deleting each once done.
func (s *Server) drain(ctx context.Context) error {
	st, err := s.cr.h.openStore()
	if err != nil {
		return err
	}
	jobs, err := st.Jobs()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		for _, org := range j.Orgs {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_, run, err := s.cr.Run(ctx, j.Crate+"/"+j.Workflow, org, RunOptions{})
			if s.opts.OnRun != nil {
				s.opts.OnRun(Job(j), org, runView(run), err)
			}
		}
		if err := st.DeleteJob(j.ID); err != nil {
			return err
		}
	}
	return nil
}
