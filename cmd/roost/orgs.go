package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
)

func orgsCommand() *cli.Command {
	return &cli.Command{
		Name:    "orgs",
		Aliases: []string{"org", "organizations"},
		Usage:   "your organizations: your own and the customers you manage",
		Description: `Organizations are what automations run for. Each is mapped to the matching
account in every integrated tool (see roost mapping). An organization has an
id (a slug such as "acme-corp", derived from the name unless given), a
name, domains, tags and free attributes; attributes such as halopsa_id or
tenant_id let the mapping rules match on identity before names.

  roost orgs add "Roost MSP" --own
  roost orgs add "Acme Corporation" --domain acme.com --tag gold --attr halopsa_id=101
  roost orgs import customers.csv
  roost orgs list
  roost orgs show acme-corporation
  roost orgs rename acme-corporation "ACME Corp"
  roost orgs remove acme-corporation
  roost orgs export > customers.csv`,
		Subcommands: []*cli.Command{orgsAddCommand(), orgsListCommand(), orgsShowCommand(), orgsRenameCommand(),
			orgsEditCommand(), orgsRemoveCommand(), orgsImportCommand(), orgsExportCommand()},
	}
}

func orgFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "domain", Usage: "a web or e-mail domain of the organization (repeatable)"},
		&cli.StringSliceFlag{Name: "tag", Usage: "a tag (repeatable)"},
		&cli.StringSliceFlag{Name: "attr", Usage: "an attribute NAME=VALUE, e.g. halopsa_id=101 (repeatable)"},
		&cli.StringFlag{Name: "parent", Usage: "the id of the organization that manages this one (default: your own)"},
		&cli.BoolFlag{Name: "disabled", Usage: "left out of mapping and automations"},
	}
}

func parseAttrs(list []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErrorf("--attr %q: want NAME=VALUE", kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

func orgsAddCommand() *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "add an organization",
		ArgsUsage: "NAME",
		Flags: append(orgFlags(),
			&cli.StringFlag{Name: "id", Usage: "the organization's id (default: made from the name)"},
			&cli.BoolFlag{Name: "own", Usage: "this is your own organization, which manages the others"},
			jsonFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("add takes one NAME (quote a name with spaces)")
			}
			attrs, err := parseAttrs(c.StringSlice("attr"))
			if err != nil {
				return err
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			org, err := h.Organizations().Add(c.Context, host.OrgInput{Name: c.Args().First(), ID: c.String("id"),
				ParentID: c.String("parent"), Domains: c.StringSlice("domain"), Tags: c.StringSlice("tag"),
				Attributes: attrs, Disabled: c.Bool("disabled"), Own: c.Bool("own")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, org)
			}
			return printf(c.App.Writer, "added %s (%s)\n", org.ID, org.Name)
		},
	}
}

func orgsListCommand() *cli.Command {
	return &cli.Command{
		Name:    "list",
		Aliases: []string{"ls"},
		Usage:   "list organizations",
		Flags:   []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			all, err := h.Organizations().List(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if all == nil {
					all = []host.Organization{}
				}
				return writeJSON(c.App.Writer, all)
			}
			if len(all) == 0 {
				return printf(c.App.Writer, "no organizations yet: add one with roost orgs add NAME, or import a CSV with roost orgs import FILE.csv\n")
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPARENT\tDOMAINS\tTAGS\t")
			for _, o := range all {
				name := o.Name
				if o.Own {
					name += " (yours)"
				}
				if o.Disabled {
					name += " (disabled)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.ID, name, dash(o.ParentID), dash(strings.Join(o.Domains, ", ")), dash(strings.Join(o.Tags, ", ")))
			}
			fmt.Fprintf(tw, "\n%d organizations\n", len(all))
			return tw.Flush()
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orgsShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show an organization and its accounts in each integration",
		ArgsUsage: "ORG",
		Flags:     []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("show takes one ORG (an id or a name)")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			org, err := h.Organizations().Get(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			l, err := h.Integrations().List(c.Context)
			if err != nil {
				return err
			}
			var accounts []host.MappedAccount
			for _, in := range l.Installed {
				if a, err := h.Mappings().AccountFor(c.Context, in.Name, org.ID); err == nil {
					accounts = append(accounts, a)
				}
			}
			if c.Bool("json") {
				if accounts == nil {
					accounts = []host.MappedAccount{}
				}
				return writeJSON(c.App.Writer, struct {
					host.Organization
					Accounts []host.MappedAccount `json:"accounts"`
				}{org, accounts})
			}
			w := c.App.Writer
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "id\t%s\nname\t%s\n", org.ID, org.Name)
			if org.Own {
				fmt.Fprintln(tw, "role\tyour own organization")
			}
			fmt.Fprintf(tw, "managed by\t%s\nenabled\t%v\ndomains\t%s\ntags\t%s\n", dash(org.ParentID), !org.Disabled,
				dash(strings.Join(org.Domains, ", ")), dash(strings.Join(org.Tags, ", ")))
			for _, k := range sortedKeys(org.Attributes) {
				fmt.Fprintf(tw, "attr %s\t%s\n", k, org.Attributes[k])
			}
			fmt.Fprintln(tw, "\naccounts")
			if len(accounts) == 0 {
				fmt.Fprintln(tw, "  none mapped yet (see roost mapping)")
			}
			for _, a := range accounts {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Integration, a.AccountID, a.AccountName)
			}
			return tw.Flush()
		},
	}
}

func orgsRenameCommand() *cli.Command {
	return &cli.Command{
		Name:      "rename",
		Usage:     "change an organization's name (and, with --id, its id)",
		ArgsUsage: "ORG NEW-NAME",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "id", Usage: "also change the id; mappings move with it"}, jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageErrorf("rename takes ORG and NEW-NAME")
			}
			name := c.Args().Get(1)
			ch := host.OrgChange{Name: &name}
			if c.IsSet("id") {
				id := c.String("id")
				ch.ID = &id
			}
			return updateOrg(c, c.Args().First(), ch)
		},
	}
}

func updateOrg(c *cli.Context, ref string, ch host.OrgChange) error {
	h, err := connect(c)
	if err != nil {
		return err
	}
	defer h.close()
	org, err := h.Organizations().Update(c.Context, ref, ch)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, org)
	}
	return printf(c.App.Writer, "updated %s (%s)\n", org.ID, org.Name)
}

func orgsEditCommand() *cli.Command {
	return &cli.Command{
		Name:      "edit",
		Usage:     "change an organization's domains, tags, attributes, parent or state",
		ArgsUsage: "ORG",
		Description: `Only the flags given change anything. --domain and --tag replace the lists
(give --domain "" to clear); --attr NAME=VALUE sets one attribute and
--unset-attr NAME removes one.`,
		Flags: append(orgFlags(), &cli.BoolFlag{Name: "enabled", Usage: "include it in mapping and automations again"},
			&cli.StringSliceFlag{Name: "unset-attr", Usage: "remove an attribute (repeatable)"}, jsonFlag()),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("edit takes one ORG")
			}
			var ch host.OrgChange
			if c.IsSet("domain") {
				d := c.StringSlice("domain")
				ch.Domains = &d
			}
			if c.IsSet("tag") {
				t := c.StringSlice("tag")
				ch.Tags = &t
			}
			if c.IsSet("parent") {
				p := c.String("parent")
				ch.ParentID = &p
			}
			if c.Bool("disabled") && c.Bool("enabled") {
				return usageErrorf("--disabled and --enabled contradict each other")
			}
			if c.IsSet("disabled") || c.IsSet("enabled") {
				d := c.Bool("disabled")
				ch.Disabled = &d
			}
			attrs, err := parseAttrs(c.StringSlice("attr"))
			if err != nil {
				return err
			}
			ch.Attributes = map[string]*string{}
			for k, v := range attrs {
				ch.Attributes[k] = &v
			}
			for _, k := range c.StringSlice("unset-attr") {
				ch.Attributes[k] = nil
			}
			return updateOrg(c, c.Args().First(), ch)
		},
	}
}

func orgsRemoveCommand() *cli.Command {
	return &cli.Command{
		Name:      "remove",
		Aliases:   []string{"rm", "delete"},
		Usage:     "remove an organization and its mappings",
		ArgsUsage: "ORG",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}, jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("remove takes one ORG")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			org, err := h.Organizations().Get(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			if !c.Bool("yes") && !confirm(c, fmt.Sprintf("Remove %s (%s) and its mappings?", org.ID, org.Name)) {
				return printf(c.App.Writer, "not removed: %s stays\n", org.ID)
			}
			if _, err := h.Organizations().Remove(c.Context, org.ID); err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, org)
			}
			return printf(c.App.Writer, "removed %s\n", org.ID)
		},
	}
}

func orgsImportCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "add or update organizations from a CSV file",
		ArgsUsage: "FILE.csv|-",
		Description: `Columns: organizationName (required), orgSlug (the id; a row whose id exists
updates it), managingOrgId, domain, isEnabled (true/false), tagNames
(separated by , or ;). Any other column becomes an attribute, e.g.
halopsa_id. Every bad row is reported with its line number; the good rows
are imported in one transaction — or, with --atomic, nothing is imported
when any row is bad. --dry-run only checks.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "atomic", Usage: "import nothing if any row is bad"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check every row, import nothing"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("import takes one FILE.csv (or - for stdin)")
			}
			var r io.Reader = c.App.Reader
			if p := c.Args().First(); p != "-" {
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
			rep, err := h.Organizations().Import(c.Context, r, host.ImportOptions{Atomic: c.Bool("atomic"), DryRun: c.Bool("dry-run")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if err := writeJSON(c.App.Writer, rep); err != nil {
					return err
				}
			} else {
				w := c.App.Writer
				for _, e := range rep.Errors {
					fmt.Fprintf(c.App.ErrWriter, "line %d: %s\n", e.Line, e.Message)
				}
				switch {
				case rep.Imported:
					printf(w, "imported: %d added, %d updated", len(rep.Created), len(rep.Updated))
					if len(rep.Errors) > 0 {
						printf(w, "; %d bad rows left out", len(rep.Errors))
					}
					printf(w, "\n")
				case c.Bool("dry-run"):
					printf(w, "dry run: %d would be added, %d updated; %d bad rows\n", len(rep.Created), len(rep.Updated), len(rep.Errors))
				case len(rep.Errors) > 0:
					printf(w, "nothing imported: %d bad rows (fix them, or drop --atomic to import the good rows)\n", len(rep.Errors))
				default:
					printf(w, "nothing to import\n")
				}
			}
			if len(rep.Errors) > 0 {
				return &exitError{code: exitFailure, err: fmt.Errorf("%d rows of %s are bad", len(rep.Errors), c.Args().First())}
			}
			return nil
		},
	}
}

func orgsExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write every organization as CSV (the columns import reads)",
		Action: func(c *cli.Context) error {
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			return h.Organizations().Export(c.Context, c.App.Writer)
		},
	}
}
