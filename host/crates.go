package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/crates"
	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/host/internal/workflow"
	"github.com/roosthq/roost/sdk/abi"
)

// Crates are packages of workflows that need integrations. Get them from
// Host.Crates.
type cratesSvc struct{ h *Host }

// Crates returns the host's crates.
func (h *Host) crates() *cratesSvc { return &cratesSvc{h: h} }

// Crate is a parsed crate definition.
type Crate = crates.Crate

// NeedStatus is how far one integration a crate needs is ready.
type NeedStatus struct {
	Integration string `json:"integration"`
	// Status is "not installed", "wrong version", "missing actions", "not
	// configured", "configured" or "mapped".
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	Mapped int    `json:"mapped"`
	Orgs   int    `json:"orgs"`
}

// CrateStatus is a crate in the list: bundled or unpacked, and how ready
// its integrations are.
type CrateStatus struct {
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	Description string       `json:"description"`
	Category    string       `json:"category,omitempty"`
	Maturity    string       `json:"maturity,omitempty"`
	Source      string       `json:"source"`
	Unpacked    bool         `json:"unpacked"`
	Orgs        []string     `json:"orgs,omitempty"`
	Workflows   []string     `json:"workflows"`
	Needs       []NeedStatus `json:"needs"`
}

// List returns the bundled crates and the unpacked ones.
func (cr *cratesSvc) List(ctx context.Context) ([]CrateStatus, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, err
	}
	bundled, err := crates.Bundled()
	if err != nil {
		return nil, err
	}
	unpacked, err := st.UnpackedCrates()
	if err != nil {
		return nil, err
	}
	orgs, err := st.Organizations()
	if err != nil {
		return nil, err
	}
	mappable := mappable(orgs)
	var out []CrateStatus
	seen := map[string]bool{}
	for _, u := range unpacked {
		var c crates.Crate
		if err := json.Unmarshal(u.Crate, &c); err != nil {
			continue
		}
		s := cr.status(st, &c, u.Source, orgIDs(mappable))
		s.Unpacked, s.Orgs = true, u.Orgs
		out = append(out, s)
		seen[c.Name] = true
	}
	for name, c := range bundled {
		if !seen[name] {
			out = append(out, cr.status(st, c, SourceBundled, orgIDs(mappable)))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func orgIDs(orgs []store.Organization) []string {
	ids := make([]string, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	return ids
}

func (cr *cratesSvc) status(st *store.Store, c *crates.Crate, source string, orgs []string) CrateStatus {
	s := CrateStatus{Name: c.Name, Version: c.Version, Description: c.Description, Category: c.Category, Maturity: c.Maturity, Source: source}
	for _, w := range c.Workflows {
		s.Workflows = append(s.Workflows, w.Name)
	}
	for _, n := range c.Needs {
		ns, _ := cr.need(st, n, orgs)
		s.Needs = append(s.Needs, ns)
	}
	return s
}

// need checks one integration against a crate's need, for orgs; problems
// list what is unmet, each with what to do.
func (cr *cratesSvc) need(st *store.Store, n crates.Need, orgs []string) (NeedStatus, []Unmet) {
	ns := NeedStatus{Integration: n.Name, Orgs: len(orgs)}
	rec, m, err := cr.h.integrations().installed(st, n.Name)
	if err != nil {
		ns.Status = "not installed"
		return ns, []Unmet{{Integration: n.Name, Problem: "not installed", Fix: FixInstall}}
	}
	if n.Version != "" && !crates.Satisfies(m.Version, n.Version) {
		ns.Status, ns.Detail = "wrong version", fmt.Sprintf("%s installed, %s needed", m.Version, n.Version)
		return ns, []Unmet{{Integration: n.Name, Problem: ns.Detail, Version: n.Version, Fix: FixInstall}}
	}
	var missing []string
	for _, a := range n.Actions {
		if _, ok := m.Action(a); !ok {
			missing = append(missing, a)
		}
	}
	for _, c := range n.Capabilities {
		if !m.Has(abi.Capability(c)) {
			missing = append(missing, "capability "+c)
		}
	}
	if len(missing) > 0 {
		ns.Status, ns.Detail = "missing actions", strings.Join(missing, ", ")
		return ns, []Unmet{{Integration: n.Name, Problem: "lacks " + ns.Detail, Fix: FixUpgrade}}
	}
	var unmet []Unmet
	if rec.DefaultConfig == "" {
		ns.Status = "not configured"
		unmet = append(unmet, Unmet{Integration: n.Name, Problem: "not configured", Fix: FixConfigure})
	} else {
		ns.Status = "configured"
	}
	if n.NoMapping {
		return ns, unmet
	}
	saved, _ := savedByOrg(st, n.Name)
	var unmapped []string
	for _, o := range orgs {
		if _, ok := saved[o]; ok {
			ns.Mapped++
		} else {
			unmapped = append(unmapped, o)
		}
	}
	if ns.Mapped > 0 && len(unmet) == 0 {
		ns.Status = "mapped"
	}
	if len(unmapped) > 0 {
		// Every unmet need at once: mapping is listed even before the
		// integration is configured, so one look shows all the work.
		unmet = append(unmet, Unmet{Integration: n.Name, Problem: fmt.Sprintf("%s not mapped: %s", plural(len(unmapped), "organization is", "organizations are"),
			strings.Join(firstN(unmapped, 5), ", ")), Fix: FixMap})
	}
	return ns, unmet
}

// plural words a count: "1 organization is", "3 organizations are".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

// Unmet is one unmet need of a crate, with what to do about it.
type Unmet struct {
	Integration string `json:"integration,omitempty"`
	Org         string `json:"org,omitempty"`
	// Attribute is the organization attribute, Variable the crate
	// variable, Version the version range the need names.
	Attribute string `json:"attribute,omitempty"`
	Variable  string `json:"variable,omitempty"`
	Version   string `json:"version,omitempty"`
	Problem   string `json:"problem"`
	// Fix is what meets the need, one of the Fix constants.
	Fix string `json:"fix"`
}

// What meets an unmet need (Unmet.Fix); a front end words each as the
// step that does it.
const (
	FixInstall      = "install"       // install Integration (a Version if named)
	FixUpgrade      = "upgrade"       // install a version of Integration with the missing actions
	FixConfigure    = "configure"     // configure Integration
	FixMap          = "map"           // refresh, suggest and save Integration's mapping
	FixOrganization = "organization"  // Org is no organization: add it or name another
	FixAttribute    = "set_attribute" // set Attribute on Org
	FixVariable     = "variable"      // Variable is not one of the crate's
)

// UnmetError lists every unmet need; nothing was unpacked.
type UnmetError struct {
	Crate string  `json:"crate"`
	Unmet []Unmet `json:"unmet"`
}

func (e *UnmetError) Error() string {
	lines := make([]string, len(e.Unmet))
	for i, u := range e.Unmet {
		who := u.Integration
		if who != "" {
			who += ": "
		}
		lines[i] = who + u.Problem
	}
	return fmt.Sprintf("crate %s cannot be unpacked: %s unmet:\n  %s", e.Crate, plural(len(e.Unmet), "need is", "needs are"), strings.Join(lines, "\n  "))
}

// UnpackOptions choose where a crate's workflows run.
type UnpackOptions struct {
	Orgs    []string          `json:"orgs,omitempty"`
	AllOrgs bool              `json:"all_orgs,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	// Plan checks and describes, and unpacks nothing.
	Plan bool `json:"plan,omitempty"`
}

// UnpackResult says what an unpack did (or would do).
type UnpackResult struct {
	Crate     string         `json:"crate"`
	Version   string         `json:"version"`
	Orgs      []string       `json:"orgs"`
	Vars      map[string]any `json:"vars"`
	Workflows []string       `json:"workflows"`
	Triggers  []string       `json:"triggers"`
	Planned   bool           `json:"planned"`
}

// load finds a crate by bundled name or path.
func (cr *cratesSvc) load(ref string) (*crates.Crate, string, error) {
	if _, err := os.Stat(ref); err == nil {
		c, _, err := crates.Open(ref, crates.Limits{})
		return c, ref, err
	}
	bundled, err := crates.Bundled()
	if err != nil {
		return nil, "", err
	}
	if c, ok := bundled[ref]; ok {
		return c, SourceBundled, nil
	}
	names := make([]string, 0, len(bundled))
	for n := range bundled {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, "", fmt.Errorf("no crate %q: not a bundled crate (%s) nor a directory or archive", ref, strings.Join(names, ", "))
}

// Unpack checks every need of a crate for the chosen organizations and,
// if all are met, installs its workflows and triggers for them in one
// transaction. Any unmet need — every one is listed — installs nothing.
func (cr *cratesSvc) Unpack(ctx context.Context, ref string, o UnpackOptions) (*UnpackResult, error) {
	c, source, err := cr.load(ref)
	if err != nil {
		return nil, err
	}
	st, err := cr.h.openStore()
	if err != nil {
		return nil, err
	}
	all, err := st.Organizations()
	if err != nil {
		return nil, err
	}
	var orgs []store.Organization
	var unmet []Unmet
	switch {
	case o.AllOrgs:
		orgs = mappable(all)
	case len(o.Orgs) == 0:
		return nil, errors.New("choose the organizations: --org ORG (repeatable) or --all-orgs")
	default:
		for _, ref := range o.Orgs {
			org, err := findOrg(st, ref)
			if err != nil {
				unmet = append(unmet, Unmet{Org: ref, Problem: err.Error(), Fix: FixOrganization})
				continue
			}
			orgs = append(orgs, org)
		}
	}
	ids := orgIDs(orgs)
	for _, n := range c.Needs {
		_, u := cr.need(st, n, ids)
		unmet = append(unmet, u...)
	}
	for _, v := range c.OrgVars {
		for _, org := range orgs {
			if org.Attributes[v] == "" {
				unmet = append(unmet, Unmet{Org: org.ID, Attribute: v, Problem: fmt.Sprintf("organization %s has no %s", org.ID, v), Fix: FixAttribute})
			}
		}
	}
	vars, vu := crateVars(c, o.Vars)
	unmet = append(unmet, vu...)
	for _, w := range c.Workflows {
		if _, err := workflow.Compile(w); err != nil {
			unmet = append(unmet, Unmet{Problem: err.Error(), Fix: "fix the crate's workflow"})
		}
	}
	if len(unmet) > 0 {
		return nil, &UnmetError{Crate: c.Name, Unmet: unmet}
	}
	res := &UnpackResult{Crate: c.Name, Version: c.Version, Orgs: ids, Vars: vars, Planned: o.Plan}
	for _, w := range c.Workflows {
		res.Workflows = append(res.Workflows, c.Name+"/"+w.Name)
	}
	for _, t := range c.Triggers {
		kind := "manual"
		switch {
		case t.Cron != "":
			kind = "cron " + t.Cron
		case t.Webhook != "":
			kind = "webhook " + t.Webhook
		}
		res.Triggers = append(res.Triggers, t.Workflow+": "+kind)
	}
	if o.Plan {
		return res, nil
	}
	raw, _ := json.Marshal(c)
	var integs []string
	for _, n := range c.Needs {
		integs = append(integs, n.Name)
	}
	err = st.PutUnpackedCrate(store.UnpackedCrate{Name: c.Name, Version: c.Version, Integrations: integs, UnpackedAt: time.Now().UTC(),
		Orgs: ids, Vars: vars, Crate: raw, Source: source})
	return res, err
}

// crateVars types the --var values against the crate's variables, with
// defaults.
func crateVars(c *crates.Crate, given map[string]string) (map[string]any, []Unmet) {
	out := map[string]any{}
	var unmet []Unmet
	known := map[string]bool{}
	for _, v := range c.Variables {
		known[v.Name] = true
		raw, ok := given[v.Name]
		if !ok {
			if v.Required && v.Default == nil {
				unmet = append(unmet, Unmet{Problem: "variable " + v.Name + " is required", Fix: "--var " + v.Name + "=…"})
			} else {
				out[v.Name] = v.Default
			}
			continue
		}
		var val any = raw
		var err error
		switch v.Type {
		case "integer":
			val, err = strconv.Atoi(raw)
		case "number":
			val, err = strconv.ParseFloat(raw, 64)
		case "boolean":
			val, err = strconv.ParseBool(raw)
		}
		if err != nil {
			unmet = append(unmet, Unmet{Problem: fmt.Sprintf("variable %s=%q is not a %s", v.Name, raw, v.Type), Fix: "--var " + v.Name + "=…"})
			continue
		}
		out[v.Name] = val
	}
	for k := range given {
		if !known[k] {
			unmet = append(unmet, Unmet{Variable: k, Problem: "the crate has no variable " + k, Fix: FixVariable})
		}
	}
	return out, unmet
}

// Remove removes an unpacked crate and its workflows.
func (cr *cratesSvc) Remove(_ context.Context, name string) error {
	st, err := cr.h.openStore()
	if err != nil {
		return err
	}
	if err := st.DeleteUnpackedCrate(name); errors.Is(err, store.ErrNotFound) {
		return &NoCrateError{Name: name, Unpacked: true}
	} else if err != nil {
		return err
	}
	return nil
}

// Show returns a crate's definition, bundled or unpacked.
func (cr *cratesSvc) Show(ctx context.Context, name string) (*crates.Crate, *CrateStatus, error) {
	list, err := cr.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range list {
		if list[i].Name == name {
			c, err := cr.definition(name)
			return c, &list[i], err
		}
	}
	return nil, nil, &NoCrateError{Name: name}
}

func (cr *cratesSvc) definition(name string) (*crates.Crate, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, err
	}
	all, err := st.UnpackedCrates()
	if err != nil {
		return nil, err
	}
	for _, u := range all {
		if u.Name == name {
			var c crates.Crate
			return &c, json.Unmarshal(u.Crate, &c)
		}
	}
	c, _, err := cr.load(name)
	return c, err
}

// RunOptions change a workflow run.
type RunOptions struct {
	Vars   map[string]string `json:"vars,omitempty"`
	OnStep func(StepRecord)  `json:"-"`
}

// Run runs an unpacked crate's workflow ("crate/workflow", or a workflow
// name unique among unpacked crates) for one of its organizations, and
// records it.
func (cr *cratesSvc) Run(ctx context.Context, ref, orgRef string, o RunOptions) (*store.RunRecord, *workflow.Run, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, nil, err
	}
	all, err := st.UnpackedCrates()
	if err != nil {
		return nil, nil, err
	}
	crateName, wfName, scoped := strings.Cut(ref, "/")
	var found []struct {
		u  store.UnpackedCrate
		c  crates.Crate
		wf crates.Workflow
	}
	for _, u := range all {
		var c crates.Crate
		if json.Unmarshal(u.Crate, &c) != nil {
			continue
		}
		for _, w := range c.Workflows {
			if (scoped && u.Name == crateName && w.Name == wfName) || (!scoped && w.Name == ref) {
				found = append(found, struct {
					u  store.UnpackedCrate
					c  crates.Crate
					wf crates.Workflow
				}{u, c, w})
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, nil, &NoCrateError{Workflow: ref, Unpacked: true}
	case 1:
	default:
		return nil, nil, fmt.Errorf("%d unpacked crates have a workflow %q; name it as CRATE/%s", len(found), ref, ref)
	}
	f := found[0]
	org, err := findOrg(st, orgRef)
	if err != nil {
		return nil, nil, err
	}
	if !contains(f.u.Orgs, org.ID) {
		return nil, nil, fmt.Errorf("crate %s was unpacked for %s, not for %s (unpack it for that organization too)", f.u.Name, strings.Join(firstN(f.u.Orgs, 5), ", "), org.ID)
	}
	vars := map[string]any{}
	for k, v := range f.u.Vars {
		vars[k] = v
	}
	if len(o.Vars) > 0 {
		over, unmet := crateVars(&f.c, o.Vars)
		if len(unmet) > 0 {
			return nil, nil, &UnmetError{Crate: f.c.Name, Unmet: unmet}
		}
		for k := range o.Vars {
			vars[k] = over[k]
		}
	}
	prog, err := workflow.Compile(f.wf)
	if err != nil {
		return nil, nil, err
	}
	wo := &workflow.Org{ID: org.ID, Name: org.Name, Domains: org.Domains, Tags: org.Tags, Attributes: org.Attributes, Mapping: map[string]string{}}
	configs := map[string]string{}
	for _, n := range f.c.Needs {
		if m, err := st.MappingOf(n.Name, org.ID); err == nil {
			wo.Mapping[n.Name] = m.AccountID
			configs[n.Name] = m.Config
		}
	}
	clients := map[string]*Client{}
	call := func(ctx context.Context, integ, action string, input json.RawMessage) (json.RawMessage, error) {
		if integ == crates.Builtin {
			return cr.builtin(ctx, f.u.Name, action, input)
		}
		cfg := ""
		if f.wf.Config != "default" {
			c, mapped := configs[integ]
			if !mapped && f.wf.Config == "mapped-only" {
				return nil, fmt.Errorf("%s is not mapped to an account in %s, and workflow %s calls only mapped accounts", org.ID, integ, f.wf.Name)
			}
			cfg = c
		}
		cl, ok := clients[integ+"/"+cfg]
		if !ok {
			var err error
			if cl, err = cr.h.integrations().Client(ctx, integ, cfg); err != nil {
				return nil, err
			}
			clients[integ+"/"+cfg] = cl
		}
		return cl.Invoke(ctx, action, input)
	}
	run := prog.Run(ctx, wo, vars, call, workflow.Options{OnStep: stepHook(o.OnStep)})
	raw, _ := json.Marshal(run)
	rec, err := st.AddRun(store.RunRecord{Crate: f.u.Name, Workflow: f.wf.Name, Org: org.ID, Status: run.Status, Started: run.StartedAt, Run: raw})
	return &rec, run, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Runs lists recorded runs, newest first.
func (cr *cratesSvc) Runs(_ context.Context, limit int) ([]store.RunRecord, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, err
	}
	runs, err := st.Runs(limit)
	if runs == nil {
		runs = []store.RunRecord{}
	}
	return runs, err
}

// RunByID returns one recorded run with its steps.
func (cr *cratesSvc) RunByID(_ context.Context, id int) (*store.RunRecord, *workflow.Run, error) {
	st, err := cr.h.openStore()
	if err != nil {
		return nil, nil, err
	}
	r, err := st.Run(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &NoRunError{ID: id}
	}
	if err != nil {
		return nil, nil, err
	}
	var run workflow.Run
	if err := json.Unmarshal(r.Run, &run); err != nil {
		return nil, nil, err
	}
	return &r, &run, nil
}

// builtin runs Roost's own workflow actions.
func (cr *cratesSvc) builtin(ctx context.Context, crate, action string, input json.RawMessage) (json.RawMessage, error) {
	switch action {
	case "add_organization":
		var in struct {
			Name       string            `json:"name"`
			Domains    []string          `json:"domains"`
			Tags       []string          `json:"tags"`
			Attributes map[string]string `json:"attributes"`
		}
		if err := json.Unmarshal(input, &in); err != nil || strings.TrimSpace(in.Name) == "" {
			return nil, fmt.Errorf("roost.add_organization: want {name, domains?, tags?, attributes?}")
		}
		orgs := cr.h.organizations()
		// An organization that already carries one of these attributes, or
		// this name, is the same one: adding is idempotent.
		all, err := orgs.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range all {
			same := strings.EqualFold(o.Name, strings.TrimSpace(in.Name))
			for k, v := range in.Attributes {
				if v != "" && o.Attributes[k] == v {
					same = true
				}
			}
			if same {
				// Record what the existing organization lacked (its id in
				// the tool), so the next steps and syncs find it.
				ch := OrgChange{Attributes: map[string]*string{}}
				for k, v := range in.Attributes {
					if o.Attributes[k] == "" && v != "" {
						v := v
						ch.Attributes[k] = &v
					}
				}
				if len(ch.Attributes) > 0 {
					if o, err = orgs.Update(ctx, o.ID, ch); err != nil {
						return nil, err
					}
				}
				return json.Marshal(map[string]any{"id": o.ID, "name": o.Name, "created": false, "attributes": o.Attributes})
			}
		}
		o, err := orgs.Add(ctx, OrgInput{Name: in.Name, Domains: in.Domains, Tags: in.Tags, Attributes: in.Attributes})
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"id": o.ID, "name": o.Name, "created": true, "attributes": o.Attributes})
	case "map":
		var in struct {
			Integration, Org, Account, AccountName string
		}
		if err := json.Unmarshal(input, &in); err != nil || in.Integration == "" || in.Org == "" || in.Account == "" {
			return nil, fmt.Errorf("roost.map: want {integration, org, account, accountname?}")
		}
		st, err := cr.h.openStore()
		if err != nil {
			return nil, err
		}
		org, err := findOrg(st, in.Org)
		if err != nil {
			return nil, err
		}
		if m, err := st.MappingOf(in.Integration, org.ID); err == nil && m.SetBy == SetByUser {
			return json.Marshal(map[string]any{"org": org.ID, "account": m.AccountID, "kept": "mapped by hand"})
		}
		m := store.Mapping{Integration: in.Integration, OrgID: org.ID, AccountID: in.Account, AccountName: in.AccountName,
			SetBy: "crate:" + crate, SetAt: time.Now().UTC()}
		if err := st.PutMappings([]store.Mapping{m}); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"org": org.ID, "account": in.Account})
	}
	return nil, fmt.Errorf("roost has no action %q", action)
}

// stepHook adapts a caller's step callback to the workflow engine's.
func stepHook(fn func(StepRecord)) func(workflow.StepRecord) {
	if fn == nil {
		return nil
	}
	return func(s workflow.StepRecord) { fn(StepRecord(s)) }
}
