// Command autotask is Roost's Autotask PSA connector. It lists active
// customer companies for organization mapping and offers company and
// ticket actions.
//
// Autotask authenticates every request with three headers: the API user's
// UserName, its Secret and the ApiIntegrationCode (the tracking identifier
// of the integration). The host injects Secret (a sealed field); the
// connector adds the other two, which are not secret. Each Autotask
// database lives in one zone (webservices5.autotask.net, …); the connector
// asks zoneInformation for the user's zone once and keeps the answer in
// the key-value store for a day.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o autotask.wasm .
package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/paginate"
	"github.com/roosthq/roost/sdk/rest"
)

// Connector is the Autotask PSA connector.
var Connector = sdk.Connector{
	Name:        "autotask",
	Version:     "1.0.0",
	Category:    sdk.CategoryPSA,
	Description: "Autotask PSA: customer companies for organization mapping, and ticket actions.",
	Tags:        []string{"psa", "tickets", "datto", "kaseya"},
	Homepage:    "https://ww1.autotask.net/help/developerhelp/Content/APIs/REST/REST_API_Home.htm",
	Config: []sdk.Field{
		{Name: "username", Type: sdk.TypeString, Required: true,
			Description: "The API user's username (an e-mail address): Admin → Resources (Users) → the API-only user (API User security level) → Security tab → Username."},
		{Name: "secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "That API user's secret: the Password/Secret on the same Security tab (Generate Secret)."},
		{Name: "integration_code", Type: sdk.TypeString, Required: true,
			Description: "The API Tracking Identifier on the API user's Security tab (API Tracking Identifier → Integration Vendor or Custom (Internal Integration)); sent as ApiIntegrationCode."},
		{Name: "impersonation_resource_id", Type: sdk.TypeInteger,
			Description: "Optional: the resource id that tickets are created as (ImpersonationResourceId); the API user needs impersonation rights."},
		{Name: "zone_lookup_url", Type: sdk.TypeURL, Default: "https://webservices.autotask.net/atservicesrest",
			Description: "Where the zone of your database is looked up; leave the default unless told otherwise by Autotask."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthHeader, Name: "Secret", Secret: "secret"},
	Hosts: []string{"{config.zone_lookup_url}", "*.autotask.net"},
	Actions: []sdk.Action{
		sdk.NewAction("list_companies", "Lists active companies whose name contains search (all active companies without it).", listCompanies),
		sdk.NewAction("get_company", "Fetches one company by id.", getCompany),
		sdk.NewAction("list_tickets", "Lists a company's tickets that are not Complete.", listTickets),
		sdk.NewAction("create_ticket", "Opens a ticket for a company.", createTicket),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	Username        string `json:"username"`
	IntegrationCode string `json:"integration_code"`
	Impersonate     int    `json:"impersonation_resource_id"`
	ZoneLookupURL   string `json:"zone_lookup_url"`
}

// zone is what zoneInformation answers.
type zone struct {
	ZoneName string `json:"zoneName"`
	URL      string `json:"url"`
	WebURL   string `json:"webUrl"`
	At       int64  `json:"at,omitempty"` // when it was looked up (Unix seconds), ours
}

const zoneTTL = 24 * time.Hour

// api returns a client that sends Autotask's headers, and the REST base
// of the user's zone (ending in /V1.0).
func api(ctx context.Context) (*sdk.Client, string, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return nil, "", err
	}
	if cfg.Username == "" || cfg.IntegrationCode == "" {
		return nil, "", sdk.Errorf(sdk.CodeInvalidInput, "username and integration_code must be configured")
	}
	c := sdk.HTTP(ctx)
	c.Header.Set("UserName", cfg.Username)
	c.Header.Set("ApiIntegrationCode", cfg.IntegrationCode)
	if cfg.Impersonate > 0 {
		c.Header.Set("ImpersonationResourceId", strconv.Itoa(cfg.Impersonate))
	}
	z, err := lookupZone(ctx, c, cfg)
	if err != nil {
		return nil, "", err
	}
	return c, strings.TrimRight(z.URL, "/") + "/V1.0", nil
}

func lookupZone(ctx context.Context, c *sdk.Client, cfg config) (zone, error) {
	key := "zone/" + strings.ToLower(cfg.Username) + "@" + cfg.ZoneLookupURL
	var z zone
	if raw, ok, err := sdk.KV(ctx).Get(key); err == nil && ok && json.Unmarshal(raw, &z) == nil &&
		z.URL != "" && time.Since(time.Unix(z.At, 0)) < zoneTTL {
		return z, nil
	}
	u := strings.TrimRight(cfg.ZoneLookupURL, "/") + "/v1.0/zoneInformation?" + url.Values{"user": {cfg.Username}}.Encode()
	resp, err := c.Do(sdk.Request{Method: "GET", URL: u, Header: sdk.Header{"Accept": {"application/json"}}})
	if err != nil {
		return z, err
	}
	if !resp.OK() {
		e := statusError("look up the zone", resp)
		if resp.Status == 500 || resp.Status == 404 {
			// Autotask's answer to an unknown user.
			e = sdk.Errorf(sdk.CodeInvalidInput, "Autotask knows no API user %q (zoneInformation answered %d)", cfg.Username, resp.Status)
		}
		return z, e
	}
	if err := resp.JSON(&z); err != nil {
		return z, err
	}
	if z.URL == "" {
		return z, sdk.Errorf(sdk.CodeUpstream, "zoneInformation for %q has no url", cfg.Username)
	}
	z.At = time.Now().Unix()
	if raw, err := json.Marshal(z); err == nil {
		_ = sdk.KV(ctx).Set(key, raw) // a lost cache only costs a lookup
	}
	return z, nil
}

// statusError turns an Autotask error answer ({"errors": ["…"]}) into a
// structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		Errors []string `json:"errors"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	msg := strings.Join(e.Errors, "; ")
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 401:
		msg += " (check username, secret and integration_code)"
	case resp.Status >= 500 && (strings.Contains(msg, "Missing Required Field") || strings.Contains(msg, "does not exist")):
		code = sdk.CodeInvalidInput // Autotask answers validation failures with 500
	}
	return sdk.Errorf(code, "%s: Autotask answered %d: %s", op, resp.Status, msg)
}

// Filter is one Autotask query filter.
type Filter struct {
	Op    string   `json:"op"`
	Field string   `json:"field,omitempty"`
	Value any      `json:"value,omitempty"`
	Items []Filter `json:"items,omitempty"`
}

type query struct {
	Filter        []Filter `json:"filter"`
	MaxRecords    int      `json:"MaxRecords,omitempty"`
	IncludeFields []string `json:"IncludeFields,omitempty"`
}

// pager queries entity with GET …/query?search=, following each page's
// pageDetails.nextPageUrl (a GET, valid across requests) to the end.
func pager(c *sdk.Client, base, entity string, q query) *paginate.Pager {
	search, _ := json.Marshal(q)
	return &paginate.Pager{
		Client:     c,
		Request:    sdk.Request{Method: "GET", URL: base + "/" + entity + "/query?" + url.Values{"search": {string(search)}}.Encode()},
		Paging:     rest.Pagination{Kind: rest.PageLink, NextPath: "pageDetails.nextPageUrl"},
		ResultsKey: "items",
	}
}

// decode turns a page's generic items into typed ones.
func decode[T any](items []any) ([]T, error) {
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	out := []T{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, sdk.Errorf(sdk.CodeUpstream, "Autotask answered unexpected items: %v", err)
	}
	return out, nil
}

// Company is an Autotask company.
type Company struct {
	ID              int    `json:"id"`
	CompanyName     string `json:"companyName"`
	CompanyNumber   string `json:"companyNumber,omitempty"`
	CompanyType     int    `json:"companyType,omitempty" desc:"1 customer, 2 lead, 3 prospect, 4 dead, 6 cancellation, 7 vendor, 8 partner."`
	IsActive        bool   `json:"isActive"`
	WebAddress      string `json:"webAddress,omitempty"`
	Phone           string `json:"phone,omitempty"`
	ParentCompanyID int    `json:"parentCompanyID,omitempty"`
}

var companyFields = []string{"id", "companyName", "companyNumber", "companyType", "isActive", "webAddress", "phone", "parentCompanyID"}

const customerType = 1

// ListCompaniesInput is the input of list_companies.
type ListCompaniesInput struct {
	Search string `json:"search,omitempty" desc:"Only companies whose name contains this."`
	Limit  int    `json:"limit,omitempty" desc:"At most this many (default 500, at most 5000)."`
}

func listCompanies(ctx context.Context, in ListCompaniesInput) ([]Company, error) {
	limit := in.Limit
	if limit <= 0 {
		limit = 500
	}
	limit = min(limit, 5000)
	filter := []Filter{{Op: "eq", Field: "isActive", Value: true}}
	if in.Search != "" {
		filter = append(filter, Filter{Op: "contains", Field: "companyName", Value: in.Search})
	}
	c, base, err := api(ctx)
	if err != nil {
		return nil, err
	}
	p := pager(c, base, "Companies", query{Filter: filter, MaxRecords: min(limit, 500), IncludeFields: companyFields})
	p.Paging.MaxPages = (limit + 499) / 500
	out := []Company{}
	_, err = p.All(func(items []any) error {
		page, err := decode[Company](items)
		out = append(out, page...)
		return err
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// CompanyRef names one company by its Autotask id.
type CompanyRef struct {
	ID string `json:"id" desc:"The company's id, as mapped to an organization."`
}

func positiveID(what, s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, sdk.Errorf(sdk.CodeInvalidInput, "%s id %q: want a positive whole number", what, s)
	}
	return id, nil
}

func getItem(ctx context.Context, path string, out any) error {
	c, base, err := api(ctx)
	if err != nil {
		return err
	}
	resp, err := c.Do(sdk.Request{Method: "GET", URL: base + path, Header: sdk.Header{"Accept": {"application/json"}}})
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError("GET "+path, resp)
	}
	var answer struct {
		Item json.RawMessage `json:"item"`
	}
	if err := resp.JSON(&answer); err != nil {
		return err
	}
	if len(answer.Item) == 0 || string(answer.Item) == "null" {
		// Autotask answers a missing entity with 200 and "item": null.
		return sdk.Errorf(sdk.CodeNotFound, "Autotask has no %s", strings.TrimPrefix(path, "/"))
	}
	return json.Unmarshal(answer.Item, out)
}

func getCompany(ctx context.Context, in CompanyRef) (Company, error) {
	id, err := positiveID("company", in.ID)
	if err != nil {
		return Company{}, err
	}
	var co Company
	return co, getItem(ctx, "/Companies/"+strconv.Itoa(id), &co)
}

// Ticket is an Autotask ticket.
type Ticket struct {
	ID           int    `json:"id"`
	TicketNumber string `json:"ticketNumber,omitempty"`
	CompanyID    int    `json:"companyID"`
	Title        string `json:"title"`
	Description  string `json:"description,omitempty"`
	Status       int    `json:"status,omitempty" desc:"Autotask status picklist value (1 New, 5 Complete)."`
	Priority     int    `json:"priority,omitempty" desc:"Autotask priority picklist value (1 High, 2 Medium, 3 Low, 4 Critical)."`
	QueueID      int    `json:"queueID,omitempty"`
	CreateDate   string `json:"createDate,omitempty"`
}

// ListTicketsInput is the input of list_tickets.
type ListTicketsInput struct {
	CompanyID string `json:"company_id" desc:"The company's id, as mapped to an organization."`
}

const statusComplete = 5

func listTickets(ctx context.Context, in ListTicketsInput) ([]Ticket, error) {
	id, err := positiveID("company", in.CompanyID)
	if err != nil {
		return nil, err
	}
	c, base, err := api(ctx)
	if err != nil {
		return nil, err
	}
	p := pager(c, base, "Tickets", query{Filter: []Filter{
		{Op: "eq", Field: "companyID", Value: id}, {Op: "noteq", Field: "status", Value: statusComplete}}})
	p.Paging.MaxPages = 10
	out := []Ticket{}
	_, err = p.All(func(items []any) error {
		page, err := decode[Ticket](items)
		out = append(out, page...)
		return err
	})
	return out, err
}

// CreateTicketInput is the input of create_ticket.
type CreateTicketInput struct {
	CompanyID   string `json:"company_id" desc:"The company's id, as mapped to an organization."`
	Title       string `json:"title" desc:"The ticket's title (Autotask allows 255 characters)."`
	Description string `json:"description,omitempty" desc:"The ticket's description."`
	Priority    int    `json:"priority,omitempty" desc:"Priority picklist value; default 2 (Medium)."`
	Status      int    `json:"status,omitempty" desc:"Status picklist value; default 1 (New)."`
	QueueID     int    `json:"queue_id,omitempty" desc:"The queue to put the ticket in (Admin → Features & Settings → Service Desk → Queues)."`
}

func createTicket(ctx context.Context, in CreateTicketInput) (Ticket, error) {
	id, err := positiveID("company", in.CompanyID)
	if err != nil {
		return Ticket{}, err
	}
	if strings.TrimSpace(in.Title) == "" {
		return Ticket{}, sdk.Errorf(sdk.CodeInvalidInput, "title is required")
	}
	if len(in.Title) > 255 {
		return Ticket{}, sdk.Errorf(sdk.CodeInvalidInput, "title is %d characters; Autotask allows 255", len(in.Title))
	}
	t := Ticket{CompanyID: id, Title: in.Title, Description: in.Description, Priority: in.Priority, Status: in.Status, QueueID: in.QueueID}
	if t.Priority == 0 {
		t.Priority = 2
	}
	if t.Status == 0 {
		t.Status = 1
	}
	c, base, err := api(ctx)
	if err != nil {
		return Ticket{}, err
	}
	body, _ := json.Marshal(t)
	resp, err := c.Do(sdk.Request{Method: "POST", URL: base + "/Tickets", Body: body,
		Header: sdk.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}})
	if err != nil {
		return Ticket{}, err
	}
	if !resp.OK() {
		return Ticket{}, statusError("create ticket", resp)
	}
	var created struct {
		ItemID int `json:"itemId"`
	}
	if err := resp.JSON(&created); err != nil {
		return Ticket{}, err
	}
	var out Ticket
	if err := getItem(ctx, "/Tickets/"+strconv.Itoa(created.ItemID), &out); err != nil {
		t.ID = created.ItemID // created; only the read-back failed
		return t, nil
	}
	return out, nil
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	c, base, err := api(ctx)
	if err != nil {
		return sdk.CheckResult{}, err
	}
	search, _ := json.Marshal(query{Filter: []Filter{{Op: "eq", Field: "isActive", Value: true}, {Op: "eq", Field: "companyType", Value: customerType}}})
	resp, err := c.Do(sdk.Request{Method: "GET", URL: base + "/Companies/query/count?" + url.Values{"search": {string(search)}}.Encode(),
		Header: sdk.Header{"Accept": {"application/json"}}})
	if err != nil {
		return sdk.CheckResult{}, err
	}
	if !resp.OK() {
		return sdk.CheckResult{}, statusError("count companies", resp)
	}
	var n struct {
		QueryCount int `json:"queryCount"`
	}
	if err := resp.JSON(&n); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in at " + hostOf(base) + " and counted " + strconv.Itoa(n.QueryCount) + " active customers"}, nil
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return u
}

// organizations lists active customer companies (companyType 1), ordered
// by id. The cursor is the nextPageUrl Autotask minted for the next page,
// passed back exactly.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	c, base, err := api(ctx)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	size := page.Size
	if size <= 0 || size > 500 {
		size = 500
	}
	if page.Cursor != "" && !strings.EqualFold(hostOf(page.Cursor), hostOf(base)) {
		return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "cursor %q is not a page of this Autotask zone", page.Cursor)
	}
	p := pager(c, base, "Companies", query{MaxRecords: size, IncludeFields: companyFields, Filter: []Filter{
		{Op: "eq", Field: "isActive", Value: true}, {Op: "eq", Field: "companyType", Value: customerType}}})
	items, _, next, err := p.Page(page.Cursor)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	list, err := decode[Company](items)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(list)), Next: next}
	for _, co := range list {
		a := sdk.Account{ID: strconv.Itoa(co.ID), Name: co.CompanyName, Attributes: map[string]string{}}
		if co.CompanyNumber != "" {
			a.Attributes["company_number"] = co.CompanyNumber
		}
		if co.ParentCompanyID > 0 {
			a.ParentID = strconv.Itoa(co.ParentCompanyID)
		}
		if d := domainOf(co.WebAddress); d != "" {
			a.Domains = []string{d}
		}
		out.Accounts = append(out.Accounts, a)
	}
	return out, nil
}

func domainOf(website string) string {
	if website == "" {
		return ""
	}
	if !strings.Contains(website, "://") {
		website = "https://" + website
	}
	u, err := url.Parse(website)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}
