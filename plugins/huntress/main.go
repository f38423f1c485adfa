// Command huntress is Roost's Huntress connector. It lists Huntress
// organizations for organization mapping and offers agent, incident
// report and onboarding actions. The host signs every request with HTTP
// Basic auth (API key as the user, API secret as the password), so the
// connector never holds the secret.
//
// Huntress pages its lists by cursor: limit (at most 500) and page_token,
// with the next token in the answer's pagination block.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o huntress.wasm .
package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/paginate"
	"github.com/roosthq/roost/sdk/rest"
)

// Connector is the Huntress connector.
var Connector = sdk.Connector{
	Name:        "huntress",
	Version:     "1.0.0",
	Category:    sdk.CategorySecurity,
	Description: "Huntress: organizations for organization mapping, and agent, incident report and onboarding actions.",
	Tags:        []string{"security", "edr", "mdr", "incidents"},
	Homepage:    "https://api.huntress.io/docs",
	Config: []sdk.Field{
		{Name: "api_key", Type: sdk.TypeString, Required: true,
			Description: "The API key's public part (hk_…): Huntress portal → your account menu (top right) → API Credentials → Setup/Generate, as an account admin."},
		{Name: "api_secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "The API secret key (hs_…) shown once when the key is generated."},
		{Name: "base_url", Type: sdk.TypeURL, Default: "https://api.huntress.io/v1",
			Description: "The Huntress API; leave the default."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthBasic, Username: "api_key", Secret: "api_secret"},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("list_agents", "Lists the agents of an organization (or all), paged to the end.", listAgents),
		sdk.NewAction("list_incident_reports", "Lists incident reports of an organization (or all), by default the open (sent) ones.", listReports),
		sdk.NewAction("create_organization", "Creates an organization, to onboard a new customer before deploying agents.", createOrganization),
		sdk.NewAction("get_organization", "Fetches one organization by id.", getOrganization),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	BaseURL string `json:"base_url"`
}

func base(ctx context.Context) (string, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return "", err
	}
	if cfg.BaseURL == "" {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "base_url is not configured")
	}
	return strings.TrimRight(cfg.BaseURL, "/"), nil
}

// statusError turns a Huntress error answer ({"status", "error"}) into a
// structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	msg := e.Error
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 401:
		msg += " (check api_key and api_secret)"
	}
	return sdk.Errorf(code, "%s: Huntress answered %d: %s", op, resp.Status, msg)
}

func send(ctx context.Context, method, path string, in, out any) error {
	b, err := base(ctx)
	if err != nil {
		return err
	}
	req := sdk.Request{Method: method, URL: b + path, Header: sdk.Header{"Accept": {"application/json"}}}
	if in != nil {
		if req.Body, err = json.Marshal(in); err != nil {
			return sdk.Errorf(sdk.CodeInvalidInput, "encode request: %v", err)
		}
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sdk.HTTP(ctx).Do(req)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError(method+" "+strings.SplitN(path, "?", 2)[0], resp)
	}
	if out == nil {
		return nil
	}
	return resp.JSON(out)
}

// pager lists path (whose items are under key) by cursor.
func pager(ctx context.Context, path, key string, q url.Values, size int) (*paginate.Pager, error) {
	b, err := base(ctx)
	if err != nil {
		return nil, err
	}
	u := b + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return &paginate.Pager{Client: sdk.HTTP(ctx), Request: sdk.Request{Method: "GET", URL: u, Header: sdk.Header{"Accept": {"application/json"}}},
		Paging: rest.Pagination{Kind: rest.PageCursor, CursorParam: "page_token", SizeParam: "limit", PageSize: size,
			NextPath: "pagination.next_page_token"},
		ResultsKey: key}, nil
}

func decode[T any](items []any) ([]T, error) {
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, sdk.Errorf(sdk.CodeUpstream, "Huntress answered unexpected items: %v", err)
	}
	return out, nil
}

// all lists every item of path, at most limit.
func all[T any](ctx context.Context, path, key string, q url.Values, limit int) ([]T, error) {
	p, err := pager(ctx, path, key, q, min(limit, 500))
	if err != nil {
		return nil, err
	}
	p.Paging.MaxPages = (limit + 499) / 500
	out := []T{}
	_, err = p.All(func(items []any) error {
		page, err := decode[T](items)
		out = append(out, page...)
		return err
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Organization is a Huntress organization.
type Organization struct {
	ID                  int    `json:"id"`
	Name                string `json:"name"`
	Key                 string `json:"key" desc:"The organization key agents are installed with."`
	AgentsCount         int    `json:"agents_count"`
	IncidentReportCount int    `json:"incident_reports_count,omitempty"`
	CreatedAt           string `json:"created_at,omitempty"`
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var a struct {
		Account struct {
			Name      string `json:"name"`
			Subdomain string `json:"subdomain"`
		} `json:"account"`
	}
	if err := send(ctx, "GET", "/account", nil, &a); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in to the Huntress account " + a.Account.Name + " (" + a.Account.Subdomain + ")"}, nil
}

// organizations pages through GET /organizations. The cursor is Huntress's
// next_page_token.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	size := page.Size
	if size <= 0 || size > 500 {
		size = 500
	}
	p, err := pager(ctx, "/organizations", "organizations", nil, size)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	items, body, next, err := p.Page(page.Cursor)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	list, err := decode[Organization](items)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(list)), Next: next}
	if v, ok := rest.Lookup(body, "pagination.total_count"); ok {
		if f, ok := v.(float64); ok {
			out.Total = int(f)
		}
	}
	for _, o := range list {
		out.Accounts = append(out.Accounts, sdk.Account{ID: strconv.Itoa(o.ID), Name: o.Name, Attributes: map[string]string{
			"key": o.Key, "agents": strconv.Itoa(o.AgentsCount)}})
	}
	return out, nil
}

func orgID(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, sdk.Errorf(sdk.CodeInvalidInput, "organization id %q: want a positive whole number", s)
	}
	return n, nil
}

// ListInput names an organization (or none, for all) and bounds a listing.
type ListInput struct {
	OrganizationID string `json:"organization_id,omitempty" desc:"The organization's id, as mapped to an organization; empty for all."`
	Limit          int    `json:"limit,omitempty" desc:"At most this many (default 1000, at most 10000)."`
}

func (in ListInput) query() (url.Values, int, error) {
	q := url.Values{}
	if in.OrganizationID != "" {
		n, err := orgID(in.OrganizationID)
		if err != nil {
			return nil, 0, err
		}
		q.Set("organization_id", strconv.Itoa(n))
	}
	limit := in.Limit
	if limit <= 0 {
		limit = 1000
	}
	return q, min(limit, 10000), nil
}

// Agent is a Huntress agent on one machine.
type Agent struct {
	ID             int    `json:"id"`
	OrganizationID int    `json:"organization_id"`
	Hostname       string `json:"hostname"`
	Platform       string `json:"platform,omitempty"`
	OS             string `json:"os,omitempty"`
	Version        string `json:"version,omitempty"`
	IPv4Address    string `json:"ipv4_address,omitempty"`
	DefenderStatus string `json:"defender_status,omitempty" desc:"Microsoft Defender's state as Huntress sees it (Healthy, Unhealthy…)."`
	LastCallbackAt string `json:"last_callback_at,omitempty"`
}

func listAgents(ctx context.Context, in ListInput) ([]Agent, error) {
	q, limit, err := in.query()
	if err != nil {
		return nil, err
	}
	return all[Agent](ctx, "/agents", "agents", q, limit)
}

// IncidentReport is a Huntress incident report.
type IncidentReport struct {
	ID             int    `json:"id"`
	OrganizationID int    `json:"organization_id"`
	AgentID        int    `json:"agent_id,omitempty"`
	Status         string `json:"status" desc:"sent (open), closed, dismissed, auto_remediating, deleting."`
	Severity       string `json:"severity,omitempty" desc:"low, high or critical."`
	Summary        string `json:"summary,omitempty"`
	Platform       string `json:"platform,omitempty"`
	SentAt         string `json:"sent_at,omitempty"`
}

// ListReportsInput is the input of list_incident_reports.
type ListReportsInput struct {
	ListInput
	Status string `json:"status,omitempty" desc:"Only reports in this status (default sent, the open ones; \"all\" for every status)."`
}

var statuses = map[string]bool{"sent": true, "closed": true, "dismissed": true, "auto_remediating": true, "deleting": true}

func listReports(ctx context.Context, in ListReportsInput) ([]IncidentReport, error) {
	q, limit, err := in.query()
	if err != nil {
		return nil, err
	}
	switch {
	case in.Status == "":
		q.Set("status", "sent")
	case in.Status == "all":
	case statuses[in.Status]:
		q.Set("status", in.Status)
	default:
		return nil, sdk.Errorf(sdk.CodeInvalidInput, "status %q: want sent, closed, dismissed, auto_remediating, deleting or all", in.Status)
	}
	return all[IncidentReport](ctx, "/incident_reports", "incident_reports", q, limit)
}

// CreateOrganizationInput is the input of create_organization.
type CreateOrganizationInput struct {
	Name string `json:"name" desc:"The customer's name."`
	Key  string `json:"key,omitempty" desc:"The organization key agents are installed with: lowercase letters, digits and dashes (default: made from the name)."`
}

// keyOf makes an organization key from a name: lowercase letters and
// digits, each other run of characters a dash.
func keyOf(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

func createOrganization(ctx context.Context, in CreateOrganizationInput) (Organization, error) {
	if strings.TrimSpace(in.Name) == "" {
		return Organization{}, sdk.Errorf(sdk.CodeInvalidInput, "name is required")
	}
	if in.Key == "" {
		in.Key = keyOf(in.Name)
	}
	var answer struct {
		Organization Organization `json:"organization"`
	}
	// Not retried: a create that timed out may have happened.
	if err := send(ctx, "POST", "/organizations", map[string]string{"name": in.Name, "key": in.Key}, &answer); err != nil {
		return Organization{}, err
	}
	return answer.Organization, nil
}

// OrgRef names one organization.
type OrgRef struct {
	ID string `json:"id" desc:"The organization's id, as mapped to an organization."`
}

func getOrganization(ctx context.Context, in OrgRef) (Organization, error) {
	n, err := orgID(in.ID)
	if err != nil {
		return Organization{}, err
	}
	var answer struct {
		Organization Organization `json:"organization"`
	}
	return answer.Organization, send(ctx, "GET", "/organizations/"+strconv.Itoa(n), nil, &answer)
}
