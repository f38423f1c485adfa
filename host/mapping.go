package host

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"sort"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/match"
	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/sdk/abi"
)

// Mappings link the user's organizations to accounts in integrated tools.
//
// For each integration the host keeps the options (the accounts last
// pulled from the tool), a draft of pending changes (from suggestions or
// by hand) and the saved mapping. Workflows see only the saved mapping. A
// mapping belongs to the integration's name, not its install: it survives
// an uninstall (unless purged) so a reinstall finds it. Get them from
// Host.Mappings.
type mappingsSvc struct{ h *Host }

// Mappings returns the host's organization mappings.
func (h *Host) mappings() *mappingsSvc { return &mappingsSvc{h: h} }

// SetByUser marks a mapping chosen by a person; rules write "rule:NAME".
const SetByUser = "user"

// NotMappedError says an organization has no saved account in an
// integration.
type NotMappedError struct {
	Integration string `json:"integration"`
	Org         string `json:"org"`
}

func (e *NotMappedError) Error() string {
	return fmt.Sprintf("organization %s is not mapped to an account in %s", e.Org, e.Integration)
}

// NoOptionsError says an integration's accounts were never pulled.
type NoOptionsError struct {
	Integration string `json:"integration"`
}

func (e *NoOptionsError) Error() string {
	return fmt.Sprintf("no accounts of %s have been pulled yet", e.Integration)
}

// MappedAccount is what a workflow sees for an organization in an
// integration: the account id in the tool and the configuration to call
// it with ("" means the integration's default).
type MappedAccount struct {
	Integration string `json:"integration"`
	Org         string `json:"org"`
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name,omitempty"`
	Config      string `json:"config,omitempty"`
}

// AccountFor returns an organization's saved account in an integration,
// or a *NotMappedError.
func (mp *mappingsSvc) AccountFor(_ context.Context, integration, orgRef string) (MappedAccount, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return MappedAccount{}, err
	}
	org, err := findOrg(st, orgRef)
	if err != nil {
		return MappedAccount{}, err
	}
	m, err := st.MappingOf(integration, org.ID)
	if errors.Is(err, store.ErrNotFound) {
		return MappedAccount{}, &NotMappedError{Integration: integration, Org: org.ID}
	}
	if err != nil {
		return MappedAccount{}, err
	}
	return MappedAccount{Integration: integration, Org: org.ID, AccountID: m.AccountID, AccountName: m.AccountName, Config: m.Config}, nil
}

// List returns an integration's saved mapping, by organization id.
func (mp *mappingsSvc) List(_ context.Context, integration string) ([]store.Mapping, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	return st.Mappings(integration)
}

// ---- refresh options ----

// RefreshOptions change how Refresh pulls accounts.
type RefreshOptions struct {
	// Config names the configuration to pull with; "" is the default.
	Config string `json:"config,omitempty"`
	// PageSize is asked of the connector (it may return fewer). Default
	// 1,000.
	PageSize int `json:"page_size,omitempty"`
	// MaxPages stops a tool that never ends. Default 100,000.
	MaxPages int `json:"max_pages,omitempty"`
	// Progress, if set, is called after each page.
	Progress func(RefreshProgress) `json:"-"`
}

// RefreshProgress reports a refresh under way.
type RefreshProgress struct {
	Page     int `json:"page"`
	Accounts int `json:"accounts"`
	// Total is what the tool says there are in all; 0 if it does not say.
	Total int `json:"total"`
}

// RefreshResult says what a refresh pulled.
type RefreshResult struct {
	Integration string        `json:"integration"`
	Config      string        `json:"config"`
	Accounts    int           `json:"accounts"`
	Pages       int           `json:"pages"`
	Added       int           `json:"added"`
	Removed     int           `json:"removed"`
	RefreshedAt time.Time     `json:"refreshed_at"`
	Took        time.Duration `json:"took_ns"`
}

// RefreshError is a refresh that failed part-way; the previous options
// are kept.
type RefreshError struct {
	Integration string          `json:"integration"`
	Page        int             `json:"page"`
	Accounts    int             `json:"accounts"`
	Previous    *AccountOptions `json:"previous,omitempty"`
	Err         error           `json:"-"`
}

func (e *RefreshError) Error() string {
	kept := "there were no previous options"
	if e.Previous != nil {
		kept = fmt.Sprintf("the previous options (%d accounts from %s) are kept", e.Previous.Count, e.Previous.RefreshedAt.Local().Format("2006-01-02 15:04"))
	}
	return fmt.Sprintf("refresh of %s failed on page %d after %d accounts: %v; %s", e.Integration, e.Page, e.Accounts, e.Err, kept)
}

func (e *RefreshError) Unwrap() error { return e.Err }

// ErrRepeatedPage is a tool or connector paging in a loop.
var ErrRepeatedPage = errors.New("the tool sent a page it had already sent")

// Refresh pulls every account of an integration's tool through its
// connector, page by page, and replaces the stored options in one
// transaction. A repeated cursor or a page of accounts already received
// stops it with ErrRepeatedPage or ErrRepeatedCursor; any failure keeps
// the previous options and is a *RefreshError.
func (mp *mappingsSvc) Refresh(ctx context.Context, integration string, opts RefreshOptions) (*RefreshResult, error) {
	start := time.Now()
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	rec, m, err := mp.h.integrations().installed(st, integration)
	if err != nil {
		return nil, err
	}
	if !m.Has(abi.CapOrganizations) {
		return nil, &NoOrganizationsCapabilityError{Integration: integration}
	}
	config := opts.Config
	if config == "" {
		config = rec.DefaultConfig
	}
	cl, err := mp.h.integrations().Client(ctx, integration, config)
	if err != nil {
		return nil, err
	}
	var previous *store.AccountOptions
	if p, err := st.Options(integration, true); err == nil {
		previous = &p
	}
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	maxPages := opts.MaxPages
	if maxPages <= 0 {
		maxPages = 100_000
	}
	var (
		accounts []abi.Account
		seenID   = map[string]bool{}
		page     int
	)
	// fetching is the page being fetched: the pages received so far, plus
	// one until the callback has taken it.
	fetching := 1
	fail := func(err error) error {
		return &RefreshError{Integration: integration, Page: fetching, Accounts: len(accounts), Previous: optionsView(previous), Err: err}
	}
	// The one page loop (Client.AllOrganizations) refuses a repeated
	// cursor; this callback refuses pages of accounts already received.
	err = cl.AllOrganizations(ctx, size, func(p abi.OrganizationPage) error {
		page++
		fetching = page
		if page > maxPages {
			return fmt.Errorf("stopped after %d pages; the tool keeps sending more", maxPages)
		}
		fresh := 0
		for i, a := range p.Accounts {
			if strings.TrimSpace(a.ID) == "" {
				return fmt.Errorf("account %d of the page (%q) has no id", i+1, a.Name)
			}
			if seenID[a.ID] {
				continue
			}
			seenID[a.ID] = true
			fresh++
			accounts = append(accounts, a)
		}
		if len(p.Accounts) > 0 && fresh == 0 {
			return fmt.Errorf("%w: every account on page %d was already received; the tool or connector is paging in a loop", ErrRepeatedPage, page)
		}
		if opts.Progress != nil {
			opts.Progress(RefreshProgress{Page: page, Accounts: len(accounts), Total: p.Total})
		}
		fetching = page + 1
		return nil
	})
	if err != nil {
		return nil, fail(err)
	}
	res := &RefreshResult{Integration: integration, Config: config, Accounts: len(accounts), Pages: page, RefreshedAt: time.Now().UTC()}
	if previous != nil {
		old := map[string]bool{}
		for _, a := range previous.Accounts {
			old[a.ID] = true
			if !seenID[a.ID] {
				res.Removed++
			}
		}
		for _, a := range accounts {
			if !old[a.ID] {
				res.Added++
			}
		}
	} else {
		res.Added = len(accounts)
	}
	o := store.AccountOptions{Integration: integration, Config: config, RefreshedAt: res.RefreshedAt, Accounts: accounts, Pages: page}
	if err := st.PutOptions(o); err != nil {
		return nil, fail(fmt.Errorf("save the accounts: %w", err))
	}
	res.Took = time.Since(start)
	return res, nil
}

// Options returns the accounts last pulled from an integration's tool.
func (mp *mappingsSvc) Options(_ context.Context, integration string) (store.AccountOptions, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return store.AccountOptions{}, err
	}
	o, err := st.Options(integration, true)
	if errors.Is(err, store.ErrNotFound) {
		return o, &NoOptionsError{Integration: integration}
	}
	return o, err
}

// ---- suggest ----

// SuggestOptions change how Suggest works.
type SuggestOptions struct {
	// Rules is the text of a rule file to use instead of the default
	// rules; RulesSource names it in errors.
	Rules       []byte `json:"rules,omitempty"`
	RulesSource string `json:"rules_source,omitempty"`
	// Explain records why each suggestion was made.
	Explain bool `json:"explain,omitempty"`
	// Overwrite lets suggestions replace mappings chosen by hand.
	Overwrite bool `json:"overwrite,omitempty"`
	// MinConfidence leaves suggestions below this grade out of the draft
	// (ConfidenceHigh, ConfidenceReview; empty or ConfidenceLow keeps all).
	MinConfidence string `json:"min_confidence,omitempty"`
	// HoldBelow holds suggestions below this grade for review: they go in
	// the draft, but Save leaves them there unless told to include them.
	// Empty is ConfidenceHigh: only high-confidence suggestions are saved
	// without a look. ConfidenceLow holds none.
	HoldBelow string `json:"hold_below,omitempty"`
}

// validGrade checks a confidence grade given by a caller.
func validGrade(field, g string) error {
	switch g {
	case "", ConfidenceHigh, ConfidenceReview, ConfidenceLow:
		return nil
	}
	return &InvalidInputError{Field: field, Value: g, Problem: "is not a confidence: use high, review or low"}
}

// SuggestReport says what Suggest put in the draft.
type SuggestReport struct {
	Integration string       `json:"integration"`
	Rules       string       `json:"rules"`
	Suggestions []Suggestion `json:"suggestions"`
	// Changed counts the suggestions that differ from the saved mapping
	// (the others are already saved).
	Changed int `json:"changed"`
	// Review counts the suggestions held for review; BelowMin those left
	// out of the draft by MinConfidence; Learned those made from what the
	// user taught on an earlier save, and Refused the suggestions dropped
	// because the user had refused that account for that organization.
	Review    int                 `json:"review"`
	BelowMin  int                 `json:"below_min,omitempty"`
	Learned   int                 `json:"learned,omitempty"`
	Refused   []string            `json:"refused,omitempty"`
	Ambiguous map[string][]string `json:"ambiguous"`
	Unmatched []string            `json:"unmatched"`
	// Kept are organizations whose hand-made mapping was left alone.
	Kept []string `json:"kept"`
	// Unset are organizations whose rule-made mapping lost its account to
	// a better match and is removed in the draft.
	Unset []string      `json:"unset,omitempty"`
	Stats SuggestStats  `json:"stats"`
	Took  time.Duration `json:"took_ns"`
}

// RuleError is a rule that does not parse or compile, located in its
// file.
type RuleError struct {
	Source  string `json:"source"`
	Rule    string `json:"rule,omitempty"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (e *RuleError) Error() string {
	where := fmt.Sprintf("%s:%d:%d", e.Source, e.Line, e.Column)
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %q: %s", where, e.Rule, e.Message)
	}
	return where + ": " + e.Message
}

// compileRules compiles a rule file's text (source names it in errors);
// empty text is the default rules. The error of a bad rule is a
// *RuleError with its line and column.
func compileRules(source string, text []byte) (*match.Rules, error) {
	if len(text) == 0 {
		return match.DefaultRules(), nil
	}
	r, err := match.ParseRules(source, text)
	var se *match.RuleSyntaxError
	if errors.As(err, &se) {
		return nil, &RuleError{Source: se.Source, Rule: se.Rule, Line: se.Line, Column: se.Column, Message: se.Message}
	}
	return r, err
}

// CheckRules compiles a rule file's text and returns how many rules it
// has; the error of a bad rule is a *RuleError.
func CheckRules(source string, text []byte) (int, error) {
	r, err := compileRules(source, text)
	if err != nil {
		return 0, err
	}
	return len(r.Rules), nil
}

// DefaultRules is the text of the default rule set, to copy and change.
func DefaultRules() []byte { return match.DefaultRulesSource() }

// RuleHelper is a function suggestion rules may call.
type RuleHelper struct {
	Signature string `json:"signature"`
	Doc       string `json:"doc"`
}

// RuleHelpers lists the functions rules may call.
func RuleHelpers() []RuleHelper {
	out := make([]RuleHelper, len(match.Helpers))
	for i, h := range match.Helpers {
		out[i] = RuleHelper(h)
	}
	return out
}

// mappable are the organizations that take part in mapping: enabled, and
// not the user's own.
func mappable(all []store.Organization) []store.Organization {
	out := all[:0:0]
	for _, o := range all {
		if !o.Own && !o.Disabled {
			out = append(out, o)
		}
	}
	return out
}

func orgParty(o store.Organization) *match.Party {
	return match.NewParty(o.ID, o.Name, o.Domains, o.Tags, o.Attributes)
}

func accountParty(a abi.Account) *match.Party {
	return match.NewParty(a.ID, a.Name, a.Domains, nil, a.Attributes)
}

func isRule(setBy string) bool { return strings.HasPrefix(setBy, "rule:") }

// Suggest matches organizations to the pulled accounts with the rules and
// puts the result in the integration's draft. Organizations mapped by
// hand (saved or in the draft) keep their accounts unless Overwrite; the
// rest, including those mapped earlier by rules, are suggested afresh.
func (mp *mappingsSvc) Suggest(ctx context.Context, integration string, opts SuggestOptions) (*SuggestReport, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	start := time.Now()
	if err := validGrade("min_confidence", opts.MinConfidence); err != nil {
		return nil, err
	}
	if err := validGrade("hold_below", opts.HoldBelow); err != nil {
		return nil, err
	}
	holdBelow := opts.HoldBelow
	if holdBelow == "" {
		holdBelow = ConfidenceHigh
	}
	rules, err := compileRules(opts.RulesSource, opts.Rules)
	if err != nil {
		return nil, err
	}
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	options, err := st.Options(integration, true)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NoOptionsError{Integration: integration}
	}
	if err != nil {
		return nil, err
	}
	all, err := st.Organizations()
	if err != nil {
		return nil, err
	}
	saved, err := savedByOrg(st, integration)
	if err != nil {
		return nil, err
	}
	draft, err := st.Draft(integration)
	if err != nil {
		return nil, err
	}
	aliases, err := st.Aliases(integration)
	if err != nil {
		return nil, err
	}
	rep := &SuggestReport{Integration: integration, Rules: rules.Source, Kept: []string{}}
	taken := map[string]bool{}
	var orgs []*match.Party
	for _, o := range mappable(all) {
		d, inDraft := draft.Entries[o.ID]
		s, isSaved := saved[o.ID]
		manual := (inDraft && d.SetBy == SetByUser) || (!inDraft && isSaved && s.SetBy == SetByUser)
		if manual && !opts.Overwrite {
			rep.Kept = append(rep.Kept, o.ID)
			switch {
			case inDraft && !d.Unset:
				taken[d.AccountID] = true
			case !inDraft && isSaved:
				taken[s.AccountID] = true
			}
			continue
		}
		orgs = append(orgs, orgParty(o))
	}
	// What the user taught on earlier saves comes first: an organization
	// whose chosen account is still there gets it again.
	byID := map[string]abi.Account{}
	for _, a := range options.Accounts {
		byID[a.ID] = a
	}
	var learned []Suggestion
	kept := orgs[:0]
	for _, p := range orgs {
		if al, ok := aliases.Orgs[p.ID]; ok && al.Same != nil && !taken[al.Same.ID] && !refusedBy(al, al.Same.ID) {
			if a, ok := byID[al.Same.ID]; ok {
				taken[a.ID] = true
				s := Suggestion{Org: p.ID, Account: a.ID, AccountName: a.Name, Rule: "learned", Score: 1, Margin: 1, Confidence: ConfidenceHigh}
				if opts.Explain {
					s.Why = fmt.Sprintf("you chose %s for this organization on %s", a.Name, al.Same.At.Local().Format("2006-01-02"))
					s.Explanation = &Explanation{Org: p.Name, Account: a.Name, Score: 1, Margin: 1, Learned: s.Why}
				}
				learned = append(learned, s)
				continue
			}
		}
		kept = append(kept, p)
	}
	orgs = kept
	var accounts []*match.Party
	for _, a := range options.Accounts {
		if !taken[a.ID] {
			accounts = append(accounts, accountParty(a))
		}
	}
	res, err := match.Suggest(ctx, match.Input{Integration: integration, Orgs: orgs, Accounts: accounts, Rules: rules, Explain: opts.Explain})
	if err != nil {
		return nil, err
	}
	rep.Ambiguous, rep.Unmatched, rep.Stats = res.Ambiguous, res.Unmatched, SuggestStats(res.Stats)
	rep.Suggestions = learned
	rep.Learned = len(learned)
	for _, ms := range res.Suggestions {
		s := suggestionView(ms)
		if refusedBy(aliases.Orgs[s.Org], s.Account) {
			// The user refused this account for this organization.
			rep.Refused = append(rep.Refused, s.Org)
			rep.Unmatched = append(rep.Unmatched, s.Org)
			continue
		}
		if confidenceRank(s.Confidence) < confidenceRank(opts.MinConfidence) {
			rep.BelowMin++
			continue
		}
		s.Review = confidenceRank(s.Confidence) < confidenceRank(holdBelow)
		if s.Review {
			rep.Review++
		}
		rep.Suggestions = append(rep.Suggestions, s)
	}
	if rep.Unmatched == nil {
		rep.Unmatched = []string{}
	}
	// Rebuild the draft: hand-made entries stay; rule entries of the
	// organizations just suggested are replaced.
	suggestedFor := map[string]bool{}
	for _, o := range orgs {
		suggestedFor[o.ID] = true
		if d, ok := draft.Entries[o.ID]; ok && (isRule(d.SetBy) || opts.Overwrite) {
			delete(draft.Entries, o.ID)
		}
	}
	for _, s := range learned {
		suggestedFor[s.Org] = true
		if d, ok := draft.Entries[s.Org]; ok && (isRule(d.SetBy) || opts.Overwrite) {
			delete(draft.Entries, s.Org)
		}
	}
	newOwner := map[string]Suggestion{}
	for _, s := range rep.Suggestions {
		newOwner[s.Account] = s
		if cur, ok := saved[s.Org]; ok && cur.AccountID == s.Account {
			continue // already saved
		}
		rep.Changed++
		draft.Entries[s.Org] = store.DraftEntry{AccountID: s.Account, AccountName: s.AccountName, SetBy: "rule:" + s.Rule, Score: s.Score, Why: s.Why,
			Confidence: s.Confidence, Margin: s.Margin, Review: s.Review}
	}
	// An organization left without a suggestion keeps its saved mapping,
	// unless its account now goes to another organization.
	for org := range suggestedFor {
		if _, ok := draft.Entries[org]; ok {
			continue
		}
		if cur, ok := saved[org]; ok {
			if other, lost := newOwner[cur.AccountID]; lost && other.Org != org {
				// Held with the suggestion that takes its account: a save
				// never removes a working mapping for one still in review.
				draft.Entries[org] = store.DraftEntry{Unset: true, SetBy: "rule:reassigned", Review: other.Review,
					Why: fmt.Sprintf("account %s now suggested for %s", cur.AccountID, other.Org)}
				rep.Unset = append(rep.Unset, org)
			}
		}
	}
	sort.Strings(rep.Unset)
	draft.Integration, draft.Config, draft.UpdatedAt = integration, options.Config, time.Now().UTC()
	draft.Ambiguous = map[string][]string{}
	for org, ids := range res.Ambiguous {
		draft.Ambiguous[org] = ids
	}
	if err := st.PutDraft(draft); err != nil {
		return nil, err
	}
	rep.Took = time.Since(start)
	return rep, nil
}

func savedByOrg(st *store.Store, integration string) (map[string]store.Mapping, error) {
	list, err := st.Mappings(integration)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Mapping, len(list))
	for _, m := range list {
		out[m.OrgID] = m
	}
	return out, nil
}

// ---- review ----

// ViewOptions choose the page of a mapping review.
type ViewOptions struct {
	// Page is 1-based; 0 means 1.
	Page int `json:"page,omitempty"`
	// PageSize defaults to 10.
	PageSize int `json:"page_size,omitempty"`
	// Unmapped shows only organizations with no account, saved or drafted.
	Unmapped bool `json:"unmapped,omitempty"`
	// Changed shows only organizations with a pending change.
	Changed bool `json:"changed,omitempty"`
	// Review keeps only organizations whose suggestion is held for review.
	Review bool `json:"review,omitempty"`
}

// DefaultPageSize is how many organizations a review page shows.
const DefaultPageSize = 10

// MappingRow is one organization in a review: its saved mapping and its
// pending change side by side.
type MappingRow struct {
	Org     string      `json:"org"`
	OrgName string      `json:"org_name"`
	Saved   *Mapping    `json:"saved,omitempty"`
	Draft   *DraftEntry `json:"draft,omitempty"`
	// Ambiguous are accounts the last suggestion could not choose between.
	Ambiguous []AccountRef `json:"ambiguous,omitempty"`
	// Status is "saved", "changed", "new", "unset", "ambiguous" or
	// "unmapped".
	Status string `json:"status"`
}

// AccountRef names an account.
type AccountRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// MappingPage is one page of a review.
type MappingPage struct {
	Integration string       `json:"integration"`
	Page        int          `json:"page"`
	PageSize    int          `json:"page_size"`
	Pages       int          `json:"pages"`
	Total       int          `json:"total"`
	Rows        []MappingRow `json:"rows"`
	// Summary counts over all organizations, not only this page.
	Mapped       int       `json:"mapped"`
	Unmapped     int       `json:"unmapped"`
	Pending      int       `json:"pending"`
	Options      int       `json:"options"`
	RefreshedAt  time.Time `json:"refreshed_at,omitzero"`
	Organization int       `json:"organizations"`
}

// View returns one page of an integration's mapping for review, sorted by
// organization name.
func (mp *mappingsSvc) View(_ context.Context, integration string, opts ViewOptions) (*MappingPage, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	all, err := st.Organizations()
	if err != nil {
		return nil, err
	}
	orgs := mappable(all)
	sort.SliceStable(orgs, func(i, j int) bool { return strings.ToLower(orgs[i].Name) < strings.ToLower(orgs[j].Name) })
	saved, err := savedByOrg(st, integration)
	if err != nil {
		return nil, err
	}
	draft, err := st.Draft(integration)
	if err != nil {
		return nil, err
	}
	if len(saved) == 0 && len(draft.Entries) == 0 {
		// A mapping outlives an uninstall, so only a name with nothing
		// installed and nothing kept is unknown.
		if _, err := st.Integration(integration); errors.Is(err, store.ErrNotFound) {
			if _, err := st.Options(integration, false); errors.Is(err, store.ErrNotFound) {
				return nil, &NotInstalledError{Name: integration}
			}
		}
	}
	page := &MappingPage{Integration: integration, Rows: []MappingRow{}, Organization: len(orgs)}
	var names map[string]string
	if o, err := st.Options(integration, len(draft.Ambiguous) > 0); err == nil {
		page.Options, page.RefreshedAt = o.Count, o.RefreshedAt
		names = map[string]string{}
		for _, a := range o.Accounts {
			names[a.ID] = a.Name
		}
	}
	var rows []MappingRow
	for _, o := range orgs {
		r := MappingRow{Org: o.ID, OrgName: o.Name}
		if s, ok := saved[o.ID]; ok {
			v := Mapping(s)
			r.Saved = &v
		}
		if d, ok := draft.Entries[o.ID]; ok {
			v := DraftEntry(d)
			r.Draft = &v
			page.Pending++
		}
		for _, id := range draft.Ambiguous[o.ID] {
			r.Ambiguous = append(r.Ambiguous, AccountRef{ID: id, Name: names[id]})
		}
		switch {
		case r.Draft != nil && r.Draft.Unset:
			r.Status = "unset"
		case r.Draft != nil && r.Saved != nil:
			r.Status = "changed"
		case r.Draft != nil:
			r.Status = "new"
		case r.Saved != nil:
			r.Status = "saved"
		case len(r.Ambiguous) > 0:
			r.Status = "ambiguous"
		default:
			r.Status = "unmapped"
		}
		mapped := r.Status == "saved" || r.Status == "changed" || r.Status == "new"
		if mapped {
			page.Mapped++
		} else {
			page.Unmapped++
		}
		if opts.Unmapped && mapped {
			continue
		}
		if opts.Review && (r.Draft == nil || !r.Draft.Review) {
			continue
		}
		if opts.Changed && r.Draft == nil {
			continue
		}
		rows = append(rows, r)
	}
	size := opts.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	n := opts.Page
	if n <= 0 {
		n = 1
	}
	page.Page, page.PageSize, page.Total = n, size, len(rows)
	page.Pages = max(1, (len(rows)+size-1)/size)
	if n > page.Pages {
		return nil, fmt.Errorf("page %d does not exist: there are %d pages of %d", n, page.Pages, size)
	}
	lo := (n - 1) * size
	page.Rows = append(page.Rows, rows[lo:min(lo+size, len(rows))]...)
	return page, nil
}

// ---- edit the draft ----

// resolveAccount finds an account among the options by id, or else by
// exact name (ignoring case).
func resolveAccount(o store.AccountOptions, ref string) (abi.Account, error) {
	for _, a := range o.Accounts {
		if a.ID == ref {
			return a, nil
		}
	}
	var found []abi.Account
	for _, a := range o.Accounts {
		if strings.EqualFold(a.Name, strings.TrimSpace(ref)) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return abi.Account{}, &NoAccountError{Integration: o.Integration, Account: ref, Accounts: o.Count, RefreshedAt: o.RefreshedAt}
	}
	ids := make([]string, len(found))
	for i, a := range found {
		ids[i] = a.ID
	}
	return abi.Account{}, fmt.Errorf("%d accounts are named %q; use an id: %s", len(found), ref, strings.Join(ids, ", "))
}

// Set puts a hand-made mapping of an organization to an account in the
// draft. The account is looked up among the pulled options by id or name.
func (mp *mappingsSvc) Set(_ context.Context, integration, orgRef, accountRef string) (store.DraftEntry, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return store.DraftEntry{}, err
	}
	org, err := findOrg(st, orgRef)
	if err != nil {
		return store.DraftEntry{}, err
	}
	if org.Own {
		return store.DraftEntry{}, fmt.Errorf("%s is your own organization; only the organizations you manage are mapped", org.ID)
	}
	options, err := st.Options(integration, true)
	if errors.Is(err, store.ErrNotFound) {
		return store.DraftEntry{}, &NoOptionsError{Integration: integration}
	}
	if err != nil {
		return store.DraftEntry{}, err
	}
	acct, err := resolveAccount(options, accountRef)
	if err != nil {
		return store.DraftEntry{}, err
	}
	draft, err := st.Draft(integration)
	if err != nil {
		return store.DraftEntry{}, err
	}
	e := store.DraftEntry{AccountID: acct.ID, AccountName: acct.Name, SetBy: SetByUser}
	if prev, ok := draft.Entries[org.ID]; ok {
		e.Suggested, e.SuggestedName = suggestedBefore(prev)
	}
	draft.Entries[org.ID] = e
	delete(draft.Ambiguous, org.ID)
	draft.Integration, draft.Config, draft.UpdatedAt = integration, options.Config, time.Now().UTC()
	return e, st.PutDraft(draft)
}

// Unset marks an organization's saved mapping for removal in the draft,
// or drops its pending entry if it has no saved one.
func (mp *mappingsSvc) Unset(_ context.Context, integration, orgRef string) error {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return err
	}
	org, err := findOrg(st, orgRef)
	if err != nil {
		return err
	}
	draft, err := st.Draft(integration)
	if err != nil {
		return err
	}
	prev, inDraft := draft.Entries[org.ID]
	if _, err := st.MappingOf(integration, org.ID); err == nil {
		e := store.DraftEntry{Unset: true, SetBy: SetByUser}
		e.Suggested, e.SuggestedName = suggestedBefore(prev)
		draft.Entries[org.ID] = e
	} else if errors.Is(err, store.ErrNotFound) {
		if !inDraft {
			return fmt.Errorf("%s has no mapping in %s to unset", org.ID, integration)
		}
		if s, name := suggestedBefore(prev); s != "" {
			// A refused suggestion: an unset entry teaches the next suggest.
			draft.Entries[org.ID] = store.DraftEntry{Unset: true, SetBy: SetByUser, Suggested: s, SuggestedName: name}
		} else {
			delete(draft.Entries, org.ID)
		}
	} else {
		return err
	}
	draft.Integration, draft.UpdatedAt = integration, time.Now().UTC()
	return st.PutDraft(draft)
}

// suggestedBefore is the account a rule suggested in a draft entry the
// user is changing: what saving the change teaches not to suggest again.
func suggestedBefore(prev store.DraftEntry) (string, string) {
	if prev.Suggested != "" {
		return prev.Suggested, prev.SuggestedName
	}
	if isRule(prev.SetBy) && !prev.Unset {
		return prev.AccountID, prev.AccountName
	}
	return "", ""
}

// SaveOptions change Save.
type SaveOptions struct {
	// IncludeReview saves suggestions held for review too; by default
	// they stay in the draft until the user sets them or says so.
	IncludeReview bool `json:"include_review,omitempty"`
}

// SaveResult says what Save wrote.
type SaveResult struct {
	Integration string `json:"integration"`
	Saved       int    `json:"saved"`
	Removed     int    `json:"removed"`
	// Held are the organizations whose suggestion awaits review, left in
	// the draft.
	Held []string `json:"held,omitempty"`
	// Learned counts the choices that differ from a suggestion, kept as
	// aliases for the next suggest.
	Learned int `json:"learned,omitempty"`
}

// ConflictError is a draft that would map one account to two
// organizations.
type ConflictError struct {
	Integration string `json:"integration"`
	// Conflicts maps an account id to the organizations it would serve.
	Conflicts map[string][]string `json:"conflicts"`
}

func (e *ConflictError) Error() string {
	var parts []string
	for acct, orgs := range e.Conflicts {
		parts = append(parts, fmt.Sprintf("account %s → %s", acct, strings.Join(orgs, " and ")))
	}
	sort.Strings(parts)
	return fmt.Sprintf("nothing was saved: in %s, one account would be mapped to two organizations (%s)",
		e.Integration, strings.Join(parts, "; "))
}

// Save writes an integration's draft to the saved mapping in one
// transaction and clears the draft; on any error nothing is saved.
func (mp *mappingsSvc) Save(_ context.Context, integration string, opts SaveOptions) (*SaveResult, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	saved, err := savedByOrg(st, integration)
	if err != nil {
		return nil, err
	}
	res := &SaveResult{Integration: integration}
	held := map[string]bool{} // a set: Badger may run the transaction again
	hold := func(org string, e store.DraftEntry) bool {
		if e.Review && !opts.IncludeReview && e.SetBy != SetByUser {
			held[org] = true
			return true
		}
		return false
	}
	_, err = st.SaveDraft(integration, time.Now().UTC(), hold, func(d store.Draft, orgExists func(string) bool) error {
		res.Saved, res.Removed, res.Learned = 0, 0, 0
		if len(d.Entries) == 0 && len(held) == 0 {
			return fmt.Errorf("the draft of %s has no changes to save", integration)
		}
		final := map[string]string{}
		for org, m := range saved {
			final[org] = m.AccountID
		}
		var gone []string
		for org, e := range d.Entries {
			if !orgExists(org) {
				gone = append(gone, org)
			}
			if e.Suggested != "" && e.Suggested != e.AccountID {
				res.Learned++
			}
			if e.Unset {
				delete(final, org)
				res.Removed++
			} else {
				final[org] = e.AccountID
				res.Saved++
			}
		}
		if len(gone) > 0 {
			sort.Strings(gone)
			return fmt.Errorf("nothing was saved: the draft names organizations that no longer exist: %s", strings.Join(gone, ", "))
		}
		users := map[string][]string{}
		for org, acct := range final {
			users[acct] = append(users[acct], org)
		}
		conflicts := map[string][]string{}
		for acct, orgs := range users {
			if len(orgs) > 1 {
				sort.Strings(orgs)
				conflicts[acct] = orgs
			}
		}
		if len(conflicts) > 0 {
			return &ConflictError{Integration: integration, Conflicts: conflicts}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NoDraftError{Integration: integration}
	}
	if err != nil {
		return nil, err
	}
	for org := range held {
		res.Held = append(res.Held, org)
	}
	sort.Strings(res.Held)
	return res, nil
}

// Discard throws away an integration's draft.
func (mp *mappingsSvc) Discard(_ context.Context, integration string) (int, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return 0, err
	}
	d, err := st.Draft(integration)
	if err != nil {
		return 0, err
	}
	return len(d.Entries), st.DeleteDraft(integration)
}

// ---- CSV ----

var mappingColumns = []string{"orgId", "orgName", "accountId", "accountName", "config", "setBy", "setAt"}

// Export writes an integration's saved mapping as CSV.
func (mp *mappingsSvc) Export(ctx context.Context, integration string, w io.Writer) error {
	st, err := mp.h.openStore()
	if err != nil {
		return err
	}
	list, err := st.Mappings(integration)
	if err != nil {
		return err
	}
	all, err := st.Organizations()
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, o := range all {
		names[o.ID] = o.Name
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(mappingColumns)
	for _, m := range list {
		_ = cw.Write([]string{m.OrgID, names[m.OrgID], m.AccountID, m.AccountName, m.Config, m.SetBy, m.SetAt.Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

// MappingImportReport says what a mapping import put in the draft.
type MappingImportReport struct {
	Drafted int          `json:"drafted"`
	Errors  []RowProblem `json:"errors"`
}

// Import reads orgId (or orgName) and accountId (or accountName) columns
// from CSV into the draft as hand-made mappings. Bad rows are reported by
// line and left out; nothing is saved until Save.
func (mp *mappingsSvc) Import(_ context.Context, integration string, r io.Reader) (*MappingImportReport, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	options, err := st.Options(integration, true)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NoOptionsError{Integration: integration}
	}
	if err != nil {
		return nil, err
	}
	cr, _, col, err := openCSV(r)
	if err != nil {
		return nil, err
	}
	orgCol, acctCol := "orgId", "accountId"
	if _, ok := col[orgCol]; !ok {
		orgCol = "orgName"
	}
	if _, ok := col[acctCol]; !ok {
		acctCol = "accountName"
	}
	if _, ok := col[orgCol]; !ok {
		return nil, errors.New("the CSV needs an orgId or orgName column")
	}
	if _, ok := col[acctCol]; !ok {
		return nil, errors.New("the CSV needs an accountId or accountName column")
	}
	draft, err := st.Draft(integration)
	if err != nil {
		return nil, err
	}
	rep := &MappingImportReport{Errors: []RowProblem{}}
	parseErrs, err := eachRow(cr, col, func(line int, _ []string, get func(string) string) error {
		org, err := findOrg(st, get(orgCol))
		if err != nil {
			rep.Errors = append(rep.Errors, RowProblem{Line: line, Message: err.Error()})
			return nil
		}
		acct, err := resolveAccount(options, get(acctCol))
		if err != nil {
			rep.Errors = append(rep.Errors, RowProblem{Line: line, Message: err.Error()})
			return nil
		}
		draft.Entries[org.ID] = store.DraftEntry{AccountID: acct.ID, AccountName: acct.Name, SetBy: SetByUser}
		rep.Drafted++
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Errors = append(rep.Errors, parseErrs...)
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Line < rep.Errors[j].Line })
	if rep.Drafted > 0 {
		draft.Integration, draft.Config, draft.UpdatedAt = integration, options.Config, time.Now().UTC()
		if err := st.PutDraft(draft); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// refusedBy says whether the user refused account for an organization.
func refusedBy(a store.Alias, account string) bool {
	for _, n := range a.Never {
		if n.ID == account {
			return true
		}
	}
	return false
}

// Alias is one lesson from the user: for an organization, the account it
// is (Kind "same") or is not ("never"), learned when a saved mapping
// differed from the suggestion.
type Alias struct {
	Org         string    `json:"org"`
	Kind        string    `json:"kind"`
	Account     string    `json:"account"`
	AccountName string    `json:"account_name,omitempty"`
	At          time.Time `json:"at"`
}

// Aliases lists an integration's learned aliases, by organization.
func (mp *mappingsSvc) Aliases(_ context.Context, integration string) ([]Alias, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	a, err := st.Aliases(integration)
	if err != nil {
		return nil, err
	}
	out := []Alias{}
	for org, al := range a.Orgs {
		if al.Same != nil {
			out = append(out, Alias{Org: org, Kind: "same", Account: al.Same.ID, AccountName: al.Same.Name, At: al.Same.At})
		}
		for _, n := range al.Never {
			out = append(out, Alias{Org: org, Kind: "never", Account: n.ID, AccountName: n.Name, At: n.At})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Org != out[j].Org {
			return out[i].Org < out[j].Org
		}
		return out[i].Kind > out[j].Kind
	})
	return out, nil
}

// ForgetAlias drops an organization's lessons (only those about account,
// when given) and says how many it dropped.
func (mp *mappingsSvc) ForgetAlias(_ context.Context, integration, orgRef, account string) (countOut, error) {
	mp.h.drafts.Lock()
	defer mp.h.drafts.Unlock()
	st, err := mp.h.openStore()
	if err != nil {
		return countOut{}, err
	}
	org := orgRef
	if o, err := findOrg(st, orgRef); err == nil {
		org = o.ID
	}
	a, err := st.Aliases(integration)
	if err != nil {
		return countOut{}, err
	}
	al, ok := a.Orgs[org]
	if !ok {
		return countOut{}, &InvalidInputError{Field: "org", Value: orgRef, Problem: "has nothing learned in " + integration}
	}
	n := 0
	if al.Same != nil && (account == "" || al.Same.ID == account) {
		al.Same = nil
		n++
	}
	never := al.Never[:0]
	for _, x := range al.Never {
		if account == "" || x.ID == account {
			n++
			continue
		}
		never = append(never, x)
	}
	al.Never = never
	if al.Same == nil && len(al.Never) == 0 {
		delete(a.Orgs, org)
	} else {
		a.Orgs[org] = al
	}
	return countOut{Count: n}, st.PutAliases(a)
}
