package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/sdk/abi"
)

func connectorCommand() *cli.Command {
	return &cli.Command{
		Name:  "connector",
		Usage: "work with connector modules (.wasm files)",
		Subcommands: []*cli.Command{
			{
				Name:      "inspect",
				Usage:     "load a connector and show its manifest, ABI version, size and sha256",
				ArgsUsage: "FILE.wasm",
				Description: `Loads the module in the sandbox exactly as Roost would serve it (checking its
ABI and manifest) and prints what it declares: configuration fields, actions
with their inputs, capabilities and the hosts it may reach. Nothing is
installed and no action runs.`,
				Flags:  []cli.Flag{jsonFlag()},
				Action: inspect,
			},
			connectorNewCommand(),
			connectorBuildCommand(),
		},
	}
}

func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", usageErrorf("%s: want one argument, %s; got %d", c.Command.FullName(), what, c.NArg())
	}
	return c.Args().First(), nil
}

func inspect(c *cli.Context) error {
	path, err := oneArg(c, "the .wasm file")
	if err != nil {
		return err
	}
	h, err := openHost(c, host.Config{})
	if err != nil {
		return err
	}
	defer closeHost(h)
	conn, err := h.LoadFile(c.Context, path)
	if err != nil {
		return err
	}
	info := conn.Info()
	if c.Bool("json") {
		return writeJSON(c.App.Writer, struct {
			File     string          `json:"file"`
			Size     int             `json:"size"`
			SHA256   string          `json:"sha256"`
			ABI      string          `json:"abi"`
			Manifest json.RawMessage `json:"manifest"`
		}{path, info.Size, info.SHA256, info.ABI, conn.ManifestJSON()})
	}
	return printManifest(c, path, info, conn.Manifest())
}

func printManifest(c *cli.Context, path string, info host.Info, m *abi.Manifest) error {
	w := c.App.Writer
	printf(w, "%s %s (%s)\n  %s\n\n", m.Name, m.Version, m.Category, m.Description)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", path)
	fmt.Fprintf(tw, "size\t%s (%d bytes)\n", humanBytes(info.Size), info.Size)
	fmt.Fprintf(tw, "sha256\t%s\n", info.SHA256)
	fmt.Fprintf(tw, "abi\tv%s\n", info.ABI)
	fmt.Fprintf(tw, "capabilities\t%s\n", orNone(capNames(m.Capabilities)))
	fmt.Fprintf(tw, "hosts\t%s\n", orNone(strings.Join(m.Hosts, ", ")))
	if m.Auth != nil {
		fmt.Fprintf(tw, "auth\t%s, secret from config field %q\n", m.Auth.Type, m.Auth.Secret)
	}
	if len(m.Tags) > 0 {
		fmt.Fprintf(tw, "tags\t%s\n", strings.Join(m.Tags, ", "))
	}
	tw.Flush()

	if len(m.Config) > 0 {
		printf(w, "\nconfiguration\n")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  FIELD\tTYPE\tREQUIRED\tDEFAULT\tDESCRIPTION")
		for _, f := range m.Config {
			typ := string(f.Type)
			if f.Secret {
				typ += " (secret)"
			}
			def := ""
			if f.Default != nil {
				b, _ := json.Marshal(f.Default)
				def = string(b)
			}
			desc := f.Description
			if len(f.Enum) > 0 {
				desc += fmt.Sprintf(" one of %v", f.Enum)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.Name, typ, yes(f.Required), def, desc)
		}
		tw.Flush()
	}

	printf(w, "\nactions\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, a := range m.Actions {
		fmt.Fprintf(tw, "  %s\t%s\tinput: %s\n", a.Name, a.Description, schemaSummary(a.Input))
	}
	if len(m.Actions) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	return tw.Flush()
}

// schemaSummary renders an object schema's properties as "name (type,
// required), …".
func schemaSummary(raw json.RawMessage) string {
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || len(s.Properties) == 0 {
		return "none"
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		p := fmt.Sprintf("%s (%v", n, s.Properties[n].Type)
		if required[n] {
			p += ", required"
		}
		parts[i] = p + ")"
	}
	return strings.Join(parts, ", ")
}

func capNames(cs []abi.Capability) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

func humanBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
