package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "own the home: serve the API to other roost commands, run triggers, keep connectors warm",
		Description: `A long-running process that owns the Roost home. Every other roost command
on the same home becomes its client: it sends its request to this process over
the home's socket (` + "`" + `run/roost.sock` + "`" + `, only you can reach it) instead of opening the
store itself, so you can list runs, configure, map and unpack while triggers
run, and connectors stay compiled and warm between commands.

Cron triggers run their workflow for the crate's
organizations at each scheduled minute; webhooks are received on --addr:

  curl -X POST http://127.0.0.1:8787/hooks/CRATE/WEBHOOK?org=ORG

Every trigger is written to the store as a job before it is acknowledged
(202), and jobs a stopped server left run when the next one starts. Ctrl-C
stops after the run in progress.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8787", Usage: "where to receive webhooks"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			home := c.String("home")
			if home == "" {
				return usageErrorf("--home is empty; set it or ROOST_HOME")
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			api, err := h.ListenAPI(c.Context)
			if err != nil {
				return err
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				api.Close(ctx)
			}()
			w := c.App.Writer
			var mu sync.Mutex
			say := func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				printf(w, time.Now().Format("15:04:05")+" "+format+"\n", args...)
			}
			var srv *host.Server
			srv = h.NewServer(host.ServeOptions{Addr: c.String("addr"),
				Listening: func(addr string) {
					if c.Bool("json") {
						mu.Lock()
						writeJSONLine(w, map[string]any{"kind": "serving", "pid": os.Getpid(), "socket": api.Socket(), "webhooks": addr})
						mu.Unlock()
						return
					}
					triggers, _ := srv.Triggers(c.Context, time.Now())
					say("serving %s: API on %s, webhooks on %s; %d triggers", home, api.Socket(), addr, len(triggers))
					for _, t := range triggers {
						switch t.Kind {
						case "cron":
							say("  %s/%s: cron %s, next %s, for %d orgs", t.Crate, t.Workflow, t.Spec, t.Next.Local().Format("2006-01-02 15:04"), len(t.Orgs))
						case "webhook":
							say("  %s/%s: POST http://%s%s[?org=ORG]", t.Crate, t.Workflow, addr, t.Path)
						}
					}
				},
				OnRun: func(j host.Job, org string, run *host.WorkflowRun, err error) {
					if c.Bool("json") {
						mu.Lock()
						defer mu.Unlock()
						ev := map[string]any{"kind": "run", "crate": j.Crate, "workflow": j.Workflow, "org": org, "trigger": j.Trigger}
						if err != nil {
							ev["error"] = err.Error()
						} else {
							ev["status"], ev["duration_ns"] = run.Status, run.Duration
						}
						writeJSONLine(w, ev)
						return
					}
					if err != nil {
						say("%s/%s for %s (%s): %v", j.Crate, j.Workflow, org, j.Trigger, err)
						return
					}
					say("%s/%s for %s (%s): %s in %s", j.Crate, j.Workflow, org, j.Trigger, run.Status, run.Duration.Round(time.Millisecond))
				}})
			err = srv.Serve(c.Context)
			if err == nil && !c.Bool("json") {
				say("stopped; commands on %s open it themselves again", home)
			}
			return err
		},
	}
}
