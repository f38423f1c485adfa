package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

func cratesCommand() *cli.Command {
	return &cli.Command{
		Name:    "crates",
		Aliases: []string{"crate"},
		Usage:   "packages of prebuilt workflows: list, show, unpack, remove",
		Description: `A crate declares the integrations it needs; unpacking checks every need for the
chosen organizations (installed, right version, configured, mapped) and
installs its workflows only if all are met — otherwise it lists all of them
with what to do. docs/crate-format.md describes the format.

  roost crates list
  roost crates show psa-ticket-for-orgs
  roost crates unpack psa-ticket-for-orgs --org acme --org globex --var summary="Check-in" [--plan]
  roost run open-review-ticket --org acme
  roost runs list`,
		Subcommands: []*cli.Command{cratesListCommand(), cratesShowCommand(), cratesUnpackCommand(), cratesRemoveCommand()},
	}
}

func cratesListCommand() *cli.Command {
	return &cli.Command{
		Name: "list", Aliases: []string{"ls"}, Usage: "bundled and unpacked crates, with how ready their integrations are",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			list, err := h.Crates().List(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, list)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CRATE\tVERSION\tSTATE\tINTEGRATIONS\tDESCRIPTION\t")
			for _, s := range list {
				state := "available"
				if s.Unpacked {
					state = fmt.Sprintf("unpacked for %d orgs", len(s.Orgs))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, s.Version, state, needsLine(s.Needs), s.Description)
			}
			return tw.Flush()
		},
	}
}

func needsLine(needs []host.NeedStatus) string {
	var parts []string
	for _, n := range needs {
		st := n.Status
		if n.Status == "mapped" || n.Status == "configured" {
			st = fmt.Sprintf("mapped for %d of %d orgs", n.Mapped, n.Orgs)
		}
		parts = append(parts, n.Integration+": "+st)
	}
	return strings.Join(parts, "; ")
}

func cratesShowCommand() *cli.Command {
	return &cli.Command{
		Name: "show", Usage: "a crate's integrations, variables, workflows and triggers", ArgsUsage: "NAME",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("show takes one NAME")
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			def, st, err := h.Crates().Show(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, map[string]any{"crate": def, "status": st})
			}
			w := c.App.Writer
			printf(w, "%s %s (%s, %s)\n  %s\n\nintegrations\n", def.Name, def.Version, orDash(def.Category), orDash(def.Maturity), def.Description)
			for i, n := range def.Needs {
				printf(w, "  %s %s: %s — %s\n", n.Name, n.Version, strings.Join(n.Actions, ", "), st.Needs[i].Status)
			}
			if len(def.Variables) > 0 {
				printf(w, "\nvariables\n")
				for _, v := range def.Variables {
					printf(w, "  %s (%s, default %v): %s\n", v.Name, v.Type, v.Default, v.Description)
				}
			}
			printf(w, "\nworkflows\n")
			for _, wf := range def.Workflows {
				printf(w, "  %s: %s\n", wf.Name, wf.Description)
				for _, s := range wf.Steps {
					printf(w, "    %s → %s\n", s.ID, s.Action)
				}
			}
			for _, t := range def.Triggers {
				kind := "manual"
				if t.Cron != "" {
					kind = "cron " + t.Cron
				} else if t.Webhook != "" {
					kind = "webhook " + t.Webhook
				}
				printf(w, "trigger: %s on %s\n", t.Workflow, kind)
			}
			return nil
		},
	}
}

func orDash(s string) string { return dash(s) }

func parseVars(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, usageErrorf("--var %q: want NAME=VALUE", kv)
		}
		out[k] = v
	}
	return out, nil
}

func cratesUnpackCommand() *cli.Command {
	return &cli.Command{
		Name: "unpack", Usage: "check every need and install a crate's workflows for organizations", ArgsUsage: "NAME|PATH",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "org", Usage: "an organization to run the workflows for (repeatable)"},
			&cli.BoolFlag{Name: "all-orgs", Usage: "every enabled organization you manage"},
			&cli.StringSliceFlag{Name: "var", Usage: "a crate variable NAME=VALUE (repeatable)"},
			&cli.BoolFlag{Name: "plan", Usage: "check and show what would happen; unpack nothing"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("unpack takes one crate NAME or PATH")
			}
			vars, err := parseVars(c.StringSlice("var"))
			if err != nil {
				return err
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			res, err := h.Crates().Unpack(c.Context, c.Args().First(), host.UnpackOptions{Orgs: c.StringSlice("org"),
				AllOrgs: c.Bool("all-orgs"), Vars: vars, Plan: c.Bool("plan")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			w := c.App.Writer
			verb := "unpacked"
			if res.Planned {
				verb = "would unpack (every need is met)"
			}
			printf(w, "%s %s %s for %d organizations: %s\n", verb, res.Crate, res.Version, len(res.Orgs), strings.Join(res.Orgs, ", "))
			printf(w, "workflows: %s\ntriggers: %s\n", strings.Join(res.Workflows, ", "), strings.Join(res.Triggers, "; "))
			return nil
		},
	}
}

func cratesRemoveCommand() *cli.Command {
	return &cli.Command{
		Name: "remove", Aliases: []string{"rm"}, Usage: "remove an unpacked crate and its workflows", ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("remove takes one NAME")
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			if err := h.Crates().Remove(c.Context, c.Args().First()); err != nil {
				return err
			}
			return printf(c.App.Writer, "removed %s\n", c.Args().First())
		},
	}
}

func runCommand() *cli.Command {
	return &cli.Command{
		Name: "run", Usage: "run an unpacked crate's workflow for an organization", ArgsUsage: "WORKFLOW",
		Description: `WORKFLOW is a workflow name, or CRATE/WORKFLOW when two crates share one. Each
step is printed as it finishes; the run is recorded (roost runs show ID).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "org", Required: true, Usage: "the organization"},
			&cli.StringSliceFlag{Name: "var", Usage: "override a crate variable NAME=VALUE for this run"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("run takes one WORKFLOW")
			}
			vars, err := parseVars(c.StringSlice("var"))
			if err != nil {
				return err
			}
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			w := c.App.Writer
			asJSON := c.Bool("json")
			onStep := func(s host.StepRecord) {
				if !asJSON {
					printStep(w, s)
				}
			}
			rec, run, err := h.Crates().Run(c.Context, c.Args().First(), c.String("org"), host.RunOptions{Vars: vars, OnStep: onStep})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(w, map[string]any{"id": rec.ID, "run": run})
			}
			printf(w, "run %d %s in %s\n", rec.ID, run.Status, run.Duration.Round(time.Millisecond))
			if run.Status != "succeeded" {
				return &exitError{code: exitConnector, err: fmt.Errorf("%s", run.Error)}
			}
			return nil
		},
	}
}

func printStep(w io.Writer, s host.StepRecord) {
	d := s.Duration.Round(100 * time.Microsecond)
	switch {
	case s.Skipped:
		printf(w, "  ⏭  %-10s %s skipped (condition false)\n", s.ID, s.Action)
	case s.Error != "":
		printf(w, "  ✗  %-10s %s failed after %d tries (%s): %s\n", s.ID, s.Action, s.Attempts, d, s.Error)
	default:
		printf(w, "  ✓  %-10s %s %s → %s (%s)\n", s.ID, s.Action, short(string(s.Input), 60), short(string(s.Output), 80), d)
	}
}

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func runsCommand() *cli.Command {
	return &cli.Command{
		Name: "runs", Usage: "recorded workflow runs: list, show",
		Subcommands: []*cli.Command{
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "the newest runs", Flags: []cli.Flag{&cli.IntFlag{Name: "limit", Value: 20}, jsonFlag()},
				Action: func(c *cli.Context) error {
					h, err := openHost(c, host.Config{})
					if err != nil {
						return err
					}
					defer closeHost(h)
					runs, err := h.Crates().Runs(c.Context, c.Int("limit"))
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(c.App.Writer, runs)
					}
					tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ID\tSTARTED\tCRATE\tWORKFLOW\tORG\tSTATUS\t")
					for _, r := range runs {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"), r.Crate, r.Workflow, r.Org, r.Status)
					}
					return tw.Flush()
				},
			},
			{
				Name: "show", Usage: "one run with every step's input, output and error", ArgsUsage: "ID", Flags: []cli.Flag{jsonFlag()},
				Action: func(c *cli.Context) error {
					id, err := strconv.Atoi(c.Args().First())
					if c.NArg() != 1 || err != nil {
						return usageErrorf("show takes one run ID")
					}
					h, err := openHost(c, host.Config{})
					if err != nil {
						return err
					}
					defer closeHost(h)
					rec, run, err := h.Crates().RunByID(c.Context, id)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(c.App.Writer, map[string]any{"id": rec.ID, "crate": rec.Crate, "run": run})
					}
					w := c.App.Writer
					printf(w, "run %d: %s/%s for %s, %s, started %s, took %s\n", rec.ID, rec.Crate, run.Workflow, run.Org, run.Status,
						run.StartedAt.Local().Format("2006-01-02 15:04:05"), run.Duration.Round(time.Millisecond))
					for _, s := range run.Steps {
						printStep(w, s)
					}
					if run.Error != "" {
						printf(w, "error: %s\n", run.Error)
					}
					return nil
				},
			},
		},
	}
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run unpacked crates' cron and webhook triggers until stopped",
		Description: `A long-running process. Cron triggers run their workflow for the crate's
organizations at each scheduled minute; webhooks are received on --addr:

  curl -X POST http://127.0.0.1:8787/hooks/CRATE/WEBHOOK?org=ORG

Every trigger is written to the store as a job before it is acknowledged
(202), and jobs a stopped server left run when the next one starts. Ctrl-C
stops after the run in progress.`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8787", Usage: "where to receive webhooks"}},
		Action: func(c *cli.Context) error {
			h, err := openHost(c, host.Config{})
			if err != nil {
				return err
			}
			defer closeHost(h)
			w := c.App.Writer
			var mu sync.Mutex
			say := func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				printf(w, time.Now().Format("15:04:05")+" "+format+"\n", args...)
			}
			cr := h.Crates()
			srv := cr.NewServer(host.ServeOptions{Addr: c.String("addr"),
				Listening: func(addr string) {
					triggers, _ := cr.Triggers(c.Context, time.Now())
					say("serving on %s; %d triggers", addr, len(triggers))
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
					if err != nil {
						say("%s/%s for %s (%s): %v", j.Crate, j.Workflow, org, j.Trigger, err)
						return
					}
					say("%s/%s for %s (%s): %s in %s", j.Crate, j.Workflow, org, j.Trigger, run.Status, run.Duration.Round(time.Millisecond))
				}})
			return srv.Serve(c.Context)
		},
	}
}
