package main

import (
	"fmt"
	"os/user"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

func requestsCommand() *cli.Command {
	asFlag := &cli.StringFlag{Name: "as", Usage: "who is asking or voting (default: your user name)"}
	return &cli.Command{
		Name:    "requests",
		Aliases: []string{"request"},
		Usage:   "ask for integrations Roost does not have yet, and vote for them",
		Description: `  roost requests add "IT Glue" --reason "documentation for every client"
  roost requests vote 3
  roost requests list`,
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "request an integration (counts as your vote)",
				ArgsUsage: `"TOOL NAME"`,
				Flags:     []cli.Flag{&cli.StringFlag{Name: "reason", Usage: "what you would automate with it"}, asFlag, jsonFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErrorf(`requests add: want one tool name (quote it: roost requests add "IT Glue"); got %d arguments`, c.NArg())
					}
					return withRequests(c, func(r *host.Requests) error {
						req, err := r.Add(c.Context, c.Args().First(), c.String("reason"), voter(c))
						if err != nil {
							return err
						}
						if c.Bool("json") {
							return writeJSON(c.App.Writer, requestView(req))
						}
						return printf(c.App.Writer, "requested %s (request %d); others can vote with: roost requests vote %d\n", req.Name, req.ID, req.ID)
					})
				},
			},
			{
				Name:      "vote",
				Usage:     "vote for a request",
				ArgsUsage: "ID",
				Flags:     []cli.Flag{asFlag, jsonFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErrorf("requests vote: want one request ID (see roost requests list)")
					}
					id, err := strconv.Atoi(c.Args().First())
					if err != nil || id <= 0 {
						return usageErrorf("requests vote: %q is not a request ID (a positive number; see roost requests list)", c.Args().First())
					}
					return withRequests(c, func(r *host.Requests) error {
						req, err := r.Vote(c.Context, id, voter(c))
						if err != nil {
							return err
						}
						if c.Bool("json") {
							return writeJSON(c.App.Writer, requestView(req))
						}
						return printf(c.App.Writer, "voted for %s (request %d): %d votes\n", req.Name, req.ID, req.Votes())
					})
				},
			},
			{
				Name:    "list",
				Aliases: []string{"ls"},
				Usage:   "list requests, most votes first",
				Flags:   []cli.Flag{jsonFlag()},
				Action: func(c *cli.Context) error {
					return withRequests(c, func(r *host.Requests) error {
						all, err := r.List(c.Context)
						if err != nil {
							return err
						}
						if c.Bool("json") {
							views := make([]requestJSON, len(all))
							for i, req := range all {
								views[i] = requestView(req)
							}
							return writeJSON(c.App.Writer, views)
						}
						if len(all) == 0 {
							return printf(c.App.Writer, "no requests yet: roost requests add \"TOOL NAME\"\n")
						}
						tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
						fmt.Fprintln(tw, "ID\tVOTES\tTOOL\tREQUESTED BY\tREASON\t")
						for _, req := range all {
							fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t\n", req.ID, req.Votes(), req.Name, req.CreatedBy, req.Reason)
						}
						return tw.Flush()
					})
				},
			},
		},
	}
}

type requestJSON struct {
	host.Request
	Votes int `json:"votes"`
}

func requestView(r host.Request) requestJSON { return requestJSON{Request: r, Votes: r.Votes()} }

func withRequests(c *cli.Context, fn func(*host.Requests) error) error {
	h, err := connect(c)
	if err != nil {
		return err
	}
	defer h.close()
	return fn(h.Requests())
}

// voter is --as, else the user's login name.
func voter(c *cli.Context) string {
	if v := c.String("as"); v != "" {
		return v
	}
	if v := options(c).Getenv("USER"); v != "" {
		return v
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}
