package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

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
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
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
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			def, st, err := h.Crates().Show(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, map[string]any{"crate": def, "status": st})
			}
			w := c.App.Writer
			printf(w, "%s %s (%s, %s)\n  %s\n\nintegrations\n", def.Name, def.Version, dash(def.Category), dash(def.Maturity), def.Description)
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
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
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
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			if err := h.Crates().Remove(c.Context, c.Args().First()); err != nil {
				return err
			}
			return printf(c.App.Writer, "removed %s\n", c.Args().First())
		},
	}
}
