package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
)

func runsCommand() *cli.Command {
	return &cli.Command{
		Name: "runs", Usage: "recorded workflow runs: list, show",
		Subcommands: []*cli.Command{
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "the newest runs", Flags: []cli.Flag{&cli.IntFlag{Name: "limit", Value: 20}, jsonFlag()},
				Action: func(c *cli.Context) error {
					h, err := connect(c)
					if err != nil {
						return err
					}
					defer h.close()
					runs, err := h.Crates().Runs(c.Context, c.Int("limit"))
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(c.App.Writer, runs)
					}
					if len(runs) == 0 {
						return printf(c.App.Writer, "no runs yet: unpack a crate (roost crates list), then roost run WORKFLOW --org ORG\n")
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
					h, err := connect(c)
					if err != nil {
						return err
					}
					defer h.close()
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
