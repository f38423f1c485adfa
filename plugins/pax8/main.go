// Command pax8 is Roost's Pax8 connector. It lists the partner's active
// Pax8 companies for organization mapping (with the PSA id Pax8 keeps as
// externalId) and offers company and subscription actions: list a
// company's subscriptions and change a subscription's quantity, the
// licence true-up an MSP automates.
//
// The host fetches the OAuth2 token (client credentials at token_url, as a
// JSON body naming the audience api://p8p.client, which Pax8's Auth0 token
// service wants) and adds it to every request.
//
// Pax8 lists page by a 0-based page number and size (at most 200) and say
// totalPages in a page block.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o pax8.wasm .
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

// Connector is the Pax8 connector.
var Connector = sdk.Connector{
	Name:        "pax8",
	Version:     "1.0.0",
	Category:    sdk.CategoryDistribution,
	Description: "Pax8: companies for organization mapping, and subscription actions (list, change quantity).",
	Tags:        []string{"distribution", "marketplace", "licensing", "subscriptions"},
	Homepage:    "https://devx.pax8.com/",
	Config: []sdk.Field{
		{Name: "client_id", Type: sdk.TypeString, Required: true,
			Description: "The Client ID of a Pax8 API application: Pax8 (app.pax8.com) → Settings → Integrations → Credentials tab → Create App, as a Partner Admin or Primary Partner Admin."},
		{Name: "client_secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "That application's Client Secret, on the same Credentials tab."},
		{Name: "base_url", Type: sdk.TypeURL, Default: "https://api.pax8.com/v1",
			Description: "The Pax8 API; leave the default."},
		{Name: "token_url", Type: sdk.TypeURL, Default: "https://login.pax8.com/oauth/token",
			Description: "Pax8's token endpoint; leave the default."},
	},
	Auth: &sdk.Auth{Type: sdk.AuthOAuth2ClientCredentials, TokenURL: "{config.token_url}", TokenRequest: "json",
		ClientID: "client_id", Secret: "client_secret", TokenParams: map[string]string{"audience": "api://p8p.client"}},
	Hosts: []string{"{config.base_url}", "{config.token_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("get_company", "Fetches one company by id.", getCompany),
		sdk.NewAction("list_subscriptions", "Lists a company's subscriptions (all, or those of one status), paged to the end.", listSubscriptions),
		sdk.NewAction("get_subscription", "Fetches one subscription by id.", getSubscription),
		sdk.NewAction("update_subscription_quantity", "Changes the quantity (seats) of an active subscription.", updateQuantity),
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

// statusError turns a Pax8 error answer ({type, message, instance,
// status, details}) into a structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		Message string `json:"message"`
		Details []any  `json:"details"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	msg := e.Message
	for _, d := range e.Details {
		if s, ok := d.(string); ok && s != "" {
			msg += "; " + s
		} else if b, err := json.Marshal(d); err == nil {
			msg += "; " + string(b)
		}
	}
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	code := sdk.CodeForStatus(resp.Status)
	return sdk.Errorf(code, "%s: Pax8 answered %d: %s", op, resp.Status, msg)
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

// pageBlock is Pax8's paging metadata.
type pageBlock struct {
	Size          int `json:"size"`
	TotalElements int `json:"totalElements"`
	TotalPages    int `json:"totalPages"`
	Number        int `json:"number"`
}

// pager pages path by 0-based page number, size items a page.
func pager(ctx context.Context, path string, q url.Values, size int) (*paginate.Pager, error) {
	b, err := base(ctx)
	if err != nil {
		return nil, err
	}
	u := b + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	first := 0
	return &paginate.Pager{Client: sdk.HTTP(ctx), Request: sdk.Request{Method: "GET", URL: u, Header: sdk.Header{"Accept": {"application/json"}}},
		Paging:     rest.Pagination{Kind: rest.PageNumber, PageParam: "page", SizeParam: "size", PageSize: size, FirstPage: &first},
		ResultsKey: "content"}, nil
}

// page fetches page cursor ("" for 0) and returns its items and the next
// page's cursor, from the page block's totalPages rather than the length
// of the page.
func page[T any](p *paginate.Pager, cursor string) ([]T, pageBlock, string, error) {
	items, body, _, err := p.Page(cursor)
	if err != nil {
		return nil, pageBlock{}, "", err
	}
	raw, _ := json.Marshal(items)
	out := []T{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, pageBlock{}, "", sdk.Errorf(sdk.CodeUpstream, "Pax8 answered unexpected items: %v", err)
	}
	var pb pageBlock
	if v, ok := rest.Lookup(body, "page"); ok {
		b, _ := json.Marshal(v)
		_ = json.Unmarshal(b, &pb)
	}
	next := ""
	if len(out) > 0 && pb.Number+1 < pb.TotalPages {
		next = strconv.Itoa(pb.Number + 1)
	}
	return out, pb, next, nil
}

// Address is a company's address.
type Address struct {
	Street          string `json:"street,omitempty"`
	City            string `json:"city,omitempty"`
	StateOrProvince string `json:"stateOrProvince,omitempty"`
	PostalCode      string `json:"postalCode,omitempty"`
	Country         string `json:"country,omitempty"`
}

// Company is a Pax8 company.
type Company struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Address               *Address `json:"address,omitempty"`
	Phone                 string   `json:"phone,omitempty"`
	Website               string   `json:"website,omitempty"`
	ExternalID            string   `json:"externalId,omitempty" desc:"The company's id in the partner's PSA, if set in Pax8."`
	BillOnBehalfOfEnabled bool     `json:"billOnBehalfOfEnabled,omitempty"`
	Status                string   `json:"status,omitempty" desc:"Active, Inactive or Deleted."`
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var answer struct {
		Page pageBlock `json:"page"`
	}
	if err := send(ctx, "GET", "/companies?page=0&size=1&status=Active", nil, &answer); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in and counted " + strconv.Itoa(answer.Page.TotalElements) + " active companies"}, nil
}

// organizations pages through the active companies. The cursor is the
// next 0-based page number.
func organizations(ctx context.Context, req sdk.PageRequest) (sdk.OrganizationPage, error) {
	size := req.Size
	if size <= 0 || size > 200 {
		size = 200
	}
	if req.Cursor != "" {
		if n, err := strconv.Atoi(req.Cursor); err != nil || n < 1 {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", req.Cursor)
		}
	}
	p, err := pager(ctx, "/companies", url.Values{"status": {"Active"}}, size)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	list, pb, next, err := page[Company](p, req.Cursor)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(list)), Next: next, Total: pb.TotalElements}
	for _, c := range list {
		a := sdk.Account{ID: c.ID, Name: c.Name, Attributes: map[string]string{}}
		if c.ExternalID != "" {
			a.Attributes["external_id"] = c.ExternalID
		}
		if c.Address != nil && c.Address.Country != "" {
			a.Attributes["country"] = c.Address.Country
		}
		if d := domainOf(c.Website); d != "" {
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

// isGUID reports whether s is a UUID in its 8-4-4-4-12 hex form (by hand:
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

func uuid(what, s string) (string, error) {
	if !isGUID(s) {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "%s id %q: want a UUID", what, s)
	}
	return strings.ToLower(s), nil
}

// CompanyRef names one company by its Pax8 id.
type CompanyRef struct {
	ID string `json:"id" desc:"The company's Pax8 id (a UUID), as mapped to an organization."`
}

func getCompany(ctx context.Context, in CompanyRef) (Company, error) {
	id, err := uuid("company", in.ID)
	if err != nil {
		return Company{}, err
	}
	var c Company
	return c, send(ctx, "GET", "/companies/"+id, nil, &c)
}

// Subscription is a Pax8 subscription.
type Subscription struct {
	ID          string  `json:"id"`
	CompanyID   string  `json:"companyId"`
	ProductID   string  `json:"productId"`
	Quantity    int     `json:"quantity"`
	Status      string  `json:"status" desc:"Active, Cancelled, PendingManual, PendingAutomated, PendingCancel, WaitingForDetails, Trial…"`
	BillingTerm string  `json:"billingTerm,omitempty" desc:"Monthly, Annual, 2-Year, 3-Year, One-Time, Trial, Activation."`
	Price       float64 `json:"price,omitempty"`
	StartDate   string  `json:"startDate,omitempty"`
	UpdatedDate string  `json:"updatedDate,omitempty"`
}

// ListSubscriptionsInput is the input of list_subscriptions.
type ListSubscriptionsInput struct {
	CompanyID string `json:"company_id" desc:"The company's Pax8 id, as mapped to an organization."`
	Status    string `json:"status,omitempty" desc:"Only subscriptions in this status, such as Active."`
}

func listSubscriptions(ctx context.Context, in ListSubscriptionsInput) ([]Subscription, error) {
	id, err := uuid("company", in.CompanyID)
	if err != nil {
		return nil, err
	}
	q := url.Values{"companyId": {id}}
	if in.Status != "" {
		q.Set("status", in.Status)
	}
	p, err := pager(ctx, "/subscriptions", q, 200)
	if err != nil {
		return nil, err
	}
	out := []Subscription{}
	seen := map[string]bool{}
	for cursor := ""; ; {
		list, _, next, err := page[Subscription](p, cursor)
		if err != nil {
			return out, err
		}
		out = append(out, list...)
		if next == "" {
			return out, nil
		}
		if seen[next] || len(seen) >= 50 {
			return out, sdk.Errorf(sdk.CodeUpstream, "Pax8 kept answering page %s: it is not paging forward", next)
		}
		seen[next] = true
		cursor = next
	}
}

// SubscriptionRef names one subscription.
type SubscriptionRef struct {
	ID string `json:"id" desc:"The subscription's Pax8 id (a UUID)."`
}

func getSubscription(ctx context.Context, in SubscriptionRef) (Subscription, error) {
	id, err := uuid("subscription", in.ID)
	if err != nil {
		return Subscription{}, err
	}
	var s Subscription
	return s, send(ctx, "GET", "/subscriptions/"+id, nil, &s)
}

// UpdateQuantityInput is the input of update_subscription_quantity.
type UpdateQuantityInput struct {
	ID       string `json:"id" desc:"The subscription's Pax8 id (a UUID)."`
	Quantity int    `json:"quantity" desc:"The new number of seats, at least 1."`
}

func updateQuantity(ctx context.Context, in UpdateQuantityInput) (Subscription, error) {
	id, err := uuid("subscription", in.ID)
	if err != nil {
		return Subscription{}, err
	}
	if in.Quantity < 1 {
		return Subscription{}, sdk.Errorf(sdk.CodeInvalidInput, "quantity must be at least 1 (cancel a subscription in Pax8 instead)")
	}
	var s Subscription
	return s, send(ctx, "PUT", "/subscriptions/"+id, map[string]int{"quantity": in.Quantity}, &s)
}
