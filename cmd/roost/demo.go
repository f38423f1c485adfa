package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins"
	"github.com/roosthq/roost/plugins/fakes/connectwise"
	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show Roost's main job end to end against local fake HaloPSA and ConnectWise servers",
		Description: `In a fresh temporary home, the demo starts local fake HaloPSA and ConnectWise
PSA servers (on 127.0.0.1, following the vendors' API contracts) with
realistic customer lists, installs and configures the bundled connectors
(secrets sealed, connection checks), imports your organizations, pulls each
tool's accounts, suggests the mapping with the default rules and saves it,
unpacks a crate for two organizations and runs its workflow for each,
printing every step. Nothing outside the temporary home is touched, and
only loopback addresses are used.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "keep", Usage: "keep the temporary home and print its path"},
			&cli.StringFlag{Name: "cache", Hidden: true, Usage: "a compiled-code cache directory to share (tests)"},
		},
		Action: demo,
	}
}

func step(w io.Writer, format string, args ...any) { printf(w, "\n==> "+format+"\n", args...) }
func done(w io.Writer, format string, args ...any) { printf(w, "    "+format+"\n", args...) }

func demo(c *cli.Context) error {
	w := c.App.Writer
	ctx := c.Context
	start := time.Now()
	home, err := os.MkdirTemp("", "roost-demo-")
	if err != nil {
		return err
	}
	if c.Bool("keep") {
		defer printf(w, "\nhome kept at %s (roost --home %s mapping show halopsa)\n", home, home)
	} else {
		defer os.RemoveAll(home)
	}
	if cache := c.String("cache"); cache != "" {
		if err := os.Symlink(cache, filepath.Join(home, "cache")); err != nil {
			return err
		}
	}
	h, err := host.Open(ctx, host.Config{Home: home, Bundled: plugins.Bundled()})
	if err != nil {
		return err
	}
	defer h.Close(context.Background())

	companies := fakedata.Companies(40, 7)
	step(w, "Starting local fake HaloPSA and ConnectWise PSA servers with 40 and 35 customers")
	halo, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		return err
	}
	defer halo.Close()
	cw, err := connectwise.Start(connectwise.Options{Companies: connectwise.MakeCompanies(companies[5:])})
	if err != nil {
		return err
	}
	defer cw.Close()
	done(w, "HaloPSA at %s (OAuth2 client credentials), ConnectWise at %s (Basic company+public:private, clientId)", halo.URL(), cw.BaseURL())

	in := h.Integrations()
	step(w, "Installing and configuring the bundled connectors (secrets are sealed; each configuration is checked)")
	yes := true
	for _, cfg := range []struct {
		name    string
		set     map[string]any
		secrets map[string]string
	}{
		{"halopsa", map[string]any{"base_url": halo.URL(), "client_id": "roost-client"}, map[string]string{"client_secret": "roost-secret"}},
		{"connectwise", map[string]any{"base_url": cw.BaseURL(), "company_id": "roost", "public_key": "pub", "client_id": connectwise.DefaultClientID},
			map[string]string{"private_key": "priv"}},
	} {
		t := time.Now()
		res, err := in.Install(ctx, cfg.name)
		if err != nil {
			return err
		}
		cr, err := in.Configure(ctx, cfg.name, host.ConfigureInput{Config: "default", Set: cfg.set, Secrets: cfg.secrets, AllowPrivateNetworks: &yes})
		if err != nil {
			return err
		}
		check := "no check"
		if cr.Check != nil {
			check = cr.Check.Message
			if !cr.Check.OK {
				return fmt.Errorf("%s check failed: %s", cfg.name, cr.Check.Message)
			}
		}
		done(w, "%s %s installed and configured in %s: check passed — %s", cfg.name, res.Integration.Version, since(t), check)
	}

	step(w, "Importing 30 organizations from CSV, named the way an MSP writes them")
	var csv strings.Builder
	csv.WriteString("organizationName,orgSlug,managingOrgId,domain,isEnabled,tagNames\n")
	if _, err := h.Organizations().Add(ctx, host.OrgInput{Name: "Roost MSP", ID: "roost-msp", Own: true}); err != nil {
		return err
	}
	for i, co := range companies[:30] {
		name := co.Name
		switch i % 3 {
		case 0:
			name = strings.ToUpper(name)
		case 1:
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, " Inc."), " LLC"), " Ltd")
		}
		domain := ""
		if i%5 == 0 {
			domain = co.Domain
		}
		tag := "standard"
		if i%4 == 0 {
			tag = "gold"
		}
		fmt.Fprintf(&csv, "%q,,roost-msp,%s,true,%s\n", name, domain, tag)
	}
	rep, err := h.Organizations().Import(ctx, strings.NewReader(csv.String()), host.ImportOptions{Atomic: true})
	if err != nil {
		return err
	}
	done(w, "%d organizations added in one transaction", len(rep.Created))

	mp := h.Mappings()
	for _, integ := range []string{"halopsa", "connectwise"} {
		step(w, "Mapping organizations to %s accounts", integ)
		t := time.Now()
		rr, err := mp.Refresh(ctx, integ, host.RefreshOptions{PageSize: 10})
		if err != nil {
			return err
		}
		done(w, "refresh: pulled %d accounts in %d pages (%s)", rr.Accounts, rr.Pages, since(t))
		sr, err := mp.Suggest(ctx, integ, host.SuggestOptions{Explain: true})
		if err != nil {
			return err
		}
		done(w, "suggest: %d matched by the default rules, %d ambiguous, %d unmatched (%s)", len(sr.Suggestions), len(sr.Ambiguous), len(sr.Unmatched), sr.Took.Round(time.Millisecond))
		for _, s := range sr.Suggestions[:min(3, len(sr.Suggestions))] {
			done(w, "  e.g. %s → %s %q by %s (score %.2f)", s.Org, s.Account, s.AccountName, s.Rule, s.Score)
		}
		if len(sr.Unmatched) > 0 {
			done(w, "  unmatched (not in %s): %s", integ, strings.Join(sr.Unmatched[:min(5, len(sr.Unmatched))], ", "))
		}
		saved, err := mp.Save(ctx, integ)
		if err != nil {
			return err
		}
		done(w, "save: %d mappings written in one transaction", saved.Saved)
	}
	page, err := mp.View(ctx, "halopsa", host.ViewOptions{PageSize: 5})
	if err != nil {
		return err
	}
	done(w, "review (roost mapping show halopsa), page 1 of %d:", page.Pages)
	for _, r := range page.Rows {
		acct := "-"
		if r.Saved != nil {
			acct = r.Saved.AccountID + " " + r.Saved.AccountName
		}
		done(w, "  %-32s → %s", r.OrgName, acct)
	}

	var chosen []host.MappingRow
	for _, r := range page.Rows {
		if r.Saved != nil && len(chosen) < 2 {
			chosen = append(chosen, r)
		}
	}
	if len(chosen) < 2 {
		return fmt.Errorf("the demo needs two mapped organizations; the mapping found %d", len(chosen))
	}
	ids := []string{chosen[0].Org, chosen[1].Org}
	step(w, "Unpacking the crate psa-ticket-for-orgs for %s and %s (every need checked first)", ids[0], ids[1])
	ur, err := h.Crates().Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: ids, Vars: map[string]string{"summary": "Quarterly review"}})
	if err != nil {
		return err
	}
	done(w, "unpacked %s %s: workflows %s; triggers %s", ur.Crate, ur.Version, strings.Join(ur.Workflows, ", "), strings.Join(ur.Triggers, "; "))

	for _, org := range ids {
		step(w, "Running open-review-ticket for %s", org)
		rec, run, err := h.Crates().Run(ctx, "open-review-ticket", org, host.RunOptions{OnStep: func(s host.StepRecord) { printStep(w, s) }})
		if err != nil {
			return err
		}
		done(w, "run %d %s in %s (recorded: roost runs show %d)", rec.ID, run.Status, run.Duration.Round(time.Millisecond), rec.ID)
	}
	step(w, "What the fake HaloPSA received")
	for _, t := range halo.Tickets() {
		done(w, "ticket %d for client %d (%s): %q", t.ID, t.ClientID, t.ClientName, t.Summary)
	}
	printf(w, "\nDone in %s. Next: roost --help; docs/mapping.md; docs/crate-format.md.\n", since(start))
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
