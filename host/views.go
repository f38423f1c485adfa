package host

import (
	"encoding/json"
	"time"

	"github.com/roosthq/roost/host/internal/match"
	"github.com/roosthq/roost/host/internal/openapi"
	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/host/internal/workflow"
	"github.com/roosthq/roost/sdk/abi"
)

// The view types: what the host's services return. They mirror the
// store's records field for field where a record is shown whole, so the
// conversions below are free, but they are the host's own: a change to the
// store's layout never changes the API, and nothing sealed has a field
// here to leak through.

// Installed describes an installed integration.
type Installed struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Category    string   `json:"category"`
	Description string   `json:"description"`
	Tags        []string `json:"tags,omitempty"`
	// SHA256 names the module file in the home's module directory.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Source is where it was installed from: "bundled" or a file path.
	Source string `json:"source"`
	// Link, if set, is the absolute path of a build under development that
	// the integration loads instead of a copied module, fresh whenever the
	// file changes.
	Link string `json:"link,omitempty"`
	// Custom, if set, is the definition (sdk/rest) of a custom integration
	// that runs on the bundled REST connector.
	Custom json.RawMessage `json:"custom,omitempty"`
	// Manifest is the manifest as the connector described itself at install.
	Manifest json.RawMessage `json:"manifest"`
	// DefaultConfig names the configuration used when none is named.
	DefaultConfig string    `json:"default_config,omitempty"`
	InstalledAt   time.Time `json:"installed_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Check is the result of a configuration's check, kept with it.
type Check struct {
	OK         bool      `json:"ok"`
	Message    string    `json:"message,omitempty"`
	At         time.Time `json:"at"`
	DurationMS float64   `json:"duration_ms"`
}

func checkView(c *store.Check) *Check {
	if c == nil {
		return nil
	}
	v := Check(*c)
	return &v
}

// Mapping links an organization to its account in one integration.
type Mapping struct {
	Integration string `json:"integration"`
	OrgID       string `json:"org_id"`
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name,omitempty"`
	// Config is the integration configuration the account belongs to
	// ("" for the default).
	Config string `json:"config,omitempty"`
	// SetBy says who or what set it: "user", or "rule:<name>".
	SetBy string    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}

// DraftEntry is one organization's pending change in a mapping draft.
type DraftEntry struct {
	// AccountID is the account to map to; empty with Unset.
	AccountID   string `json:"account_id,omitempty"`
	AccountName string `json:"account_name,omitempty"`
	// Unset removes the saved mapping on save.
	Unset bool `json:"unset,omitempty"`
	// SetBy is "user" or "rule:<name>".
	SetBy string  `json:"set_by"`
	Score float64 `json:"score,omitempty"`
	// Why explains a suggestion (the rule and what matched).
	Why string `json:"why,omitempty"`
	// Confidence is a suggestion's grade (ConfidenceHigh, …) and Margin
	// its lead over the runner-up. Review marks a suggestion held for a
	// look: Save leaves it in the draft unless told to include it.
	Confidence string  `json:"confidence,omitempty"`
	Margin     float64 `json:"margin,omitempty"`
	Review     bool    `json:"review,omitempty"`
	// Suggested is the account a rule had suggested before the user
	// changed or unset the entry: saving it teaches the next suggest.
	Suggested     string `json:"suggested,omitempty"`
	SuggestedName string `json:"suggested_name,omitempty"`
}

// Organization is one of the user's customers (or the user's own
// organization, which manages the others).
type Organization struct {
	// ID is the organization's slug, unique and stable; mappings and
	// workflows refer to it.
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	ParentID   string            `json:"parent_id,omitempty"`
	Domains    []string          `json:"domains,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Disabled   bool              `json:"disabled,omitempty"`
	// Own marks the user's own organization, the one that manages the
	// others; it is not mapped to customer accounts.
	Own       bool      `json:"own,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Request is a wanted integration and who voted for it.
type Request struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Reason    string    `json:"reason,omitempty"`
	Voters    []string  `json:"voters"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Votes is how many voted for the request.
func (r Request) Votes() int { return len(r.Voters) }

// RunRecord is one recorded workflow run.
type RunRecord struct {
	ID       int       `json:"id"`
	Crate    string    `json:"crate"`
	Workflow string    `json:"workflow"`
	Org      string    `json:"org"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started_at"`
	// Run is the run with every step, as WorkflowRun.
	Run json.RawMessage `json:"run"`
}

// Job is a triggered run waiting to run.
type Job struct {
	ID       int       `json:"id"`
	Crate    string    `json:"crate"`
	Workflow string    `json:"workflow"`
	Orgs     []string  `json:"orgs"`
	Trigger  string    `json:"trigger"`
	Payload  []byte    `json:"payload,omitempty"`
	QueuedAt time.Time `json:"queued_at"`
}

// StepRecord is one step of a workflow run as it ran.
type StepRecord struct {
	ID       string          `json:"id"`
	Action   string          `json:"action"`
	Skipped  bool            `json:"skipped,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    string          `json:"error,omitempty"`
	Attempts int             `json:"attempts,omitempty"`
	Items    int             `json:"items,omitempty"`
	Duration time.Duration   `json:"duration_ns"`
}

// WorkflowRun is a finished workflow run with its steps.
type WorkflowRun struct {
	Workflow  string         `json:"workflow"`
	Org       string         `json:"org"`
	Vars      map[string]any `json:"vars,omitempty"`
	Status    string         `json:"status"` // succeeded, failed
	Error     string         `json:"error,omitempty"`
	StartedAt time.Time      `json:"started_at"`
	Duration  time.Duration  `json:"duration_ns"`
	Steps     []StepRecord   `json:"steps"`
}

func runView(r *workflow.Run) *WorkflowRun {
	if r == nil {
		return nil
	}
	v := &WorkflowRun{Workflow: r.Workflow, Org: r.Org, Vars: r.Vars, Status: r.Status, Error: r.Error,
		StartedAt: r.StartedAt, Duration: r.Duration, Steps: make([]StepRecord, len(r.Steps))}
	for i, s := range r.Steps {
		v.Steps[i] = StepRecord(s)
	}
	return v
}

// OpenAPIReport says what an OpenAPI import made and what it worked
// around.
type OpenAPIReport struct {
	Spec        string `json:"spec"` // "OpenAPI 3.0.1", "Swagger 2.0"
	Title       string `json:"title"`
	Operations  int    `json:"operations"`
	Endpoints   int    `json:"endpoints"`
	FilteredOut int    `json:"filtered_out,omitempty"`
	// Warnings are grouped: each once, with how often it happened.
	Warnings []OpenAPIWarning `json:"warnings"`
	// LooksPaginated names endpoints with page and size parameters, worth
	// marking as paginated.
	LooksPaginated []string `json:"looks_paginated,omitempty"`
}

// OpenAPIWarning is one kind of thing an import worked around.
type OpenAPIWarning struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

func openAPIReportView(r *openapi.Report) *OpenAPIReport {
	if r == nil {
		return nil
	}
	v := &OpenAPIReport{Spec: r.Spec, Title: r.Title, Operations: r.Operations, Endpoints: r.Endpoints,
		FilteredOut: r.FilteredOut, LooksPaginated: r.LooksPaginated, Warnings: make([]OpenAPIWarning, len(r.Warnings))}
	for i, w := range r.Warnings {
		v.Warnings[i] = OpenAPIWarning(w)
	}
	return v
}

// AccountOptions describes the accounts last pulled from a tool.
type AccountOptions struct {
	Integration string    `json:"integration"`
	Config      string    `json:"config"`
	RefreshedAt time.Time `json:"refreshed_at"`
	Count       int       `json:"count"`
	Pages       int       `json:"pages"`
	// Accounts are the accounts themselves (Mappings.Options only).
	Accounts []abi.Account `json:"accounts,omitempty"`
}

func optionsView(o *store.AccountOptions) *AccountOptions {
	if o == nil {
		return nil
	}
	return &AccountOptions{Integration: o.Integration, Config: o.Config, RefreshedAt: o.RefreshedAt, Count: o.Count, Pages: o.Pages}
}

// Suggestion is one suggested mapping: an organization, the account, the
// rule that matched, how sure it is and why.
type Suggestion struct {
	Org         string  `json:"org"`
	Account     string  `json:"account"`
	AccountName string  `json:"account_name"`
	Rule        string  `json:"rule"`
	Score       float64 `json:"score"`
	// Margin is the lead over the closest competitor: the organization's
	// best other free account (RunnerUp) or another organization wanting
	// this account (Rival).
	Margin   float64 `json:"margin"`
	RunnerUp string  `json:"runner_up,omitempty"`
	Rival    string  `json:"rival,omitempty"`
	// Confidence is ConfidenceHigh, ConfidenceReview or ConfidenceLow.
	Confidence string `json:"confidence"`
	// Review says the suggestion is held for a look: Save leaves it in
	// the draft unless told to include it.
	Review bool `json:"review,omitempty"`
	// Why is a one-line account; Explanation the words matched and the
	// penalties (both with SuggestOptions.Explain).
	Why         string       `json:"why,omitempty"`
	Explanation *Explanation `json:"explanation,omitempty"`
}

// Confidence grades of a suggestion, from its score and its margin.
const (
	ConfidenceHigh   = "high"   // a score near 1 well ahead of any competitor
	ConfidenceReview = "review" // a good score or a fair margin: worth a look
	ConfidenceLow    = "low"    // just over the rule's minimum, or a competitor close behind
)

// confidenceRank orders the grades, low first.
func confidenceRank(c string) int {
	switch c {
	case ConfidenceHigh:
		return 2
	case ConfidenceReview:
		return 1
	}
	return 0
}

// Explanation is how two names were read and matched.
type Explanation struct {
	// Org and Account are the two names as compared; Part says which part
	// of a dba name was used, if any.
	Org           string        `json:"org"`
	Account       string        `json:"account"`
	Part          string        `json:"part,omitempty"`
	Matched       []WordMatch   `json:"matched"`
	Penalties     []WordPenalty `json:"penalties,omitempty"`
	Score         float64       `json:"score"`
	RunnerUp      string        `json:"runner_up,omitempty"`
	RunnerUpScore float64       `json:"runner_up_score,omitempty"`
	Margin        float64       `json:"margin"`
	// Learned says the user taught this (an alias kept from a save).
	Learned string `json:"learned,omitempty"`
}

// WordMatch is one matched word (or an acronym and the words it stands
// for): how (same, abbreviation, synonym, number, stem, typo, joined,
// acronym) and its weight.
type WordMatch struct {
	Org     string  `json:"org"`
	Account string  `json:"account"`
	How     string  `json:"how"`
	Weight  float64 `json:"weight"`
}

// WordPenalty is what lowered a score.
type WordPenalty struct {
	Reason string   `json:"reason"`
	Words  []string `json:"words,omitempty"`
	Cost   float64  `json:"cost"`
}

func suggestionView(s match.Suggestion) Suggestion {
	v := Suggestion{Org: s.Org, Account: s.Account, AccountName: s.AccountName, Rule: s.Rule, Score: s.Score,
		Margin: s.Margin, RunnerUp: s.RunnerUp, Rival: s.Rival, Confidence: string(s.Confidence), Why: s.Why}
	if e := s.Explanation; e != nil {
		x := &Explanation{Org: e.Org, Account: e.Account, Part: e.Part, Score: e.Score, RunnerUp: e.RunnerUp,
			RunnerUpScore: e.RunnerUpScore, Margin: e.Margin, Matched: make([]WordMatch, len(e.Matched))}
		for i, m := range e.Matched {
			x.Matched[i] = WordMatch{Org: m.Org, Account: m.Account, How: m.How, Weight: m.Weight}
		}
		for _, p := range e.Penalties {
			x.Penalties = append(x.Penalties, WordPenalty{Reason: p.Reason, Words: p.Words, Cost: p.Cost})
		}
		v.Explanation = x
	}
	return v
}

// SuggestStats says how much work a suggestion took.
type SuggestStats struct {
	Orgs        int           `json:"orgs"`
	Accounts    int           `json:"accounts"`
	Candidates  int           `json:"candidates"`
	Evaluations int           `json:"evaluations"`
	Index       time.Duration `json:"index_ns"`
	Score       time.Duration `json:"score_ns"`
	Assign      time.Duration `json:"assign_ns"`
}

// Removed counts what an uninstall removed.
type Removed struct {
	Configurations int `json:"configurations"`
	KVKeys         int `json:"kv_keys"`
	Mappings       int `json:"mappings"`
}

// The conversions from the store's records, written as methods so the
// API table can name them (Organization.of); each is a plain struct
// conversion, which the compiler checks field for field.
func (Organization) of(o store.Organization) Organization { return Organization(o) }
func (Mapping) of(m store.Mapping) Mapping                { return Mapping(m) }
func (DraftEntry) of(d store.DraftEntry) DraftEntry       { return DraftEntry(d) }
func (RunRecord) of(r store.RunRecord) RunRecord          { return RunRecord(r) }
func (Request) of(r store.Request) Request                { return Request(r) }
