package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

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
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
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
