package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/sdk/abi"
)

// Integrations is the Integrations page as a library: the catalogue,
// install and upgrade, configurations with secrets and a check on save,
// show and uninstall. Get it from Host.Integrations.
type integrationsSvc struct{ h *Host }

// Integrations returns the host's integrations. They keep their state in
// the store under Config.Home, opened (and locked against other
// processes) on first use.
func (h *Host) integrations() *integrationsSvc { return &integrationsSvc{h: h} }

// Status of an integration in the catalogue.
const (
	StatusAvailable    = "available"     // in the catalogue, not installed
	StatusInstalled    = "installed"     // installed, no configuration yet
	StatusConfigured   = "configured"    // every configuration saved and, when it has a check, passing
	StatusCheckFailing = "check failing" // a configuration's last check failed
)

// NotInstalledError says an integration is not installed.
type NotInstalledError struct {
	Name string `json:"name"`
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("integration %q is not installed", e.Name)
}

// NotFoundError says no catalogue entry or file matches what was asked to
// be installed.
type NotFoundError struct {
	Ref       string   `json:"ref"`
	Available []string `json:"available,omitempty"`
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no connector %q in the catalogue and no such file", e.Ref)
	if len(e.Available) > 0 {
		msg += " (available: " + strings.Join(e.Available, ", ") + ")"
	} else {
		msg += " (add catalogue directories with --catalog or ROOST_CATALOG)"
	}
	return msg
}

// Listing is the Integrations page: what is installed and what else the
// catalogue offers.
type Listing struct {
	Installed []InstalledSummary `json:"installed"`
	Available []Available        `json:"available"`
	// Problems are catalogue files that are not usable connectors.
	Problems []CatalogProblem `json:"problems,omitempty"`
	// Organizations is how many organizations there are to map.
	Organizations int `json:"organizations"`
}

// InstalledSummary is one installed integration as the list shows it.
type InstalledSummary struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	Category       string   `json:"category"`
	Description    string   `json:"description"`
	Tags           []string `json:"tags,omitempty"`
	Actions        []string `json:"actions"`
	Status         string   `json:"status"`
	Configurations int      `json:"configurations"`
	DefaultConfig  string   `json:"default_config,omitempty"`
	// Mapped is how many organizations are mapped to an account in the tool.
	Mapped int    `json:"mapped"`
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	// Update is the newer version the catalogue offers, if any.
	Update string `json:"update,omitempty"`
}

// List returns the installed integrations and the available ones not
// installed. It never runs an installed connector: their manifests were
// cached at install.
func (in *integrationsSvc) List(ctx context.Context) (*Listing, error) {
	st, err := in.h.openStore()
	if err != nil {
		return nil, err
	}
	overviews, orgs, err := st.Overviews()
	if err != nil {
		return nil, err
	}
	avail, problems, err := in.h.catalogue(ctx, st)
	if err != nil {
		return nil, err
	}
	best := newest(avail)
	l := &Listing{Installed: []InstalledSummary{}, Available: []Available{}, Problems: problems, Organizations: orgs}
	installed := map[string]bool{}
	for _, o := range overviews {
		s := summarise(o)
		if a, ok := best[s.Name]; ok && compareVersions(a.Version, s.Version) > 0 {
			s.Update = a.Version
		}
		installed[s.Name] = true
		l.Installed = append(l.Installed, s)
	}
	for _, name := range sortedNames(best) {
		// The REST connector is the engine of custom integrations, not an
		// integration of its own: integrations new and import-openapi use it.
		if !installed[name] && !(name == RESTConnector && best[name].Source == SourceBundled) {
			l.Available = append(l.Available, best[name])
		}
	}
	return l, nil
}

func summarise(o store.Overview) InstalledSummary {
	i := o.Integration
	s := InstalledSummary{Name: i.Name, Version: i.Version, Category: i.Category, Description: i.Description,
		Tags: i.Tags, Actions: []string{}, Configurations: len(o.Configurations), DefaultConfig: i.DefaultConfig,
		Mapped: o.Mapped, Source: i.Source, SHA256: i.SHA256, Status: StatusInstalled}
	var m abi.Manifest
	if json.Unmarshal(i.Manifest, &m) == nil {
		for _, a := range m.Actions {
			s.Actions = append(s.Actions, a.Name)
		}
	}
	if len(o.Configurations) > 0 {
		s.Status = StatusConfigured
		for _, c := range o.Configurations {
			if c.Check != nil && !c.Check.OK {
				s.Status = StatusCheckFailing
			}
		}
	}
	return s
}

// SearchResult is one match of a catalogue search.
type SearchResult struct {
	Name        string  `json:"name"`
	Version     string  `json:"version"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Status      string  `json:"status"`
	Score       float64 `json:"score"`
	// Matched names what matched: "name", "category", "tag", "action", "description".
	Matched []string `json:"matched"`
}

// Search ranks installed and available integrations against query: a
// match in the name counts most, then category, tags, action names and
// the description. Every word of the query must match somewhere.
func (in *integrationsSvc) Search(ctx context.Context, query string) ([]SearchResult, error) {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return nil, errors.New("search: the query is empty")
	}
	l, err := in.List(ctx)
	if err != nil {
		return nil, err
	}
	type doc struct {
		name, version, category, description, status string
		tags, actions                                []string
	}
	var docs []doc
	for _, s := range l.Installed {
		docs = append(docs, doc{s.Name, s.Version, s.Category, s.Description, s.Status, s.Tags, s.Actions})
	}
	for _, a := range l.Available {
		docs = append(docs, doc{a.Name, a.Version, a.Category, a.Description, StatusAvailable, a.Tags, a.Actions})
	}
	var out []SearchResult
	for _, d := range docs {
		r := SearchResult{Name: d.name, Version: d.version, Category: d.category, Description: d.description, Status: d.status}
		matched := map[string]bool{}
		all := true
		for _, w := range words {
			score, field := scoreWord(w, d.name, d.category, d.description, d.tags, d.actions)
			if score == 0 {
				all = false
				break
			}
			r.Score += score
			matched[field] = true
		}
		if !all {
			continue
		}
		for _, f := range []string{"name", "category", "tag", "action", "description"} {
			if matched[f] {
				r.Matched = append(r.Matched, f)
			}
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b SearchResult) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// scoreWord scores one query word against an entry's fields, returning
// the best score and the field it came from.
func scoreWord(w, name, category, description string, tags, actions []string) (float64, string) {
	name = strings.ToLower(name)
	best, field := 0.0, ""
	try := func(s float64, f string) {
		if s > best {
			best, field = s, f
		}
	}
	switch {
	case name == w:
		try(100, "name")
	case strings.HasPrefix(name, w):
		try(70, "name")
	case strings.Contains(name, w):
		try(50, "name")
	}
	if strings.EqualFold(category, w) {
		try(40, "category")
	}
	for _, t := range tags {
		t = strings.ToLower(t)
		if t == w {
			try(30, "tag")
		} else if strings.HasPrefix(t, w) {
			try(20, "tag")
		}
	}
	for _, a := range actions {
		if strings.Contains(strings.ToLower(a), w) {
			try(15, "action")
		}
	}
	for _, dw := range strings.FieldsFunc(strings.ToLower(description), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		if dw == w {
			try(10, "description")
		} else if strings.HasPrefix(dw, w) {
			try(5, "description")
		}
	}
	return best, field
}

// InstallResult says what Install did.
type InstallResult struct {
	Integration Installed `json:"integration"`
	// Action is "installed", "upgraded", "downgraded", "replaced" (same
	// version, other bytes) or "unchanged".
	Action      string   `json:"action"`
	FromVersion string   `json:"from_version,omitempty"`
	Changes     *Changes `json:"changes,omitempty"`
	// Mapped counts organizations whose mapping was kept from an earlier
	// install.
	Mapped int `json:"mapped"`
	// ConfigProblems lists, per configuration, the problems the new config
	// schema finds in it; fix them with roost integrations configure.
	ConfigProblems map[string][]FieldProblem `json:"config_problems,omitempty"`
}

// Changes is what an upgrade changed in the manifest.
type Changes struct {
	ActionsAdded   []string `json:"actions_added,omitempty"`
	ActionsRemoved []string `json:"actions_removed,omitempty"`
	ActionsChanged []string `json:"actions_changed,omitempty"`
	FieldsAdded    []string `json:"fields_added,omitempty"`
	FieldsRemoved  []string `json:"fields_removed,omitempty"`
	HostsAdded     []string `json:"hosts_added,omitempty"`
	HostsRemoved   []string `json:"hosts_removed,omitempty"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return len(c.ActionsAdded)+len(c.ActionsRemoved)+len(c.ActionsChanged)+len(c.FieldsAdded)+len(c.FieldsRemoved)+len(c.HostsAdded)+len(c.HostsRemoved) == 0
}

// Install installs the connector ref names: a path to a .wasm file, or the
// name of a catalogue connector (the newest version). The module is
// verified by loading it, then copied into the home under its sha256, so
// later edits of the source file change nothing. Installing over an
// installed integration upgrades it in place, keeping its configurations
// and mapping.
func (in *integrationsSvc) Install(ctx context.Context, ref string) (*InstallResult, error) {
	return in.install(ctx, ref, false)
}

// InstallLink installs the connector file at path as a link: nothing is
// copied, and the integration loads the file as it is whenever it changes,
// so an author's newest build is what the integration runs. Configurations
// and mappings work as for any integration.
func (in *integrationsSvc) InstallLink(ctx context.Context, path string) (*InstallResult, error) {
	return in.install(ctx, path, true)
}

func (in *integrationsSvc) install(ctx context.Context, ref string, link bool) (*InstallResult, error) {
	if ref == RESTConnector && !link {
		return nil, &InvalidInputError{Field: "integration", Value: RESTConnector, Problem: "is the engine custom integrations run on, not an integration to install; describe a custom integration or import an OpenAPI document instead"}
	}
	h := in.h
	st, err := h.openStore()
	if err != nil {
		return nil, err
	}
	var wasm []byte
	var source string
	if link {
		if source, err = filepath.Abs(ref); err == nil {
			wasm, err = os.ReadFile(source)
		}
		if err != nil {
			return nil, fmt.Errorf("link %s: %w", ref, err)
		}
	} else if wasm, source, err = in.resolve(ctx, st, ref); err != nil {
		return nil, err
	}
	conn, err := h.Load(ctx, source, wasm)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	m := conn.Manifest()
	sha := digest(wasm)
	if !link {
		if err := h.writeModule(sha, wasm); err != nil {
			return nil, err
		}
	}
	// Cache the manifest by digest too, so a catalogue listing of the same
	// bytes needs no describe.
	if err := st.PutCatalogEntry(store.CatalogEntry{SHA256: sha, Size: int64(len(wasm)), Manifest: conn.ManifestJSON(), SeenAt: time.Now().UTC()}); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	rec := store.Integration{Name: m.Name, Version: m.Version, Category: string(m.Category), Description: m.Description,
		Tags: m.Tags, SHA256: sha, Size: int64(len(wasm)), Source: source, Manifest: conn.ManifestJSON(),
		InstalledAt: now, UpdatedAt: now}
	if link {
		rec.Link = source
	}
	res := &InstallResult{Action: "installed"}
	old, err := st.Integration(m.Name)
	switch {
	case err == nil:
		res.FromVersion = old.Version
		res.Changes = diffManifests(old.Manifest, m)
		switch c := compareVersions(m.Version, old.Version); {
		case old.SHA256 == sha && old.Link == rec.Link:
			res.Action = "unchanged"
		case c > 0:
			res.Action = "upgraded"
		case c < 0:
			res.Action = "downgraded"
		default:
			res.Action = "replaced"
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if res.Action != "unchanged" {
		if err := st.PutIntegration(rec); err != nil {
			return nil, err
		}
		if res.FromVersion != "" && old.SHA256 != sha {
			h.removeModuleIfUnused(st, old.SHA256)
		}
	}
	if rec, err = st.Integration(m.Name); err != nil {
		return nil, err
	}
	res.Integration = Installed(rec)
	maps, err := st.Mappings(m.Name)
	if err != nil {
		return nil, err
	}
	res.Mapped = len(maps)
	// Configurations saved under the old schema may not satisfy the new one.
	cfgs, err := st.Configurations(m.Name)
	if err != nil {
		return nil, err
	}
	if len(cfgs) > 0 {
		for _, c := range cfgs {
			if _, _, p := m.CheckConfig(presenceValues(c)); len(p) > 0 {
				if res.ConfigProblems == nil {
					res.ConfigProblems = map[string][]FieldProblem{}
				}
				res.ConfigProblems[c.Name] = p
			}
		}
	}
	return res, nil
}

// presenceValues is a configuration's values with each set secret stood
// in for by a placeholder string: enough to check a schema without
// opening the secrets.
func presenceValues(c store.Configuration) map[string]any {
	v := make(map[string]any, len(c.Values)+len(c.SecretFields))
	for k, x := range c.Values {
		v[k] = x
	}
	for _, k := range c.SecretFields {
		v[k] = "set"
	}
	return v
}

// resolve finds the module ref names: a file path, or a catalogue name.
func (in *integrationsSvc) resolve(ctx context.Context, st *store.Store, ref string) ([]byte, string, error) {
	looksLikePath := strings.HasSuffix(ref, ".wasm") || strings.ContainsRune(ref, os.PathSeparator) || strings.HasPrefix(ref, ".")
	if info, err := os.Stat(ref); err == nil {
		if info.IsDir() {
			return nil, "", fmt.Errorf("install %s: a directory; give the built .wasm file (build a Go connector with: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o NAME.wasm)", ref)
		}
		wasm, err := os.ReadFile(ref)
		if err != nil {
			return nil, "", fmt.Errorf("install %s: %w", ref, err)
		}
		abs, _ := filepath.Abs(ref)
		return wasm, abs, nil
	} else if looksLikePath {
		return nil, "", fmt.Errorf("install %s: %s", ref, errText(err))
	}
	avail, _, err := in.h.catalogue(ctx, st)
	if err != nil {
		return nil, "", err
	}
	best := newest(avail)
	a, ok := best[ref]
	if !ok {
		return nil, "", &NotFoundError{Ref: ref, Available: sortedNames(best)}
	}
	wasm, err := in.h.readAvailable(a)
	if err != nil {
		return nil, "", err
	}
	return wasm, a.Source, nil
}

// writeModule stores wasm in the home under its digest (write to a
// temporary file, then rename, so a crash never leaves half a module).
func (h *Host) writeModule(sha string, wasm []byte) error {
	path := h.modulePath(sha)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(h.modulesDir(), 0o700); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	tmp, err := os.CreateTemp(h.modulesDir(), ".tmp-*")
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	_, err = tmp.Write(wasm)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("install: write module: %w", err)
	}
	return nil
}

// removeModuleIfUnused deletes a module file no installed integration
// uses. A failure only leaves a file behind.
func (h *Host) removeModuleIfUnused(st *store.Store, sha string) {
	if used, err := st.ModuleInUse(sha); err == nil && !used {
		os.Remove(h.modulePath(sha))
	}
}

func diffManifests(oldRaw json.RawMessage, m *abi.Manifest) *Changes {
	var old abi.Manifest
	json.Unmarshal(oldRaw, &old)
	c := &Changes{}
	oldActions := map[string]string{}
	for _, a := range old.Actions {
		b, _ := json.Marshal(a)
		oldActions[a.Name] = string(b)
	}
	newActions := map[string]bool{}
	for _, a := range m.Actions {
		newActions[a.Name] = true
		b, _ := json.Marshal(a)
		switch prev, ok := oldActions[a.Name]; {
		case !ok:
			c.ActionsAdded = append(c.ActionsAdded, a.Name)
		case prev != string(b):
			c.ActionsChanged = append(c.ActionsChanged, a.Name)
		}
	}
	for _, a := range old.Actions {
		if !newActions[a.Name] {
			c.ActionsRemoved = append(c.ActionsRemoved, a.Name)
		}
	}
	oldFields := map[string]bool{}
	for _, f := range old.Config {
		oldFields[f.Name] = true
	}
	newFields := map[string]bool{}
	for _, f := range m.Config {
		newFields[f.Name] = true
		if !oldFields[f.Name] {
			c.FieldsAdded = append(c.FieldsAdded, f.Name)
		}
	}
	for _, f := range old.Config {
		if !newFields[f.Name] {
			c.FieldsRemoved = append(c.FieldsRemoved, f.Name)
		}
	}
	for _, x := range m.Hosts {
		if !slices.Contains(old.Hosts, x) {
			c.HostsAdded = append(c.HostsAdded, x)
		}
	}
	for _, x := range old.Hosts {
		if !slices.Contains(m.Hosts, x) {
			c.HostsRemoved = append(c.HostsRemoved, x)
		}
	}
	return c
}
