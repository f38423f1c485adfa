package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/roosthq/roost/host"
)

func integrationsCommand() *cli.Command {
	return &cli.Command{
		Name:    "integrations",
		Aliases: []string{"integration", "int"},
		Usage:   "the catalogue: list, search, install, configure, show and uninstall integrations",
		Description: `An integration is an installed connector with its configurations. The
catalogue offers the connectors bundled with Roost and every .wasm file in
the --catalog directories (and ROOST_CATALOG).

  roost integrations list
  roost integrations search ticket
  roost integrations install halopsa            # from the catalogue
  roost integrations install ./acme.wasm        # from a file
  roost integrations configure acme --set base_url=https://acme.example --secret api_key
  roost integrations show acme
  roost integrations uninstall acme

Custom integrations run any HTTP API on Roost's generic REST connector:

  roost integrations new tickets --base-url https://api.example.com --auth bearer --endpoint "GET /tickets list_tickets"
  roost integrations import-openapi openapi.yaml --name example
  roost integrations edit example --paginate list_tickets=page,page_param=page,size_param=per_page`,
		Subcommands: []*cli.Command{
			integrationsListCommand(),
			integrationsSearchCommand(),
			integrationsInstallCommand(),
			integrationsConfigureCommand(),
			integrationsShowCommand(),
			integrationsUninstallCommand(),
			integrationsNewCommand(),
			integrationsImportOpenAPICommand(),
			integrationsEditCommand(),
			integrationsAuthorizeCommand(),
		},
	}
}

func integrationsListCommand() *cli.Command {
	return &cli.Command{
		Name:    "list",
		Aliases: []string{"ls"},
		Usage:   "show installed integrations and what else the catalogue offers",
		Description: `Two sections: installed integrations with their status (installed: no
configuration yet; configured; check failing: a configuration's last check
failed), configuration count and organizations mapped; then the
available connectors not installed. Nothing is run: manifests were cached
when each connector was installed or first seen.`,
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("list takes no arguments; to search, use: roost integrations search %s", c.Args().First())
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			l, err := h.Integrations().List(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, l)
			}
			return printListing(c.App.Writer, l)
		},
	}
}

func printListing(w io.Writer, l *host.Listing) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Installed (%d)\n", len(l.Installed))
	if len(l.Installed) == 0 {
		fmt.Fprintln(tw, "  none yet: install one with roost integrations install NAME|FILE.wasm")
	} else {
		fmt.Fprintln(tw, "  NAME\tVERSION\tCATEGORY\tSTATUS\tCONFIGS\tORGS MAPPED\t")
		for _, s := range l.Installed {
			version := s.Version
			if s.Update != "" {
				version += " (" + s.Update + " available)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d/%d\n", s.Name, version, s.Category, s.Status, s.Configurations, s.Mapped, l.Organizations)
		}
	}
	fmt.Fprintf(tw, "\nAvailable (%d)\n", len(l.Available))
	if len(l.Available) == 0 {
		fmt.Fprintln(tw, "  nothing else in the catalogue (add directories of .wasm files with --catalog DIR)")
	} else {
		fmt.Fprintln(tw, "  NAME\tVERSION\tCATEGORY\tSOURCE\tDESCRIPTION\t")
		for _, a := range l.Available {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", a.Name, a.Version, a.Category, a.Source, a.Description)
		}
	}
	if len(l.Problems) > 0 {
		fmt.Fprintf(tw, "\nNot usable (%d)\n", len(l.Problems))
		for _, p := range l.Problems {
			fmt.Fprintf(tw, "  %s: %s\n", p.Path, oneLine(p.Problem))
		}
	}
	return tw.Flush()
}

func integrationsSearchCommand() *cli.Command {
	return &cli.Command{
		Name:      "search",
		Usage:     "find integrations by name, category, tag, action or description",
		ArgsUsage: "QUERY...",
		Description: `Every word of the query must match. A match in the name ranks first, then
the category, tags, action names and description.`,
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			query := strings.Join(c.Args().Slice(), " ")
			if strings.TrimSpace(query) == "" {
				return usageErrorf("search: give a query, such as: roost integrations search psa")
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			found, err := h.Integrations().Search(c.Context, query)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if found == nil {
					found = []host.SearchResult{}
				}
				return writeJSON(c.App.Writer, found)
			}
			if len(found) == 0 {
				return printf(c.App.Writer, "nothing matches %q (see roost integrations list)\n", query)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVERSION\tCATEGORY\tSTATUS\tMATCHED\tDESCRIPTION\t")
			for _, r := range found {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Version, r.Category, r.Status, strings.Join(r.Matched, ","), r.Description)
			}
			return tw.Flush()
		},
	}
}

func integrationsInstallCommand() *cli.Command {
	return &cli.Command{
		Name:      "install",
		Usage:     "install (or upgrade) a connector from the catalogue or a .wasm file",
		ArgsUsage: "NAME|PATH.wasm",
		Description: `The module is verified (ABI, manifest) and copied into the Roost home under
its sha256, so later edits of the file change nothing installed. Installing
a connector that is already installed upgrades it in place and says what
changed; its configurations and organization mapping stay.

With --link, nothing is copied: the integration runs the file at PATH as it
is, picking up each new build (for a connector under development; see
roost dev). Installing again without --link makes it an ordinary install.`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "link", Usage: "run the file in place, following each new build (development)"}, jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("install: want one NAME or PATH.wasm; got %d arguments", c.NArg())
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			w := c.App.Writer
			stop := progress(c, "verifying "+c.Args().First())
			var res *host.InstallResult
			if c.Bool("link") {
				res, err = h.Integrations().InstallLink(c.Context, c.Args().First())
			} else {
				res, err = h.Integrations().Install(c.Context, c.Args().First())
			}
			stop()
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(w, res)
			}
			in := res.Integration
			switch res.Action {
			case "installed":
				if in.Link != "" {
					printf(w, "installed %s %s (%s) linked to %s: each new build of it runs\n", in.Name, in.Version, in.Category, in.Link)
				} else {
					printf(w, "installed %s %s (%s) from %s\n", in.Name, in.Version, in.Category, in.Source)
				}
			case "unchanged":
				printf(w, "%s %s is already installed from these exact bytes; nothing changed\n", in.Name, in.Version)
			default:
				printf(w, "%s %s: %s from %s\n", in.Name, in.Version, res.Action, res.FromVersion)
			}
			if ch := res.Changes; ch != nil && !ch.Empty() {
				for _, line := range []struct {
					label string
					names []string
				}{
					{"actions added", ch.ActionsAdded}, {"actions removed", ch.ActionsRemoved}, {"actions changed", ch.ActionsChanged},
					{"config fields added", ch.FieldsAdded}, {"config fields removed", ch.FieldsRemoved},
					{"hosts added", ch.HostsAdded}, {"hosts removed", ch.HostsRemoved},
				} {
					if len(line.names) > 0 {
						printf(w, "  %s: %s\n", line.label, strings.Join(line.names, ", "))
					}
				}
			}
			if res.Mapped > 0 {
				printf(w, "  kept the mapping of %d organizations from before\n", res.Mapped)
			}
			for _, name := range sortedKeys(res.ConfigProblems) {
				for _, p := range res.ConfigProblems[name] {
					printf(w, "  configuration %s needs attention: %s: %s (fix with roost integrations configure %s --config %s)\n", name, p.Field, p.Problem, in.Name, name)
				}
			}
			if res.Action == "installed" {
				printf(w, "next: roost integrations configure %s --set KEY=VALUE (see the fields with roost integrations show %s)\n", in.Name, in.Name)
			}
			return nil
		},
	}
}

func integrationsConfigureCommand() *cli.Command {
	return &cli.Command{
		Name:      "configure",
		Usage:     "add or change a configuration, then check it against the tool",
		ArgsUsage: "NAME",
		Description: `Each integration can have several named configurations (one per tenant of
the tool); one is the default. Values are checked against the connector's
config schema, each problem named with its field; nothing is saved when
one is wrong. Then the connector's check runs (it calls the tool) and its
result is saved with the configuration: a failing check still saves, with
status "check failing" and the reason.

Secret fields are never taken from --set. --secret KEY reads the value
from a prompt (without echo) or, when stdin is not a terminal, one line of
stdin per --secret, in order. --secret-value KEY=VALUE takes it from the
command line, where other users of the machine may see it.

  roost integrations configure acme --set base_url=https://acme.example --secret api_key
  echo "$TOKEN" | roost integrations configure acme --config tenant-b --secret api_key
  roost integrations configure acme --from-file acme.yaml --default

With nothing to change, it runs the check again and saves its result.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Usage: "the configuration's `NAME` (default: the default configuration, or \"default\")"},
			&cli.StringSliceFlag{Name: "set", Usage: "a field as `KEY=VALUE` (repeatable)"},
			&cli.StringSliceFlag{Name: "secret", Usage: "a secret field `KEY` whose value is read from a prompt or stdin (repeatable)"},
			&cli.StringSliceFlag{Name: "secret-value", Usage: "a secret field as `KEY=VALUE` on the command line (visible to other users; prefer --secret)"},
			&cli.StringSliceFlag{Name: "unset", Usage: "remove field `KEY` (repeatable)"},
			&cli.StringFlag{Name: "from-file", Usage: "read fields from a JSON or YAML object in `FILE` (secret fields included)"},
			&cli.BoolFlag{Name: "default", Usage: "make this the default configuration"},
			&cli.BoolFlag{Name: "allow-private-networks", Usage: "let this configuration reach loopback and private addresses (a tool on the local network); =false to revoke"},
			&cli.BoolFlag{Name: "no-check", Usage: "save without running the connector's check"},
			&cli.DurationFlag{Name: "timeout", Value: 60 * time.Second, Usage: "bound the check"},
			jsonFlag(),
		},
		Action: configure,
	}
}

func configure(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErrorf("configure: want the integration NAME; got %d arguments", c.NArg())
	}
	name := c.Args().First()
	ci := host.ConfigureInput{Config: c.String("config"), Set: map[string]any{}, Secrets: map[string]string{},
		Unset: c.StringSlice("unset"), MakeDefault: c.Bool("default"), SkipCheck: c.Bool("no-check")}
	if c.IsSet("allow-private-networks") {
		v := c.Bool("allow-private-networks")
		ci.AllowPrivateNetworks = &v
	}
	h, err := connect(c)
	if err != nil {
		return err
	}
	defer h.close()
	in := h.Integrations()
	details, err := in.Show(c.Context, name)
	if err != nil {
		return err
	}
	secret := map[string]bool{}
	for _, f := range details.Manifest.Config {
		secret[f.Name] = f.Secret
	}
	if f := c.String("from-file"); f != "" {
		values, err := readObjectFile(f)
		if err != nil {
			return err
		}
		for k, v := range values {
			if secret[k] {
				s, ok := v.(string)
				if !ok {
					return usageErrorf("--from-file %s: secret field %s must be a string", f, k)
				}
				ci.Secrets[k] = s
			} else {
				ci.Set[k] = v
			}
		}
	}
	for _, p := range c.StringSlice("set") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usageErrorf("--set %q: want KEY=VALUE", p)
		}
		if secret[k] {
			return usageErrorf("--set %s: %s is a secret field; use --secret %s to be prompted for it (or pipe it on stdin)", k, k, k)
		}
		ci.Set[k] = v
	}
	for _, p := range c.StringSlice("secret-value") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return usageErrorf("--secret-value: want KEY=VALUE")
		}
		ci.Secrets[k] = v
	}
	if keys := c.StringSlice("secret"); len(keys) > 0 {
		read := secretReader(c)
		for _, k := range keys {
			if !secret[k] {
				return usageErrorf("--secret %s: %s is not a secret field of %s; use --set %s=VALUE", k, k, name, k)
			}
			v, err := read(k)
			if err != nil {
				return err
			}
			ci.Secrets[k] = v
		}
	}
	if len(ci.Set)+len(ci.Secrets)+len(ci.Unset) == 0 && ci.AllowPrivateNetworks == nil && !ci.MakeDefault && ci.SkipCheck {
		return usageErrorf("configure: nothing to change and --no-check: nothing to do")
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	stop := progress(c, "checking "+name)
	res, err := in.Configure(ctx, name, ci)
	stop()
	if err != nil {
		var ce *host.ConfigError
		if errors.As(err, &ce) {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w (nothing saved; see the fields with: roost integrations show %s)", err, name)}
		}
		return err
	}
	w := c.App.Writer
	if c.Bool("json") {
		return writeJSON(w, res)
	}
	verb := "updated"
	if res.Created {
		verb = "saved"
	}
	def := ""
	if res.Config.Default {
		def = " (default)"
	}
	printf(w, "%s configuration %s%s of %s", verb, res.Config.Name, def, name)
	if len(res.Changed) > 0 {
		printf(w, "; changed: %s", strings.Join(res.Changed, ", "))
	}
	printf(w, "\n")
	switch ch := res.Check; {
	case ch == nil:
		printf(w, "check: not run\n")
	case ch.OK:
		printf(w, "check: passed in %.0f ms: %s\n", ch.DurationMS, ch.Message)
	default:
		printf(w, "check: FAILING (%.0f ms): %s\n", ch.DurationMS, oneLine(ch.Message))
	}
	return nil
}

// secretReader returns how to read secret values: a no-echo prompt on a
// terminal, else one line of stdin each.
func secretReader(c *cli.Context) func(key string) (string, error) {
	o := options(c)
	if f, ok := o.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return func(key string) (string, error) {
			fmt.Fprintf(c.App.ErrWriter, "%s (secret, not echoed): ", key)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.App.ErrWriter)
			if err != nil {
				return "", fmt.Errorf("read secret %s: %w", key, err)
			}
			if len(b) == 0 {
				return "", usageErrorf("secret %s: empty value", key)
			}
			return string(b), nil
		}
	}
	r := bufio.NewReader(c.App.Reader)
	return func(key string) (string, error) {
		line, err := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if err == nil || errors.Is(err, io.EOF) {
				return "", usageErrorf("--secret %s: no value on stdin (give one line per --secret, or run on a terminal to be prompted)", key)
			}
			return "", fmt.Errorf("read secret %s from stdin: %w", key, err)
		}
		return line, nil
	}
}

// readObjectFile reads a JSON or YAML object.
func readObjectFile(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--from-file: %v", err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, usageErrorf("--from-file %s: not a JSON or YAML object: %v", path, err)
	}
	return v, nil
}

func integrationsShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show an installed integration: manifest, actions, configurations, last checks, mapping",
		ArgsUsage: "NAME",
		Flags:     []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("show: want the integration NAME; got %d arguments", c.NArg())
			}
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			d, err := h.Integrations().Show(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, d)
			}
			return printDetails(c.App.Writer, d)
		},
	}
}

func printDetails(w io.Writer, d *host.Details) error {
	s, m := d.Integration, d.Manifest
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s %s (%s): %s\n", s.Name, s.Version, s.Category, s.Description)
	fmt.Fprintf(tw, "status\t%s\n", s.Status)
	fmt.Fprintf(tw, "source\t%s\n", s.Source)
	fmt.Fprintf(tw, "sha256\t%s\n", s.SHA256)
	fmt.Fprintf(tw, "installed\t%s (updated %s)\n", d.InstalledAt, d.UpdatedAt)
	if len(m.Hosts) > 0 {
		fmt.Fprintf(tw, "hosts\t%s\n", strings.Join(m.Hosts, ", "))
	}
	if len(m.Capabilities) > 0 {
		caps := make([]string, len(m.Capabilities))
		for i, c := range m.Capabilities {
			caps[i] = string(c)
		}
		fmt.Fprintf(tw, "capabilities\t%s\n", strings.Join(caps, ", "))
	}
	fmt.Fprintf(tw, "organizations mapped\t%d of %d\n", d.Mapped, d.Organizations)
	if len(d.NeededBy) > 0 {
		fmt.Fprintf(tw, "needed by crates\t%s\n", strings.Join(d.NeededBy, ", "))
	}
	fmt.Fprintf(tw, "\nActions (%d)\n", len(m.Actions))
	for _, a := range m.Actions {
		fmt.Fprintf(tw, "  %s\t%s\n", a.Name, a.Description)
	}
	fmt.Fprintf(tw, "\nConfig fields (%d)\n", len(m.Config))
	for _, f := range m.Config {
		var notes []string
		if f.Required {
			notes = append(notes, "required")
		}
		if f.Secret {
			notes = append(notes, "secret")
		}
		if f.Default != nil {
			notes = append(notes, fmt.Sprintf("default %v", f.Default))
		}
		if len(f.Enum) > 0 {
			notes = append(notes, fmt.Sprintf("one of %v", f.Enum))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Name, f.Type, strings.Join(notes, ", "), f.Description)
	}
	fmt.Fprintf(tw, "\nConfigurations (%d)\n", len(d.Configurations))
	if len(d.Configurations) == 0 {
		fmt.Fprintf(tw, "  none yet: roost integrations configure %s --set KEY=VALUE\n", s.Name)
	}
	for _, c := range d.Configurations {
		def := ""
		if c.Default {
			def = " (default)"
		}
		fmt.Fprintf(tw, "  %s%s\n", c.Name, def)
		for _, k := range sortedKeys(c.Values) {
			fmt.Fprintf(tw, "    %s\t%v\n", k, c.Values[k])
		}
		if c.AllowPrivateNetworks {
			fmt.Fprintf(tw, "    network\tmay reach private addresses\n")
		}
		switch ch := c.Check; {
		case ch == nil:
			fmt.Fprintf(tw, "    check\tnot run\n")
		case ch.OK:
			fmt.Fprintf(tw, "    check\tpassed %s: %s\n", ch.At.Format(time.DateTime), ch.Message)
		default:
			fmt.Fprintf(tw, "    check\tFAILING %s: %s\n", ch.At.Format(time.DateTime), oneLine(ch.Message))
		}
	}
	return tw.Flush()
}

func integrationsUninstallCommand() *cli.Command {
	return &cli.Command{
		Name:      "uninstall",
		Aliases:   []string{"remove"},
		Usage:     "remove an installed integration (asks first)",
		ArgsUsage: "NAME",
		Description: `Removes the integration's module, configurations (with their secrets) and
stored data. Its organization mapping stays, so a reinstall finds it,
unless --purge. Refused while unpacked crates need it, unless --force.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "force", Usage: "uninstall even when unpacked crates need it"},
			&cli.BoolFlag{Name: "purge", Usage: "delete the organization mapping too"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("uninstall: want the integration NAME; got %d arguments", c.NArg())
			}
			name := c.Args().First()
			h, err := connect(c)
			if err != nil {
				return err
			}
			defer h.close()
			in := h.Integrations()
			if _, err := in.Show(c.Context, name); err != nil {
				return err
			}
			w := c.App.Writer
			if !c.Bool("yes") && !confirm(c, fmt.Sprintf("Delete %s?", name)) {
				return printf(w, "not deleted: %s stays installed\n", name)
			}
			res, err := in.Uninstall(c.Context, name, host.UninstallOptions{Force: c.Bool("force"), Purge: c.Bool("purge")})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(w, res)
			}
			printf(w, "uninstalled %s %s: removed %d configurations and %d stored keys\n", res.Name, res.Version, res.Removed.Configurations, res.Removed.KVKeys)
			if res.KeptMappings > 0 {
				printf(w, "kept the mapping of %d organizations for a reinstall (--purge deletes it)\n", res.KeptMappings)
			}
			if res.Removed.Mappings > 0 {
				printf(w, "deleted the mapping of %d organizations\n", res.Removed.Mappings)
			}
			return nil
		},
	}
}

// progress shows what is happening on stderr while a slow step runs, when
// stderr is a terminal; it returns a function that clears the line.
func progress(c *cli.Context, what string) func() {
	f, ok := c.App.ErrWriter.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	fmt.Fprintf(f, "%s…", what)
	return func() { fmt.Fprint(f, "\r\033[K") }
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
