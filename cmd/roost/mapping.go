package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/roosthq/roost/host"
)

func mappingCommand() *cli.Command {
	return &cli.Command{
		Name:    "mapping",
		Aliases: []string{"map"},
		Usage:   "link each organization to its account in an integrated tool",
		Description: `Mapping an integration takes these steps:

  roost mapping refresh halopsa          # pull the tool's accounts (the options)
  roost mapping suggest halopsa          # match them to organizations with rules, into a draft
  roost mapping show halopsa             # review: saved and draft side by side, 10 a page
  roost mapping set halopsa acme 1042    # override one by hand (also: unset)
  roost mapping save halopsa             # write the draft in one transaction

Nothing reaches workflows until it is saved; "discard" throws the draft
away. Mappings chosen by hand are never replaced by a suggestion unless
--overwrite. Export and import move a mapping as CSV. "roost mapping rules"
prints the default rules and the helper functions rules can call; "roost
mapping aliases" what suggest learned from the choices you saved.`,
		Subcommands: []*cli.Command{mappingRefreshCommand(), mappingSuggestCommand(), mappingShowCommand(),
			mappingSetCommand(), mappingUnsetCommand(), mappingSaveCommand(), mappingDiscardCommand(),
			mappingExportCommand(), mappingImportCommand(), mappingRulesCommand(), mappingAliasesCommand()},
	}
}

func oneIntegration(c *cli.Context, verb string) (string, error) {
	if c.NArg() != 1 {
		return "", usageErrorf("%s takes one INTEGRATION", verb)
	}
	return c.Args().First(), nil
}

func mappingRefreshCommand() *cli.Command {
	return &cli.Command{
		Name:      "refresh",
		Usage:     "pull every account from the tool, page by page",
		ArgsUsage: "INTEGRATION",
		Description: `Calls the connector's organizations capability until the tool has no more
pages, then replaces the stored options in one step. If anything fails
part-way — the tool, the network, a tool that sends the same page again —
the previous options stay and the error says what failed.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "the configuration to pull with (default: the integration's default)"},
			&cli.IntFlag{Name: "page-size", Value: 1000, Usage: "accounts asked for per page"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "refresh")
			if err != nil {
				return err
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			bar := newProgressBar(c, "pulling "+name)
			res, err := h.Mappings().Refresh(c.Context, name, host.RefreshOptions{Config: c.String("config"),
				PageSize: c.Int("page-size"), Progress: bar.update})
			bar.done()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			return printf(c.App.Writer, "pulled %d accounts of %s in %d pages (%s): %d new, %d gone\nnext: roost mapping suggest %s\n",
				res.Accounts, name, res.Pages, res.Took.Round(time.Millisecond), res.Added, res.Removed, name)
		},
	}
}

// progressBar draws refresh progress on stderr when it is a terminal.
type progressBar struct {
	f    *os.File
	what string
}

func newProgressBar(c *cli.Context, what string) *progressBar {
	f, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progressBar{}
	}
	fmt.Fprintf(f, "%s…", what)
	return &progressBar{f: f, what: what}
}

func (b *progressBar) update(p host.RefreshProgress) {
	if b.f == nil {
		return
	}
	if p.Total > 0 {
		const width = 30
		done := min(width, width*p.Accounts/p.Total)
		fmt.Fprintf(b.f, "\r\033[K%s [%s%s] %d/%d accounts, page %d", b.what, strings.Repeat("#", done), strings.Repeat(".", width-done), p.Accounts, p.Total, p.Page)
		return
	}
	fmt.Fprintf(b.f, "\r\033[K%s: %d accounts, page %d", b.what, p.Accounts, p.Page)
}

func (b *progressBar) done() {
	if b.f != nil {
		fmt.Fprint(b.f, "\r\033[K")
	}
}

func mappingSuggestCommand() *cli.Command {
	return &cli.Command{
		Name:      "suggest",
		Usage:     "match organizations to accounts with rules, into the draft",
		ArgsUsage: "INTEGRATION",
		Description: `Runs the rules (the default set, or --rules FILE; see roost mapping rules)
over each organization and the accounts a candidate index proposes for it.
Each organization gets at most one account and no account goes to two
organizations; the rest are reported as ambiguous or unmatched. The result
goes into the draft: review it with roost mapping show, then save.

Each suggestion has a confidence, from its score and its margin over the
runner-up: high, review or low. Only high ones are saved without a look: the
others are held for review (roost mapping show --review) and roost mapping
save leaves them in the draft until you set them or save with
--include-review. --min-confidence leaves weaker suggestions out of the draft.
When you save a mapping that differs from what was suggested, the choice is
learned: the next suggest maps that organization the same way and never
suggests the refused account again (roost mapping aliases).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rules", Usage: "a rule file to use instead of the default rules"},
			&cli.BoolFlag{Name: "explain", Usage: "show each suggestion's rule, score, margin, the words matched and the penalties"},
			&cli.BoolFlag{Name: "overwrite", Usage: "let suggestions replace mappings chosen by hand"},
			&cli.StringFlag{Name: "min-confidence", Value: "low", Usage: "leave suggestions below this confidence (high, review, low) out of the draft"},
			&cli.StringFlag{Name: "hold-below", Value: "high", Usage: "hold suggestions below this confidence for review (low holds none)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "suggest")
			if err != nil {
				return err
			}
			opts := host.SuggestOptions{Explain: c.Bool("explain"), Overwrite: c.Bool("overwrite"),
				MinConfidence: c.String("min-confidence"), HoldBelow: c.String("hold-below")}
			if p := c.String("rules"); p != "" {
				if opts.Rules, err = os.ReadFile(p); err != nil {
					return err
				}
				opts.RulesSource = p
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			done := progress(c, "matching")
			rep, err := h.Mappings().Suggest(c.Context, name, opts)
			done()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, rep)
			}
			w := c.App.Writer
			if c.Bool("explain") {
				printExplained(w, rep.Suggestions)
			}
			printf(w, "suggested %d accounts (%d differ from the saved mapping) in %s\n", len(rep.Suggestions), rep.Changed, rep.Took.Round(time.Millisecond))
			if rep.Review > 0 {
				printf(w, "held for review: %d suggestions below high confidence (roost mapping show %s --review; save keeps them in the draft)\n", rep.Review, name)
			}
			if rep.BelowMin > 0 {
				printf(w, "left out: %d suggestions below --min-confidence %s\n", rep.BelowMin, c.String("min-confidence"))
			}
			if rep.Learned > 0 {
				printf(w, "learned: %d organizations mapped as you chose before (roost mapping aliases list %s)\n", rep.Learned, name)
			}
			if len(rep.Refused) > 0 {
				printf(w, "refused: %d suggestions of accounts you had refused for those organizations: %s\n", len(rep.Refused), strings.Join(firstOf(rep.Refused, 10), ", "))
			}
			if len(rep.Ambiguous) > 0 {
				printf(w, "ambiguous: %d organizations (equally good candidates):\n", len(rep.Ambiguous))
				for i, org := range sortedKeys(rep.Ambiguous) {
					if i == 10 {
						printf(w, "  … and %d more (roost mapping show %s --unmapped)\n", len(rep.Ambiguous)-10, name)
						break
					}
					printf(w, "  %s: %s\n", org, strings.Join(rep.Ambiguous[org], ", "))
				}
			}
			if len(rep.Unmatched) > 0 {
				printf(w, "unmatched: %d organizations\n", len(rep.Unmatched))
			}
			if len(rep.Kept) > 0 {
				printf(w, "kept: %d mappings chosen by hand (--overwrite replaces them)\n", len(rep.Kept))
			}
			if len(rep.Unset) > 0 {
				printf(w, "unset: %d rule-made mappings lost their account to a better match: %s\n", len(rep.Unset), strings.Join(rep.Unset, ", "))
			}
			return printf(w, "review with: roost mapping show %s   then: roost mapping save %s\n", name, name)
		},
	}
}

func mappingShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Aliases:   []string{"review"},
		Usage:     "review an integration's mapping, saved and draft side by side",
		ArgsUsage: "INTEGRATION",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "page", Value: 1, Usage: "the page to show"},
			&cli.IntFlag{Name: "page-size", Value: host.DefaultPageSize, Usage: "organizations per page"},
			&cli.BoolFlag{Name: "unmapped", Usage: "only organizations with no account, saved or drafted"},
			&cli.BoolFlag{Name: "changed", Usage: "only organizations with a change in the draft"},
			&cli.BoolFlag{Name: "review", Usage: "only suggestions held for review (below high confidence)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "show")
			if err != nil {
				return err
			}
			if c.Int("page") < 1 || c.Int("page-size") < 1 {
				return usageErrorf("--page and --page-size must be at least 1")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			page, err := h.Mappings().View(c.Context, name, host.ViewOptions{Page: c.Int("page"), PageSize: c.Int("page-size"),
				Unmapped: c.Bool("unmapped"), Changed: c.Bool("changed"), Review: c.Bool("review")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, page)
			}
			return printMappingPage(c.App.Writer, page)
		},
	}
}

func printMappingPage(w io.Writer, p *host.MappingPage) error {
	refreshed := "never refreshed"
	if !p.RefreshedAt.IsZero() {
		refreshed = fmt.Sprintf("%d accounts pulled %s", p.Options, p.RefreshedAt.Local().Format("2006-01-02 15:04"))
	}
	printf(w, "%s: %d of %d organizations mapped, %d pending in the draft; %s\n\n", p.Integration, p.Mapped, p.Organization, p.Pending, refreshed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORG\tNAME\tSAVED\tDRAFT\tSTATUS\t")
	for _, r := range p.Rows {
		saved, draft := "-", "-"
		if r.Saved != nil {
			saved = r.Saved.AccountID + " " + r.Saved.AccountName
		}
		if r.Draft != nil {
			if r.Draft.Unset {
				draft = "(unset)"
			} else {
				draft = r.Draft.AccountID + " " + r.Draft.AccountName
			}
			switch {
			case r.Draft.Review:
				draft += " [" + r.Draft.SetBy + ", " + r.Draft.Confidence + ": review]"
			case r.Draft.SetBy != "":
				draft += " [" + r.Draft.SetBy + "]"
			}
		}
		status := r.Status
		if len(r.Ambiguous) > 0 && r.Draft == nil {
			var ids []string
			for _, a := range r.Ambiguous {
				ids = append(ids, a.ID)
			}
			status += ": " + strings.Join(ids, " or ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Org, r.OrgName, saved, draft, status)
	}
	tw.Flush()
	printf(w, "\npage %d of %d (%d organizations, %d a page)", p.Page, p.Pages, p.Total, p.PageSize)
	if p.Page < p.Pages {
		printf(w, "; next: --page %d", p.Page+1)
	}
	return printf(w, "\n")
}

func mappingSetCommand() *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "map an organization to an account by hand, in the draft",
		ArgsUsage: "INTEGRATION ORG ACCOUNT",
		Description: `ORG is an organization id or exact name; ACCOUNT is an account id or exact
name among the pulled options. The choice is marked as made by hand:
suggestions leave it alone unless --overwrite.`,
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 3 {
				return usageErrorf("set takes INTEGRATION ORG ACCOUNT")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			e, err := h.Mappings().Set(c.Context, c.Args().Get(0), c.Args().Get(1), c.Args().Get(2))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, e)
			}
			return printf(c.App.Writer, "draft: %s → %s %s (save with roost mapping save %s)\n", c.Args().Get(1), e.AccountID, e.AccountName, c.Args().Get(0))
		},
	}
}

func mappingUnsetCommand() *cli.Command {
	return &cli.Command{
		Name:      "unset",
		Usage:     "remove an organization's mapping, in the draft",
		ArgsUsage: "INTEGRATION ORG",
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageErrorf("unset takes INTEGRATION ORG")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			if err := h.Mappings().Unset(c.Context, c.Args().Get(0), c.Args().Get(1)); err != nil {
				return err
			}
			return printf(c.App.Writer, "draft: %s unmapped (save with roost mapping save %s)\n", c.Args().Get(1), c.Args().Get(0))
		},
	}
}

func mappingSaveCommand() *cli.Command {
	return &cli.Command{
		Name:      "save",
		Usage:     "write the draft to the saved mapping, all or nothing",
		ArgsUsage: "INTEGRATION",
		Description: `Suggestions held for review (below high confidence) stay in the draft
unless you set them by hand or give --include-review. Where you chose another
account than the one suggested (or unset a suggestion), the choice is learned
for the next roost mapping suggest (see roost mapping aliases).`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "include-review", Usage: "save suggestions held for review too"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "save")
			if err != nil {
				return err
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			res, err := h.Mappings().Save(c.Context, name, host.SaveOptions{IncludeReview: c.Bool("include-review")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, res)
			}
			w := c.App.Writer
			printf(w, "saved the mapping of %s: %d set, %d removed\n", name, res.Saved, res.Removed)
			if res.Learned > 0 {
				printf(w, "learned %d choices that differ from the suggestions (roost mapping aliases list %s)\n", res.Learned, name)
			}
			if len(res.Held) > 0 {
				printf(w, "held for review: %d suggestions stay in the draft (roost mapping show %s --review; set them, or save --include-review)\n", len(res.Held), name)
			}
			return nil
		},
	}
}

func mappingDiscardCommand() *cli.Command {
	return &cli.Command{
		Name:      "discard",
		Usage:     "throw the draft away",
		ArgsUsage: "INTEGRATION",
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "discard")
			if err != nil {
				return err
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			n, err := h.Mappings().Discard(c.Context, name)
			if err != nil {
				return err
			}
			return printf(c.App.Writer, "discarded %d pending changes of %s\n", n, name)
		},
	}
}

func mappingExportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the saved mapping as CSV",
		ArgsUsage: "INTEGRATION",
		Action: func(c *cli.Context) error {
			name, err := oneIntegration(c, "export")
			if err != nil {
				return err
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			return h.Mappings().Export(c.Context, name, c.App.Writer)
		},
	}
}

func mappingImportCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "read a mapping from CSV into the draft",
		ArgsUsage: "INTEGRATION FILE.csv|-",
		Description: `The CSV needs orgId (or orgName) and accountId (or accountName) columns, as
export writes them. Bad rows are reported by line and left out; the rest go
into the draft as choices made by hand. Nothing is saved until
roost mapping save.`,
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageErrorf("import takes INTEGRATION and FILE.csv (or -)")
			}
			var r io.Reader = c.App.Reader
			if p := c.Args().Get(1); p != "-" {
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			rep, err := h.Mappings().Import(c.Context, c.Args().First(), r)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, rep)
			}
			for _, e := range rep.Errors {
				fmt.Fprintf(c.App.ErrWriter, "line %d: %s\n", e.Line, e.Message)
			}
			printf(c.App.Writer, "drafted %d mappings; %d bad rows\n", rep.Drafted, len(rep.Errors))
			if len(rep.Errors) > 0 {
				return &exitError{code: exitFailure, err: errors.New("some rows were bad")}
			}
			return nil
		},
	}
}

func mappingRulesCommand() *cli.Command {
	return &cli.Command{
		Name:  "rules",
		Usage: "print the default suggestion rules and the helper functions",
		Description: `Prints the default rule file; save it, change it and pass it to
roost mapping suggest --rules FILE. --check FILE compiles a rule file and
reports the first error with its line and column.`,
		Flags: []cli.Flag{&cli.StringFlag{Name: "check", Usage: "compile this rule file and report problems"}},
		Action: func(c *cli.Context) error {
			w := c.App.Writer
			if p := c.String("check"); p != "" {
				text, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				n, err := host.CheckRules(p, text)
				if err != nil {
					return err
				}
				return printf(w, "%s: %d rules compile\n", p, n)
			}
			if _, err := w.Write(host.DefaultRules()); err != nil {
				return err
			}
			printf(w, "\n# Helper functions:\n")
			for _, hf := range host.RuleHelpers() {
				printf(w, "#   %-40s %s\n", hf.Signature, hf.Doc)
			}
			return nil
		},
	}
}

// printExplained lists each suggestion with its rule, score, confidence
// and margin, then the words matched and the penalties.
func printExplained(w io.Writer, list []host.Suggestion) {
	for _, s := range list {
		mark := ""
		if s.Review {
			mark = ", held for review"
		}
		fmt.Fprintf(w, "%s → %s %s: rule %s (score %.3f, %s confidence, margin %.3f%s)\n", s.Org, s.Account, s.AccountName, s.Rule, s.Score, s.Confidence, s.Margin, mark)
		if s.Why != "" {
			fmt.Fprintf(w, "  %s\n", s.Why)
		}
		e := s.Explanation
		if e == nil {
			continue
		}
		if len(e.Matched) > 0 {
			parts := make([]string, len(e.Matched))
			for i, m := range e.Matched {
				parts[i] = fmt.Sprintf("%s~%s (%s, %.2f)", m.Org, m.Account, m.How, m.Weight)
			}
			fmt.Fprintf(w, "  matched: %s\n", strings.Join(parts, ", "))
		}
		for _, p := range e.Penalties {
			fmt.Fprintf(w, "  penalty %.2f: %s %s\n", p.Cost, p.Reason, strings.Join(p.Words, " "))
		}
		if e.RunnerUp != "" {
			fmt.Fprintf(w, "  runner-up %s (%.3f)\n", e.RunnerUp, e.RunnerUpScore)
		}
	}
	fmt.Fprintln(w)
}

func firstOf(list []string, n int) []string {
	if len(list) > n {
		return append(list[:n:n], fmt.Sprintf("… %d more", len(list)-n))
	}
	return list
}

func mappingAliasesCommand() *cli.Command {
	return &cli.Command{
		Name:  "aliases",
		Usage: "what suggest learned from your choices: list, remove",
		Description: `When a saved mapping differs from what was suggested, Roost keeps the
choice: the organization is the account you chose ("same"), and is not the one
suggested ("never"). The next roost mapping suggest uses them.

  roost mapping aliases list halopsa
  roost mapping aliases remove halopsa acme-corp [ACCOUNT]`,
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list an integration's lessons", ArgsUsage: "INTEGRATION", Flags: []cli.Flag{jsonFlag()},
				Action: func(c *cli.Context) error {
					name, err := oneIntegration(c, "aliases list")
					if err != nil {
						return err
					}
					h, err := connect(c)
					if err != nil {
						return err
					}
					defer h.close()
					list, err := h.Mappings().Aliases(c.Context, name)
					if err != nil {
						return err
					}
					w := c.App.Writer
					if c.Bool("json") {
						return writeJSON(w, list)
					}
					if len(list) == 0 {
						return printf(w, "nothing learned for %s yet: it learns when you save a mapping that differs from a suggestion\n", name)
					}
					tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "ORG\tKIND\tACCOUNT\tSINCE\t")
					for _, a := range list {
						fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\n", a.Org, a.Kind, a.Account, a.AccountName, a.At.Local().Format("2006-01-02"))
					}
					return tw.Flush()
				},
			},
			{
				Name: "remove", Usage: "forget what was learned for an organization (or only about one account)",
				ArgsUsage: "INTEGRATION ORG [ACCOUNT]", Flags: []cli.Flag{jsonFlag()},
				Action: func(c *cli.Context) error {
					if c.NArg() < 2 || c.NArg() > 3 {
						return usageErrorf("aliases remove takes INTEGRATION ORG [ACCOUNT]")
					}
					h, err := connect(c)
					if err != nil {
						return err
					}
					defer h.close()
					name, org := c.Args().Get(0), c.Args().Get(1)
					n, err := h.Mappings().ForgetAlias(c.Context, name, org, c.Args().Get(2))
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(c.App.Writer, map[string]int{"removed": n})
					}
					return printf(c.App.Writer, "removed %d lessons for %s in %s\n", n, org, name)
				},
			},
		},
	}
}
