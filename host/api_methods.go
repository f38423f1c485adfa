package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/roosthq/roost/crates"
	"github.com/roosthq/roost/sdk/rest"
)

// This file is the API's one table: each method's input, the service it
// runs, and the typed front (Integrations, Mappings, …) that callers use.
// docs/api.md lists the same methods.

type (
	nameIn struct {
		Name string `json:"name"`
	}
	integrationIn struct {
		Integration string `json:"integration"`
	}
	configureIn struct {
		Name  string         `json:"name"`
		Input ConfigureInput `json:"input"`
	}
	uninstallIn struct {
		Name    string           `json:"name"`
		Options UninstallOptions `json:"options"`
	}
	customIn struct {
		Definition *rest.Definition `json:"definition"`
		Source     string           `json:"source"`
	}
	editIn struct {
		Name string     `json:"name"`
		Edit CustomEdit `json:"edit"`
	}
	openAPIIn struct {
		Document []byte         `json:"document,omitempty"`
		Options  OpenAPIOptions `json:"options"`
	}
	authorizeIn struct {
		Name    string           `json:"name"`
		Options AuthorizeOptions `json:"options"`
	}
	refIn struct {
		Ref string `json:"ref"`
	}
	orgUpdateIn struct {
		Ref    string    `json:"ref"`
		Change OrgChange `json:"change"`
	}
	orgImportIn struct {
		CSV     []byte        `json:"csv"`
		Options ImportOptions `json:"options"`
	}
	refreshIn struct {
		Integration string         `json:"integration"`
		Options     RefreshOptions `json:"options"`
	}
	suggestIn struct {
		Integration string         `json:"integration"`
		Options     SuggestOptions `json:"options"`
	}
	viewIn struct {
		Integration string      `json:"integration"`
		Options     ViewOptions `json:"options"`
	}
	setIn struct {
		Integration string `json:"integration"`
		Org         string `json:"org"`
		Account     string `json:"account,omitempty"`
	}
	saveIn struct {
		Integration string      `json:"integration"`
		Options     SaveOptions `json:"options"`
	}
	mappingImportIn struct {
		Integration string `json:"integration"`
		CSV         []byte `json:"csv"`
	}
	unpackIn struct {
		Ref     string        `json:"ref"`
		Options UnpackOptions `json:"options"`
	}
	runIn struct {
		Ref     string     `json:"ref"`
		Org     string     `json:"org"`
		Options RunOptions `json:"options"`
	}
	limitIn struct {
		Limit int `json:"limit"`
	}
	idIn struct {
		ID int `json:"id"`
	}
	requestIn struct {
		Tool   string `json:"tool"`
		Reason string `json:"reason,omitempty"`
		Who    string `json:"who"`
	}
	voteIn struct {
		ID  int    `json:"id"`
		Who string `json:"who"`
	}
	devIn struct {
		Options DevOptions     `json:"options"`
		Config  map[string]any `json:"config,omitempty"`
	}
)

// crateShown is Crates.Show's answer.
type crateShown struct {
	Crate  *crates.Crate `json:"crate"`
	Status *CrateStatus  `json:"status"`
}

// runShown is a run and its record.
type runShown struct {
	Record *RunRecord   `json:"record"`
	Run    *WorkflowRun `json:"run"`
}

// textOut carries a document (CSV) the service wrote.
type textOut struct {
	Text []byte `json:"text"`
}

// countOut is a number of things.
type countOut struct {
	Count int `json:"count"`
}

func noOut(err error) (any, error) { return struct{}{}, err }

// one and many turn a service's store records into the API's view types,
// so the wire is the views' JSON, not the store's layout.
func one[S, V any](view func(V, S) V) func(S, error) (any, error) {
	return func(s S, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		var v V
		return view(v, s), nil
	}
}

func many[S, V any](view func(V, S) V) func([]S, error) (any, error) {
	return func(list []S, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		out := make([]V, len(list))
		var v V
		for i, s := range list {
			out[i] = view(v, s)
		}
		return out, nil
	}
}

var apiMethods = map[string]apiMethod{
	"service.status": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		return h.status(), nil
	}),

	"integrations.list": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		return h.integrations().List(ctx)
	}),
	"integrations.search": rpc(func(ctx context.Context, h *Host, in struct {
		Query string `json:"query"`
	}, _ func(any)) (any, error) {
		return h.integrations().Search(ctx, in.Query)
	}),
	"integrations.install": rpc(func(ctx context.Context, h *Host, in refIn, _ func(any)) (any, error) {
		return h.integrations().Install(ctx, in.Ref)
	}),
	"integrations.install_link": rpc(func(ctx context.Context, h *Host, in refIn, _ func(any)) (any, error) {
		return h.integrations().InstallLink(ctx, in.Ref)
	}),
	"integrations.configure": rpc(func(ctx context.Context, h *Host, in configureIn, _ func(any)) (any, error) {
		return h.integrations().Configure(ctx, in.Name, in.Input)
	}),
	"integrations.show": rpc(func(ctx context.Context, h *Host, in nameIn, _ func(any)) (any, error) {
		return h.integrations().Show(ctx, in.Name)
	}),
	"integrations.uninstall": rpc(func(ctx context.Context, h *Host, in uninstallIn, _ func(any)) (any, error) {
		return h.integrations().Uninstall(ctx, in.Name, in.Options)
	}),
	"integrations.install_custom": rpc(func(ctx context.Context, h *Host, in customIn, _ func(any)) (any, error) {
		return h.integrations().InstallCustom(ctx, in.Definition, in.Source)
	}),
	"integrations.custom_definition": rpc(func(ctx context.Context, h *Host, in nameIn, _ func(any)) (any, error) {
		return h.integrations().CustomDefinition(ctx, in.Name)
	}),
	"integrations.edit_custom": rpc(func(ctx context.Context, h *Host, in editIn, _ func(any)) (any, error) {
		return h.integrations().EditCustom(ctx, in.Name, in.Edit)
	}),
	"integrations.import_openapi": rpc(func(ctx context.Context, h *Host, in openAPIIn, _ func(any)) (any, error) {
		return h.integrations().ImportOpenAPI(ctx, in.Document, in.Options)
	}),
	"integrations.authorize": rpc(func(ctx context.Context, h *Host, in authorizeIn, emit func(any)) (any, error) {
		in.Options.Open = func(url string) error { emit(authorizeEvent{URL: url}); return nil }
		return noOut(h.integrations().Authorize(ctx, in.Name, in.Options))
	}),
	"integrations.invoke": rpc(func(ctx context.Context, h *Host, in InvokeInput, _ func(any)) (any, error) {
		return h.invoke(ctx, in)
	}),

	"organizations.add": rpc(func(ctx context.Context, h *Host, in OrgInput, _ func(any)) (any, error) {
		return one(Organization.of)(h.organizations().Add(ctx, in))
	}),
	"organizations.list": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		return many(Organization.of)(h.organizations().List(ctx))
	}),
	"organizations.get": rpc(func(ctx context.Context, h *Host, in refIn, _ func(any)) (any, error) {
		return one(Organization.of)(h.organizations().Get(ctx, in.Ref))
	}),
	"organizations.update": rpc(func(ctx context.Context, h *Host, in orgUpdateIn, _ func(any)) (any, error) {
		return one(Organization.of)(h.organizations().Update(ctx, in.Ref, in.Change))
	}),
	"organizations.remove": rpc(func(ctx context.Context, h *Host, in refIn, _ func(any)) (any, error) {
		return one(Organization.of)(h.organizations().Remove(ctx, in.Ref))
	}),
	"organizations.import": rpc(func(ctx context.Context, h *Host, in orgImportIn, _ func(any)) (any, error) {
		return h.organizations().Import(ctx, bytes.NewReader(in.CSV), in.Options)
	}),
	"organizations.export": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		var b bytes.Buffer
		err := h.organizations().Export(ctx, &b)
		return textOut{Text: b.Bytes()}, err
	}),

	"mappings.refresh": rpc(func(ctx context.Context, h *Host, in refreshIn, emit func(any)) (any, error) {
		in.Options.Progress = func(p RefreshProgress) { emit(p) }
		return h.mappings().Refresh(ctx, in.Integration, in.Options)
	}),
	"mappings.options": rpc(func(ctx context.Context, h *Host, in integrationIn, _ func(any)) (any, error) {
		o, err := h.mappings().Options(ctx, in.Integration)
		if err != nil {
			return nil, err
		}
		v := optionsView(&o)
		v.Accounts = o.Accounts
		return v, nil
	}),
	"mappings.suggest": rpc(func(ctx context.Context, h *Host, in suggestIn, _ func(any)) (any, error) {
		return h.mappings().Suggest(ctx, in.Integration, in.Options)
	}),
	"mappings.view": rpc(func(ctx context.Context, h *Host, in viewIn, _ func(any)) (any, error) {
		return h.mappings().View(ctx, in.Integration, in.Options)
	}),
	"mappings.list": rpc(func(ctx context.Context, h *Host, in integrationIn, _ func(any)) (any, error) {
		return many(Mapping.of)(h.mappings().List(ctx, in.Integration))
	}),
	"mappings.account_for": rpc(func(ctx context.Context, h *Host, in setIn, _ func(any)) (any, error) {
		return h.mappings().AccountFor(ctx, in.Integration, in.Org)
	}),
	"mappings.set": rpc(func(ctx context.Context, h *Host, in setIn, _ func(any)) (any, error) {
		return one(DraftEntry.of)(h.mappings().Set(ctx, in.Integration, in.Org, in.Account))
	}),
	"mappings.unset": rpc(func(ctx context.Context, h *Host, in setIn, _ func(any)) (any, error) {
		return noOut(h.mappings().Unset(ctx, in.Integration, in.Org))
	}),
	"mappings.save": rpc(func(ctx context.Context, h *Host, in saveIn, _ func(any)) (any, error) {
		return h.mappings().Save(ctx, in.Integration, in.Options)
	}),
	"mappings.aliases": rpc(func(ctx context.Context, h *Host, in integrationIn, _ func(any)) (any, error) {
		return h.mappings().Aliases(ctx, in.Integration)
	}),
	"mappings.forget_alias": rpc(func(ctx context.Context, h *Host, in setIn, _ func(any)) (any, error) {
		return h.mappings().ForgetAlias(ctx, in.Integration, in.Org, in.Account)
	}),
	"mappings.discard": rpc(func(ctx context.Context, h *Host, in integrationIn, _ func(any)) (any, error) {
		n, err := h.mappings().Discard(ctx, in.Integration)
		return countOut{Count: n}, err
	}),
	"mappings.export": rpc(func(ctx context.Context, h *Host, in integrationIn, _ func(any)) (any, error) {
		var b bytes.Buffer
		err := h.mappings().Export(ctx, in.Integration, &b)
		return textOut{Text: b.Bytes()}, err
	}),
	"mappings.import": rpc(func(ctx context.Context, h *Host, in mappingImportIn, _ func(any)) (any, error) {
		return h.mappings().Import(ctx, in.Integration, bytes.NewReader(in.CSV))
	}),

	"crates.list": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		return h.crates().List(ctx)
	}),
	"crates.show": rpc(func(ctx context.Context, h *Host, in nameIn, _ func(any)) (any, error) {
		c, st, err := h.crates().Show(ctx, in.Name)
		return crateShown{Crate: c, Status: st}, err
	}),
	"crates.unpack": rpc(func(ctx context.Context, h *Host, in unpackIn, _ func(any)) (any, error) {
		return h.crates().Unpack(ctx, in.Ref, in.Options)
	}),
	"crates.remove": rpc(func(ctx context.Context, h *Host, in nameIn, _ func(any)) (any, error) {
		return noOut(h.crates().Remove(ctx, in.Name))
	}),
	"runs.start": rpc(func(ctx context.Context, h *Host, in runIn, emit func(any)) (any, error) {
		in.Options.OnStep = func(s StepRecord) { emit(s) }
		rec, run, err := h.crates().Run(ctx, in.Ref, in.Org, in.Options)
		if err != nil {
			return nil, err
		}
		r := RunRecord(*rec)
		return runShown{Record: &r, Run: runView(run)}, nil
	}),
	"runs.list": rpc(func(ctx context.Context, h *Host, in limitIn, _ func(any)) (any, error) {
		return many(RunRecord.of)(h.crates().Runs(ctx, in.Limit))
	}),
	"runs.get": rpc(func(ctx context.Context, h *Host, in idIn, _ func(any)) (any, error) {
		rec, run, err := h.crates().RunByID(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		r := RunRecord(*rec)
		return runShown{Record: &r, Run: runView(run)}, nil
	}),

	"requests.add": rpc(func(ctx context.Context, h *Host, in requestIn, _ func(any)) (any, error) {
		return one(Request.of)(h.requests().Add(ctx, in.Tool, in.Reason, in.Who))
	}),
	"requests.list": rpc(func(ctx context.Context, h *Host, _ struct{}, _ func(any)) (any, error) {
		return many(Request.of)(h.requests().List(ctx))
	}),
	"requests.vote": rpc(func(ctx context.Context, h *Host, in voteIn, _ func(any)) (any, error) {
		return one(Request.of)(h.requests().Vote(ctx, in.ID, in.Who))
	}),

	"dev.run": rpc(func(ctx context.Context, h *Host, in devIn, emit func(any)) (any, error) {
		return noOut(h.runDev(ctx, in.Options, in.Config, emit))
	}),
}

// authorizeEvent asks the person to visit a URL.
type authorizeEvent struct {
	URL string `json:"url"`
}

// ---- the typed fronts ----

// Integrations is the Integrations page as an API: the catalogue, install
// and upgrade, configurations with secrets and a check on save, show,
// uninstall, custom integrations and calls. Get it from
// Service.Integrations (or Host.Integrations).
type Integrations struct{ t transport }

// List returns the installed integrations and the available ones not
// installed. It never runs an installed connector: their manifests were
// cached at install.
func (in *Integrations) List(ctx context.Context) (*Listing, error) {
	return call[*Listing](ctx, in.t, "integrations.list", struct{}{}, nil)
}

// Search finds integrations, installed or available, whose name,
// category, description, tags or actions match query.
func (in *Integrations) Search(ctx context.Context, query string) ([]SearchResult, error) {
	return call[[]SearchResult](ctx, in.t, "integrations.search", map[string]string{"query": query}, nil)
}

// Install installs a connector by catalogue name (bundled or in a
// catalogue directory) or from a .wasm file's path (made absolute here).
// Installing a newer version upgrades it, keeping its configurations.
func (in *Integrations) Install(ctx context.Context, ref string) (*InstallResult, error) {
	return call[*InstallResult](ctx, in.t, "integrations.install", refIn{Ref: absIfFile(ref)}, nil)
}

// InstallLink installs the build at path as a linked integration: it
// runs that file as it is whenever it changes.
func (in *Integrations) InstallLink(ctx context.Context, path string) (*InstallResult, error) {
	return call[*InstallResult](ctx, in.t, "integrations.install_link", refIn{Ref: absPath(path)}, nil)
}

// Configure validates and saves a configuration, then runs the
// connector's check (it calls the tool) and stores the result with it. A
// configuration that does not validate is not saved: the error is a
// *ConfigError naming every bad field. A failing check still saves, with
// the check's reason; so does a check that could not run.
func (in *Integrations) Configure(ctx context.Context, name string, ci ConfigureInput) (*ConfigureResult, error) {
	return call[*ConfigureResult](ctx, in.t, "integrations.configure", configureIn{Name: name, Input: ci}, nil)
}

// Show returns an installed integration: manifest, configurations
// (secrets masked) and their last checks, mappings.
func (in *Integrations) Show(ctx context.Context, name string) (*Details, error) {
	return call[*Details](ctx, in.t, "integrations.show", nameIn{Name: name}, nil)
}

// Uninstall removes an integration. Unpacked crates that need it refuse
// it (a *NeededByCratesError) unless o.Force; its organization mapping is
// kept unless o.Purge.
func (in *Integrations) Uninstall(ctx context.Context, name string, o UninstallOptions) (*UninstallResult, error) {
	return call[*UninstallResult](ctx, in.t, "integrations.uninstall", uninstallIn{Name: name, Options: o}, nil)
}

// InstallCustom installs (or updates) a custom integration described by
// def, which runs on the bundled REST connector.
func (in *Integrations) InstallCustom(ctx context.Context, def *rest.Definition, source string) (*InstallResult, error) {
	return call[*InstallResult](ctx, in.t, "integrations.install_custom", customIn{Definition: def, Source: source}, nil)
}

// CustomDefinition returns a custom integration's definition.
func (in *Integrations) CustomDefinition(ctx context.Context, name string) (*rest.Definition, error) {
	return call[*rest.Definition](ctx, in.t, "integrations.custom_definition", nameIn{Name: name}, nil)
}

// EditCustom changes a custom integration's definition.
func (in *Integrations) EditCustom(ctx context.Context, name string, edit CustomEdit) (*InstallResult, error) {
	return call[*InstallResult](ctx, in.t, "integrations.edit_custom", editIn{Name: name, Edit: edit}, nil)
}

// ImportOpenAPI makes a custom integration from an OpenAPI document (the
// bytes, or opts.URL, which the service fetches through the same egress
// policy as connectors) and installs it. Over an earlier import of the
// same name it keeps the user's edits.
func (in *Integrations) ImportOpenAPI(ctx context.Context, document []byte, opts OpenAPIOptions) (*OpenAPIResult, error) {
	return call[*OpenAPIResult](ctx, in.t, "integrations.import_openapi", openAPIIn{Document: document, Options: opts}, nil)
}

// Authorize signs an integration with oauth2_authorization_code auth in to
// its tool; opts.Open is given the URL the person must visit.
func (in *Integrations) Authorize(ctx context.Context, name string, opts AuthorizeOptions) error {
	open := opts.Open
	var openErr error
	events := func(raw json.RawMessage) {
		var ev authorizeEvent
		if json.Unmarshal(raw, &ev) == nil && open != nil && openErr == nil {
			openErr = open(ev.URL)
		}
	}
	_, err := call[struct{}](ctx, in.t, "integrations.authorize", authorizeIn{Name: name, Options: opts}, events)
	if err == nil {
		err = openErr
	}
	return err
}

// InvokeInput is one call of an integration's action.
type InvokeInput struct {
	// Integration is an installed integration's name, or a connector under
	// development in a dev session, which answers first.
	Integration string `json:"integration"`
	// Config names the configuration; "" is the default.
	Config string          `json:"config,omitempty"`
	Action string          `json:"action"`
	Input  json.RawMessage `json:"input,omitempty"`
	// Timeout bounds the call (the service's own limit still applies).
	Timeout time.Duration `json:"timeout_ns,omitempty"`
}

// InvokeResult is an action's answer.
type InvokeResult struct {
	Connector string          `json:"connector"`
	Version   string          `json:"version"`
	Output    json.RawMessage `json:"output"`
	// Dev is true when a development session answered.
	Dev  bool          `json:"dev,omitempty"`
	Took time.Duration `json:"took_ns"`
}

// Invoke runs an action of an installed integration (or of a connector in
// a dev session) with its stored configuration. The connector's own error
// is a *CallError.
func (in *Integrations) Invoke(ctx context.Context, ii InvokeInput) (*InvokeResult, error) {
	return call[*InvokeResult](ctx, in.t, "integrations.invoke", ii, nil)
}

// Organizations are the user's customers, with the managing organization,
// domains, tags and attributes. Get them from Service.Organizations.
type Organizations struct{ t transport }

// Add adds an organization; its ID is a slug of the name unless given.
func (o *Organizations) Add(ctx context.Context, in OrgInput) (Organization, error) {
	return call[Organization](ctx, o.t, "organizations.add", in, nil)
}

// List returns every organization, sorted by name.
func (o *Organizations) List(ctx context.Context) ([]Organization, error) {
	return call[[]Organization](ctx, o.t, "organizations.list", struct{}{}, nil)
}

// Get finds an organization by ID or exact name.
func (o *Organizations) Get(ctx context.Context, ref string) (Organization, error) {
	return call[Organization](ctx, o.t, "organizations.get", refIn{Ref: ref}, nil)
}

// Update changes an organization; a new ID moves its mappings.
func (o *Organizations) Update(ctx context.Context, ref string, ch OrgChange) (Organization, error) {
	return call[Organization](ctx, o.t, "organizations.update", orgUpdateIn{Ref: ref, Change: ch}, nil)
}

// Remove removes an organization and its mappings, in one transaction.
func (o *Organizations) Remove(ctx context.Context, ref string) (Organization, error) {
	return call[Organization](ctx, o.t, "organizations.remove", refIn{Ref: ref}, nil)
}

// Import reads organizations from CSV (see docs/mapping.md for the
// columns); each bad row is reported by its line.
func (o *Organizations) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read organizations: %w", err)
	}
	return call[*ImportReport](ctx, o.t, "organizations.import", orgImportIn{CSV: data, Options: opts}, nil)
}

// Export writes every organization as CSV, in Import's columns.
func (o *Organizations) Export(ctx context.Context, w io.Writer) error {
	out, err := call[textOut](ctx, o.t, "organizations.export", struct{}{}, nil)
	if err != nil {
		return err
	}
	_, err = w.Write(out.Text)
	return err
}

// Mappings link each organization to its account in each tool: refresh
// pulls the accounts, suggest drafts matches, the user reviews and sets,
// save makes the draft the mapping. Get them from Service.Mappings.
type Mappings struct{ t transport }

// Refresh pulls every account of an integration's tool, page by page;
// opts.Progress hears of each page. Any failure keeps the previous
// options: the error is a *RefreshError.
func (mp *Mappings) Refresh(ctx context.Context, integration string, opts RefreshOptions) (*RefreshResult, error) {
	var events func(json.RawMessage)
	if opts.Progress != nil {
		events = func(raw json.RawMessage) {
			var p RefreshProgress
			if json.Unmarshal(raw, &p) == nil {
				opts.Progress(p)
			}
		}
	}
	return call[*RefreshResult](ctx, mp.t, "mappings.refresh", refreshIn{Integration: integration, Options: opts}, events)
}

// Options returns the accounts last pulled from an integration's tool.
func (mp *Mappings) Options(ctx context.Context, integration string) (*AccountOptions, error) {
	return call[*AccountOptions](ctx, mp.t, "mappings.options", integrationIn{Integration: integration}, nil)
}

// Suggest matches organizations to accounts with the rules and puts the
// suggestions in the draft; hand-made draft entries stay unless
// opts.Overwrite.
func (mp *Mappings) Suggest(ctx context.Context, integration string, opts SuggestOptions) (*SuggestReport, error) {
	return call[*SuggestReport](ctx, mp.t, "mappings.suggest", suggestIn{Integration: integration, Options: opts}, nil)
}

// View returns one page of the mapping table: each organization with its
// saved and draft account.
func (mp *Mappings) View(ctx context.Context, integration string, opts ViewOptions) (*MappingPage, error) {
	return call[*MappingPage](ctx, mp.t, "mappings.view", viewIn{Integration: integration, Options: opts}, nil)
}

// List returns the saved mappings of an integration.
func (mp *Mappings) List(ctx context.Context, integration string) ([]Mapping, error) {
	return call[[]Mapping](ctx, mp.t, "mappings.list", integrationIn{Integration: integration}, nil)
}

// AccountFor returns the account an organization is mapped to; a
// *NotMappedError when it is not.
func (mp *Mappings) AccountFor(ctx context.Context, integration, orgRef string) (MappedAccount, error) {
	return call[MappedAccount](ctx, mp.t, "mappings.account_for", setIn{Integration: integration, Org: orgRef}, nil)
}

// Set puts an organization's account (by id or exact name) in the draft.
func (mp *Mappings) Set(ctx context.Context, integration, orgRef, accountRef string) (DraftEntry, error) {
	return call[DraftEntry](ctx, mp.t, "mappings.set", setIn{Integration: integration, Org: orgRef, Account: accountRef}, nil)
}

// Unset marks an organization's mapping for removal in the draft.
func (mp *Mappings) Unset(ctx context.Context, integration, orgRef string) error {
	_, err := call[struct{}](ctx, mp.t, "mappings.unset", setIn{Integration: integration, Org: orgRef}, nil)
	return err
}

// Save makes the draft the mapping, all or nothing: a vanished
// organization or an account mapped twice refuses it (a *ConflictError).
// Suggestions held for review stay in the draft unless opts say to
// include them; where the user chose another account than the one
// suggested, the choice is kept as an alias for the next Suggest.
func (mp *Mappings) Save(ctx context.Context, integration string, opts ...SaveOptions) (*SaveResult, error) {
	var o SaveOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return call[*SaveResult](ctx, mp.t, "mappings.save", saveIn{Integration: integration, Options: o}, nil)
}

// Aliases lists what the user taught an integration's suggestions: per
// organization, the account chosen over a suggestion and those refused.
func (mp *Mappings) Aliases(ctx context.Context, integration string) ([]Alias, error) {
	return call[[]Alias](ctx, mp.t, "mappings.aliases", integrationIn{Integration: integration}, nil)
}

// ForgetAlias drops what was learned for an organization: everything, or
// only what concerns one account (empty means all). It returns how many
// lessons it dropped.
func (mp *Mappings) ForgetAlias(ctx context.Context, integration, orgRef, account string) (int, error) {
	out, err := call[countOut](ctx, mp.t, "mappings.forget_alias", setIn{Integration: integration, Org: orgRef, Account: account}, nil)
	return out.Count, err
}

// Discard drops the draft and says how many entries it had.
func (mp *Mappings) Discard(ctx context.Context, integration string) (int, error) {
	out, err := call[countOut](ctx, mp.t, "mappings.discard", integrationIn{Integration: integration}, nil)
	return out.Count, err
}

// Export writes the mapping table as CSV.
func (mp *Mappings) Export(ctx context.Context, integration string, w io.Writer) error {
	out, err := call[textOut](ctx, mp.t, "mappings.export", integrationIn{Integration: integration}, nil)
	if err != nil {
		return err
	}
	_, err = w.Write(out.Text)
	return err
}

// Import reads a mapping CSV (Export's columns) into the draft.
func (mp *Mappings) Import(ctx context.Context, integration string, r io.Reader) (*MappingImportReport, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return call[*MappingImportReport](ctx, mp.t, "mappings.import", mappingImportIn{Integration: integration, CSV: data}, nil)
}

// Crates are packages of workflows: listed with what each needs, unpacked
// for organizations, run. Get them from Service.Crates.
type Crates struct{ t transport }

// List returns the bundled and unpacked crates, each need with its
// status.
func (cr *Crates) List(ctx context.Context) ([]CrateStatus, error) {
	return call[[]CrateStatus](ctx, cr.t, "crates.list", struct{}{}, nil)
}

// Show returns a crate and its needs' status.
func (cr *Crates) Show(ctx context.Context, name string) (*crates.Crate, *CrateStatus, error) {
	out, err := call[crateShown](ctx, cr.t, "crates.show", nameIn{Name: name}, nil)
	return out.Crate, out.Status, err
}

// Unpack checks every need of a crate (bundled name, directory or
// archive, made absolute here) for the organizations and unpacks it; with
// any need unmet it unpacks nothing and the error is an *UnmetError
// listing each.
func (cr *Crates) Unpack(ctx context.Context, ref string, o UnpackOptions) (*UnpackResult, error) {
	return call[*UnpackResult](ctx, cr.t, "crates.unpack", unpackIn{Ref: absIfFile(ref), Options: o}, nil)
}

// Remove removes an unpacked crate.
func (cr *Crates) Remove(ctx context.Context, name string) error {
	_, err := call[struct{}](ctx, cr.t, "crates.remove", nameIn{Name: name}, nil)
	return err
}

// Run runs a workflow of an unpacked crate for one organization, each step
// reported to o.OnStep as it finishes, and records the run.
func (cr *Crates) Run(ctx context.Context, ref, orgRef string, o RunOptions) (*RunRecord, *WorkflowRun, error) {
	var events func(json.RawMessage)
	if o.OnStep != nil {
		events = func(raw json.RawMessage) {
			var s StepRecord
			if json.Unmarshal(raw, &s) == nil {
				o.OnStep(s)
			}
		}
	}
	out, err := call[runShown](ctx, cr.t, "runs.start", runIn{Ref: ref, Org: orgRef, Options: o}, events)
	return out.Record, out.Run, err
}

// Runs lists recorded runs, newest first (at most limit; 0 means all).
func (cr *Crates) Runs(ctx context.Context, limit int) ([]RunRecord, error) {
	return call[[]RunRecord](ctx, cr.t, "runs.list", limitIn{Limit: limit}, nil)
}

// RunByID returns a recorded run.
func (cr *Crates) RunByID(ctx context.Context, id int) (*RunRecord, *WorkflowRun, error) {
	out, err := call[runShown](ctx, cr.t, "runs.get", idIn{ID: id}, nil)
	return out.Record, out.Run, err
}

// Requests are the integrations users asked for, with their votes. Get
// them from Service.Requests.
type Requests struct{ t transport }

// Add records a request for a tool by who; it counts as their vote. A
// request for a tool already requested is a *DuplicateRequestError.
func (r *Requests) Add(ctx context.Context, tool, reason, who string) (Request, error) {
	return call[Request](ctx, r.t, "requests.add", requestIn{Tool: tool, Reason: reason, Who: who}, nil)
}

// List returns every request, most votes first.
func (r *Requests) List(ctx context.Context) ([]Request, error) {
	return call[[]Request](ctx, r.t, "requests.list", struct{}{}, nil)
}

// Vote adds who's vote to request id; a second vote by the same person is
// an *AlreadyVotedError, an unknown id a *NoRequestError.
func (r *Requests) Vote(ctx context.Context, id int, who string) (Request, error) {
	return call[Request](ctx, r.t, "requests.vote", voteIn{ID: id, Who: who}, nil)
}

// Dev runs development sessions. Get it from Service.Dev.
type Dev struct{ t transport }

// Run serves the connector at opts.Path (a Go directory, rebuilt on every
// change, or a .wasm file) with config until ctx is done, reporting each
// build and reload to opts.Events. While it runs, Integrations.Invoke of
// the connector's name reaches it. The first event is "serving".
func (d *Dev) Run(ctx context.Context, opts DevOptions, config map[string]any) error {
	opts.Path = absPath(opts.Path)
	if opts.Output != "" {
		opts.Output = absPath(opts.Output)
	}
	var events func(json.RawMessage)
	if opts.Events != nil {
		events = func(raw json.RawMessage) {
			var ev DevEvent
			if json.Unmarshal(raw, &ev) == nil {
				opts.Events(ev)
			}
		}
	} else {
		events = func(json.RawMessage) {}
	}
	_, err := call[struct{}](ctx, d.t, "dev.run", devIn{Options: opts, Config: config}, events)
	if ctx.Err() != nil {
		return nil // the caller ended the session
	}
	return err
}

// absIfFile makes ref absolute when it names a file or directory (it
// exists here, or looks like a path), so a service in another working
// directory reads the caller's file, never one of its own; a catalogue
// name stays as it is.
func absIfFile(ref string) string {
	if _, err := os.Stat(ref); err == nil || strings.ContainsRune(ref, os.PathSeparator) || strings.HasPrefix(ref, ".") ||
		strings.HasSuffix(ref, ".wasm") || strings.HasSuffix(ref, ".zip") || strings.HasSuffix(ref, ".tar.gz") || strings.HasSuffix(ref, ".tgz") {
		return absPath(ref)
	}
	return ref
}
