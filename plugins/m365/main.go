// Command m365 is Roost's Microsoft 365 connector for partners (CSP and
// GDAP). It lists the partner's customer tenants, from Microsoft Graph's
// contracts, for organization mapping, each with the state of its GDAP
// relationships as a consent attribute, and offers GDAP actions: list
// relationships (with those about to expire), fetch a GDAP customer, and
// request a new relationship ready for the customer to approve.
//
// The host fetches the partner tenant's app-only token (client
// credentials at {login_url}/{tenant_id}/oauth2/v2.0/token, scope
// https://graph.microsoft.com/.default) and adds it to every request, so
// the connector never holds the client secret. That token only reaches
// the partner tenant: reading a customer tenant's own data (users,
// licences) needs a token issued by that tenant, which the ABI cannot give
// a connector without handing it the secret; see docs/connectors.md.
//
// Graph lists page with @odata.nextLink, an absolute URL that the cursor
// carries unchanged.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o m365.wasm .
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk"
)

// Connector is the Microsoft 365 connector.
var Connector = sdk.Connector{
	Name:        "m365",
	Version:     "1.0.0",
	Category:    sdk.CategoryOther,
	Description: "Microsoft 365 for partners: customer tenants (Graph contracts) with their GDAP consent state for organization mapping, and GDAP relationship actions.",
	Tags:        []string{"microsoft", "graph", "gdap", "csp", "entra"},
	Homepage:    "https://learn.microsoft.com/graph/api/resources/delegatedadminrelationships",
	Config: []sdk.Field{
		{Name: "tenant_id", Type: sdk.TypeString, Required: true,
			Description: "Your partner tenant's id: Microsoft Entra admin center → Identity → Overview → Tenant ID (a GUID)."},
		{Name: "client_id", Type: sdk.TypeString, Required: true,
			Description: "Entra admin center → App registrations → your app → Overview → Application (client) ID. Grant it the application permissions DelegatedAdminRelationship.ReadWrite.All and Directory.Read.All, with admin consent."},
		{Name: "client_secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "App registrations → your app → Certificates & secrets → Client secrets → New client secret → the Value (not the Secret ID)."},
		{Name: "login_url", Type: sdk.TypeURL, Default: "https://login.microsoftonline.com",
			Description: "The identity platform; the default is the global cloud's."},
		{Name: "graph_url", Type: sdk.TypeURL, Default: "https://graph.microsoft.com",
			Description: "Microsoft Graph; the default is the global cloud's."},
		{Name: "expiry_warning_days", Type: sdk.TypeInteger, Default: 30,
			Description: "A GDAP relationship ending within this many days makes the tenant's consent \"expiring\"."},
	},
	Auth: &sdk.Auth{Type: sdk.AuthOAuth2ClientCredentials, TokenURL: "{config.login_url}/{config.tenant_id}/oauth2/v2.0/token",
		ClientID: "client_id", Secret: "client_secret", Scopes: []string{"https://graph.microsoft.com/.default"}},
	Hosts: []string{"{config.graph_url}", "{config.login_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("list_relationships", "Lists GDAP relationships, of one customer or all, optionally only active ones ending within a number of days.", listRelationships),
		sdk.NewAction("get_customer", "Fetches a GDAP customer (a tenant with an active relationship) by tenant id.", getCustomer),
		sdk.NewAction("request_relationship", "Creates a GDAP relationship with a customer, locks it for approval and returns the link the customer's admin approves it at.", requestRelationship),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	GraphURL    string `json:"graph_url"`
	WarningDays int    `json:"expiry_warning_days"`
}

func graphBase(ctx context.Context) (string, config, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return "", cfg, err
	}
	if cfg.GraphURL == "" {
		return "", cfg, sdk.Errorf(sdk.CodeInvalidInput, "graph_url is not configured")
	}
	if cfg.WarningDays <= 0 {
		cfg.WarningDays = 30
	}
	return strings.TrimRight(cfg.GraphURL, "/") + "/v1.0", cfg, nil
}

// statusError turns a Graph error answer ({"error": {code, message,
// innerError}}) into a structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	msg := strings.TrimSpace(e.Error.Code + ": " + e.Error.Message)
	if e.Error.Code == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if id := e.Error.InnerError.RequestID; id != "" {
		msg += " (request-id " + id + ")"
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 403:
		msg += "; the app needs DelegatedAdminRelationship.ReadWrite.All and Directory.Read.All with admin consent"
	}
	return sdk.Errorf(code, "%s: Microsoft Graph answered %d: %s", op, resp.Status, msg)
}

// send sends one Graph request; in, if not nil, is the JSON body.
func send(ctx context.Context, method, u string, in, out any) error {
	req := sdk.Request{Method: method, URL: u, Header: sdk.Header{"Accept": {"application/json"}}}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return sdk.Errorf(sdk.CodeInvalidInput, "encode request: %v", err)
		}
		req.Body = b
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sdk.HTTP(ctx).Do(req)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError(method+" "+redact(u), resp)
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	return resp.JSON(out)
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		p.RawQuery = ""
		return p.Path
	}
	return "the URL"
}

// list is one page of a Graph collection.
type list[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// getPage fetches one page of a collection at u.
func getPage[T any](ctx context.Context, u string) (list[T], error) {
	var l list[T]
	err := send(ctx, "GET", u, nil, &l)
	return l, err
}

// all follows @odata.nextLink from u to the end (at most maxPages pages),
// refusing a nextLink it has seen.
func all[T any](ctx context.Context, u string, maxPages int, each func([]T)) error {
	seen := map[string]bool{}
	for pages := 0; u != "" && pages < maxPages; pages++ {
		l, err := getPage[T](ctx, u)
		if err != nil {
			return err
		}
		each(l.Value)
		if seen[l.NextLink] {
			return sdk.Errorf(sdk.CodeUpstream, "Microsoft Graph sent the nextLink %s twice", redact(l.NextLink))
		}
		seen[l.NextLink] = true
		u = l.NextLink
	}
	return nil
}

// Contract is a partner's contract with a customer tenant.
type Contract struct {
	ID                string `json:"id"`
	ContractType      string `json:"contractType"`
	CustomerID        string `json:"customerId"`
	DefaultDomainName string `json:"defaultDomainName"`
	DisplayName       string `json:"displayName"`
}

// Relationship is a GDAP relationship.
type Relationship struct {
	ID                 string                `json:"id"`
	DisplayName        string                `json:"displayName"`
	Duration           string                `json:"duration"`
	Status             string                `json:"status" desc:"created, approvalPending, approved, activating, active, expiring, expired, terminationRequested, terminating, terminated."`
	AutoExtendDuration string                `json:"autoExtendDuration,omitempty"`
	CreatedDateTime    string                `json:"createdDateTime,omitempty"`
	ActivatedDateTime  string                `json:"activatedDateTime,omitempty"`
	EndDateTime        string                `json:"endDateTime,omitempty"`
	Customer           *Customer             `json:"customer,omitempty"`
	AccessDetails      *Access               `json:"accessDetails,omitempty"`
	ApprovalURL        string                `json:"approval_url,omitempty" desc:"Where the customer's admin approves the relationship (ours, not Graph's)."`
	Requests           []RelationshipRequest `json:"requests,omitempty" desc:"Requests made on the relationship (ours, not Graph's)."`
}

// Customer names a customer tenant.
type Customer struct {
	TenantID    string `json:"tenantId"`
	DisplayName string `json:"displayName,omitempty"`
}

// Access is what a relationship grants.
type Access struct {
	UnifiedRoles []Role `json:"unifiedRoles"`
}

// Role is a Microsoft Entra built-in role, by its template id.
type Role struct {
	RoleDefinitionID string `json:"roleDefinitionId"`
}

// RelationshipRequest is a delegatedAdminRelationshipRequest: an action
// (lockForApproval, terminate) asked of a relationship.
type RelationshipRequest struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	Status string `json:"status"`
}

// Consent states of a customer tenant, from its GDAP relationships.
const (
	ConsentGranted    = "granted"    // an active relationship, not ending soon
	ConsentExpiring   = "expiring"   // the best relationship is active but ends within the warning window
	ConsentPending    = "pending"    // created or sent, not yet approved and active
	ConsentExpired    = "expired"    // only expired relationships
	ConsentTerminated = "terminated" // only terminated (or terminating) relationships
	ConsentNone       = "none"       // no GDAP relationship: DAP or a reseller contract only
)

var consentRank = map[string]int{ConsentGranted: 6, ConsentExpiring: 5, ConsentPending: 4, ConsentExpired: 3, ConsentTerminated: 2, ConsentNone: 1}

// gdap summarises a customer's relationships.
type gdap struct {
	Consent string `json:"c"`
	Name    string `json:"n,omitempty"`
	Ends    string `json:"e,omitempty"`
	Roles   int    `json:"r,omitempty"`
	Count   int    `json:"k"`
}

func consentOf(r Relationship, now time.Time, warn time.Duration) string {
	switch r.Status {
	case "active", "expiring":
		if end, err := time.Parse(time.RFC3339, r.EndDateTime); err == nil && end.Sub(now) < warn {
			return ConsentExpiring
		}
		if r.Status == "expiring" {
			return ConsentExpiring
		}
		return ConsentGranted
	case "created", "approvalPending", "approved", "activating":
		return ConsentPending
	case "expired":
		return ConsentExpired
	case "terminationRequested", "terminating", "terminated":
		return ConsentTerminated
	}
	return ConsentNone
}

// summarise folds relationships into one gdap per customer tenant: the
// best consent state and its relationship.
func summarise(rels []Relationship, warnDays int) map[string]gdap {
	now := time.Now()
	warn := time.Duration(warnDays) * 24 * time.Hour
	out := map[string]gdap{}
	for _, r := range rels {
		if r.Customer == nil {
			continue
		}
		t := strings.ToLower(r.Customer.TenantID)
		g := out[t]
		g.Count++
		if c := consentOf(r, now, warn); consentRank[c] > consentRank[g.Consent] {
			g.Consent, g.Name, g.Ends = c, r.DisplayName, r.EndDateTime
			g.Roles = 0
			if r.AccessDetails != nil {
				g.Roles = len(r.AccessDetails.UnifiedRoles)
			}
		}
		out[t] = g
	}
	return out
}

// gdapKey holds the summary of every relationship, written by the first
// page of a listing and read by the later ones.
const gdapKey = "gdap-summary"

// gdapSummary returns the consent summary for a listing: fetched afresh
// (every relationship, 300 a page) on its first page, read back from the
// key-value store on the others.
func gdapSummary(ctx context.Context, base string, cfg config, first bool) (map[string]gdap, error) {
	kv := sdk.KV(ctx)
	if !first {
		var m map[string]gdap
		if raw, ok, err := kv.Get(gdapKey); err == nil && ok && json.Unmarshal(raw, &m) == nil {
			return m, nil
		}
	}
	var rels []Relationship
	err := all(ctx, base+"/tenantRelationships/delegatedAdminRelationships?$top=300", 200, func(page []Relationship) {
		rels = append(rels, page...)
	})
	if err != nil {
		return nil, err
	}
	m := summarise(rels, cfg.WarningDays)
	if raw, err := json.Marshal(m); err == nil {
		if err := kv.Set(gdapKey, raw); err != nil {
			sdk.Log(ctx).Warn("cannot keep the GDAP summary; later pages will fetch it again", "error", err.Error())
		}
	}
	return m, nil
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	base, _, err := graphBase(ctx)
	if err != nil {
		return sdk.CheckResult{}, err
	}
	if _, err := getPage[Contract](ctx, base+"/contracts?$top=1"); err != nil {
		return sdk.CheckResult{}, err
	}
	if _, err := getPage[Relationship](ctx, base+"/tenantRelationships/delegatedAdminRelationships?$top=1"); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in to the partner tenant and read its contracts and GDAP relationships"}, nil
}

// organizations lists the partner's customer tenants from GET /contracts.
// The cursor is Graph's @odata.nextLink. Each account carries the tenant's
// consent state (attribute consent, see the Consent constants) and the
// relationship it comes from.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	base, cfg, err := graphBase(ctx)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	u := page.Cursor
	if u == "" {
		size := page.Size
		if size <= 0 || size > 999 {
			size = 999
		}
		u = base + "/contracts?$top=" + strconv.Itoa(size)
	} else if !sameHost(u, base) {
		return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "cursor %q is not a Graph page", page.Cursor)
	}
	l, err := getPage[Contract](ctx, u)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	summary, err := gdapSummary(ctx, base, cfg, page.Cursor == "")
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(l.Value)), Next: l.NextLink}
	for _, c := range l.Value {
		a := sdk.Account{ID: c.CustomerID, Name: c.DisplayName, Attributes: map[string]string{
			"tenant_id": c.CustomerID, "contract_type": c.ContractType, "consent": ConsentNone}}
		if c.DefaultDomainName != "" {
			a.Domains = []string{strings.ToLower(c.DefaultDomainName)}
		}
		if g, ok := summary[strings.ToLower(c.CustomerID)]; ok {
			a.Attributes["consent"] = g.Consent
			a.Attributes["gdap_relationship"] = g.Name
			a.Attributes["gdap_relationships"] = strconv.Itoa(g.Count)
			if g.Ends != "" {
				a.Attributes["gdap_ends"] = g.Ends
			}
			if g.Roles > 0 {
				a.Attributes["gdap_roles"] = strconv.Itoa(g.Roles)
			}
		}
		out.Accounts = append(out.Accounts, a)
	}
	return out, nil
}

func sameHost(a, b string) bool {
	pa, err1 := url.Parse(a)
	pb, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(pa.Host, pb.Host)
}

// isGUID reports whether s is a GUID in its 8-4-4-4-12 hex form (by hand:
// regexp would add half a megabyte to the module).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func tenantID(s string) (string, error) {
	if !isGUID(s) {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "tenant id %q: want a GUID", s)
	}
	return strings.ToLower(s), nil
}

// ListRelationshipsInput is the input of list_relationships.
type ListRelationshipsInput struct {
	CustomerTenantID string `json:"customer_tenant_id,omitempty" desc:"Only this customer's relationships (its tenant id, as mapped to an organization)."`
	EndingWithinDays int    `json:"ending_within_days,omitempty" desc:"Only active relationships that end within this many days: the ones to renew."`
}

func listRelationships(ctx context.Context, in ListRelationshipsInput) ([]Relationship, error) {
	base, _, err := graphBase(ctx)
	if err != nil {
		return nil, err
	}
	u := base + "/tenantRelationships/delegatedAdminRelationships?$top=300"
	if in.CustomerTenantID != "" {
		t, err := tenantID(in.CustomerTenantID)
		if err != nil {
			return nil, err
		}
		u += "&" + url.Values{"$filter": {"customer/tenantId eq '" + t + "'"}}.Encode()
	}
	if in.EndingWithinDays < 0 {
		return nil, sdk.Errorf(sdk.CodeInvalidInput, "ending_within_days cannot be negative")
	}
	horizon := time.Now().Add(time.Duration(in.EndingWithinDays) * 24 * time.Hour)
	out := []Relationship{}
	err = all(ctx, u, 50, func(page []Relationship) {
		for _, r := range page {
			if in.EndingWithinDays > 0 {
				end, err := time.Parse(time.RFC3339, r.EndDateTime)
				if r.Status != "active" || err != nil || end.After(horizon) {
					continue
				}
			}
			out = append(out, r)
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].EndDateTime < out[j].EndDateTime })
	return out, err
}

// CustomerRef names a customer tenant.
type CustomerRef struct {
	TenantID string `json:"tenant_id" desc:"The customer's tenant id, as mapped to an organization."`
}

func getCustomer(ctx context.Context, in CustomerRef) (Customer, error) {
	t, err := tenantID(in.TenantID)
	if err != nil {
		return Customer{}, err
	}
	base, _, err := graphBase(ctx)
	if err != nil {
		return Customer{}, err
	}
	var c Customer
	return c, send(ctx, "GET", base+"/tenantRelationships/delegatedAdminCustomers/"+t, nil, &c)
}

// RequestRelationshipInput is the input of request_relationship.
type RequestRelationshipInput struct {
	CustomerTenantID string   `json:"customer_tenant_id" desc:"The customer's tenant id, as mapped to an organization."`
	DisplayName      string   `json:"display_name" desc:"A name unique among your relationships (Graph allows 50 characters)."`
	DurationDays     int      `json:"duration_days,omitempty" desc:"How long the relationship lasts once approved: 1 to 730 days (default 730)."`
	RoleIDs          []string `json:"role_ids" desc:"Template ids of the Microsoft Entra roles to ask for, such as 729827e3-9c14-49f7-bb1b-9608f156bbb8 (Helpdesk Administrator)."`
	AutoExtend       bool     `json:"auto_extend,omitempty" desc:"Extend by 180 days at the end (not allowed with Global Administrator)."`
}

func requestRelationship(ctx context.Context, in RequestRelationshipInput) (Relationship, error) {
	t, err := tenantID(in.CustomerTenantID)
	if err != nil {
		return Relationship{}, err
	}
	if in.DisplayName == "" || len(in.DisplayName) > 50 {
		return Relationship{}, sdk.Errorf(sdk.CodeInvalidInput, "display_name must be 1 to 50 characters")
	}
	if in.DurationDays == 0 {
		in.DurationDays = 730
	}
	if in.DurationDays < 1 || in.DurationDays > 730 {
		return Relationship{}, sdk.Errorf(sdk.CodeInvalidInput, "duration_days must be 1 to 730")
	}
	if len(in.RoleIDs) == 0 {
		return Relationship{}, sdk.Errorf(sdk.CodeInvalidInput, "role_ids must name at least one role")
	}
	body := Relationship{DisplayName: in.DisplayName, Duration: fmt.Sprintf("P%dD", in.DurationDays),
		Customer: &Customer{TenantID: t}, AccessDetails: &Access{}}
	for _, id := range in.RoleIDs {
		if !isGUID(id) {
			return Relationship{}, sdk.Errorf(sdk.CodeInvalidInput, "role id %q: want a GUID", id)
		}
		body.AccessDetails.UnifiedRoles = append(body.AccessDetails.UnifiedRoles, Role{RoleDefinitionID: id})
	}
	if in.AutoExtend {
		body.AutoExtendDuration = "P180D"
	}
	base, _, err := graphBase(ctx)
	if err != nil {
		return Relationship{}, err
	}
	var rel Relationship
	if err := send(ctx, "POST", base+"/tenantRelationships/delegatedAdminRelationships", body, &rel); err != nil {
		return Relationship{}, err
	}
	var req RelationshipRequest
	if err := send(ctx, "POST", base+"/tenantRelationships/delegatedAdminRelationships/"+url.PathEscape(rel.ID)+"/requests",
		map[string]string{"action": "lockForApproval"}, &req); err != nil {
		code := sdk.CodeUpstream
		var e *sdk.Error
		if errors.As(err, &e) {
			code = e.Code
		}
		return rel, sdk.Errorf(code, "relationship %s was created but not locked for approval (lock it in Partner Center, or delete it and try again): %v", rel.ID, err)
	}
	rel.Status = "approvalPending"
	rel.Requests = []RelationshipRequest{req}
	rel.ApprovalURL = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/" + rel.ID
	return rel, nil
}
