// Command connectwise is Roost's ConnectWise PSA (Manage) connector. It
// lists companies for organization mapping and offers company and service
// ticket actions. The host signs every request with HTTP Basic auth as
// "companyId+publicKey:privateKey"; the connector adds the clientId header
// ConnectWise requires of every integration.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o connectwise.wasm .
package main

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/paginate"
)

// Connector is the ConnectWise PSA connector.
var Connector = sdk.Connector{
	Name:        "connectwise",
	Version:     "1.0.0",
	Category:    sdk.CategoryPSA,
	Description: "ConnectWise PSA (Manage): companies for organization mapping, and service ticket actions.",
	Tags:        []string{"psa", "tickets", "manage", "cw"},
	Homepage:    "https://developer.connectwise.com/Products/ConnectWise_PSA",
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Default: "https://api-na.myconnectwise.net/v4_6_release/apis/3.0",
			Description: "The API base of your ConnectWise site, ending in /v4_6_release/apis/3.0 (api-eu…, api-au… or your own server)."},
		{Name: "company_id", Type: sdk.TypeString, Required: true, Description: "The company id you sign in to ConnectWise with."},
		{Name: "public_key", Type: sdk.TypeString, Required: true, Description: "The API member's public key."},
		{Name: "private_key", Type: sdk.TypeString, Required: true, Secret: true, Description: "The API member's private key."},
		{Name: "client_id", Type: sdk.TypeString, Required: true,
			Description: "Your integration's clientId from the ConnectWise developer portal (a GUID)."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthBasic, Username: "{config.company_id}+{config.public_key}", Secret: "private_key"},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("list_companies", "Lists companies, optionally those whose name starts with name_prefix.", listCompanies),
		sdk.NewAction("get_company", "Fetches one company by id.", getCompany),
		sdk.NewAction("list_tickets", "Lists the service tickets of a company (or all).", listTickets),
		sdk.NewAction("create_ticket", "Opens a service ticket for a company.", createTicket),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	BaseURL  string `json:"base_url"`
	ClientID string `json:"client_id"`
}

// accept pins the API version the connector was written against.
const accept = "application/vnd.connectwise.com+json; version=2025.8"

// api returns a client with ConnectWise's headers and the API base URL.
func api(ctx context.Context) (*sdk.Client, string, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return nil, "", err
	}
	if cfg.BaseURL == "" || cfg.ClientID == "" {
		return nil, "", sdk.Errorf(sdk.CodeInvalidInput, "base_url and client_id must be configured")
	}
	c := sdk.HTTP(ctx)
	c.Header.Set("clientId", cfg.ClientID)
	return c, strings.TrimRight(cfg.BaseURL, "/"), nil
}

func getJSON(ctx context.Context, path string, q url.Values, out any) (*sdk.Response, error) {
	c, base, err := api(ctx)
	if err != nil {
		return nil, err
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return getURL(c, u, out)
}

func getURL(c *sdk.Client, u string, out any) (*sdk.Response, error) {
	resp, err := c.Do(sdk.Request{Method: "GET", URL: u, Header: sdk.Header{"Accept": {accept}}})
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return nil, statusError(resp)
	}
	return resp, resp.JSON(out)
}

// statusError turns a ConnectWise error answer ({code, message}) into a
// structured error.
func statusError(resp *sdk.Response) error {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = resp.JSON(&e)
	msg := e.Message
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 401 || resp.Status == 403:
		code = sdk.CodeUnauthenticated
		msg += " (check company_id, public_key, private_key and client_id)"
	}
	return sdk.Errorf(code, "ConnectWise answered %d: %s", resp.Status, msg)
}

// Ref is ConnectWise's reference to another record.
type Ref struct {
	ID   int    `json:"id"`
	Name string `json:"name,omitempty"`
}

// Company is a ConnectWise company.
type Company struct {
	ID         int    `json:"id"`
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	Website    string `json:"website,omitempty"`
	Status     *Ref   `json:"status,omitempty"`
}

// ListCompaniesInput is the input of list_companies.
type ListCompaniesInput struct {
	NamePrefix string `json:"name_prefix,omitempty" desc:"Only companies whose name starts with this."`
	PageSize   int    `json:"page_size,omitempty" desc:"At most this many (default 100, at most 1000)."`
}

func listCompanies(ctx context.Context, in ListCompaniesInput) ([]Company, error) {
	size := in.PageSize
	if size <= 0 {
		size = 100
	}
	q := url.Values{"pageSize": {strconv.Itoa(min(size, 1000))}}
	cond := "deletedFlag=false"
	if in.NamePrefix != "" {
		if strings.ContainsAny(in.NamePrefix, `"\`) {
			return nil, sdk.Errorf(sdk.CodeInvalidInput, `name_prefix cannot contain " or \`)
		}
		cond += ` and name like "` + in.NamePrefix + `%"`
	}
	q.Set("conditions", cond)
	var out []Company
	_, err := getJSON(ctx, "/company/companies", q, &out)
	if out == nil {
		out = []Company{}
	}
	return out, err
}

// CompanyRef names one company by its ConnectWise id.
type CompanyRef struct {
	ID string `json:"id" desc:"The company's id, as mapped to an organization."`
}

func companyID(s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, sdk.Errorf(sdk.CodeInvalidInput, "company id %q: want a positive whole number", s)
	}
	return id, nil
}

func getCompany(ctx context.Context, in CompanyRef) (Company, error) {
	id, err := companyID(in.ID)
	if err != nil {
		return Company{}, err
	}
	var c Company
	_, err = getJSON(ctx, "/company/companies/"+strconv.Itoa(id), nil, &c)
	return c, err
}

// Ticket is a ConnectWise service ticket.
type Ticket struct {
	ID                 int    `json:"id"`
	Summary            string `json:"summary"`
	Company            *Ref   `json:"company,omitempty"`
	InitialDescription string `json:"initialDescription,omitempty"`
	Status             *Ref   `json:"status,omitempty"`
	DateEntered        string `json:"dateEntered,omitempty"`
}

// ListTicketsInput is the input of list_tickets.
type ListTicketsInput struct {
	CompanyID string `json:"company_id,omitempty" desc:"Only this company's tickets."`
}

func listTickets(ctx context.Context, in ListTicketsInput) ([]Ticket, error) {
	q := url.Values{}
	if in.CompanyID != "" {
		id, err := companyID(in.CompanyID)
		if err != nil {
			return nil, err
		}
		q.Set("conditions", "company/id="+strconv.Itoa(id))
	}
	var out []Ticket
	_, err := getJSON(ctx, "/service/tickets", q, &out)
	if out == nil {
		out = []Ticket{}
	}
	return out, err
}

// CreateTicketInput is the input of create_ticket.
type CreateTicketInput struct {
	CompanyID   string `json:"company_id" desc:"The company's id, as mapped to an organization."`
	Summary     string `json:"summary" desc:"The ticket's one-line summary (ConnectWise allows 100 characters)."`
	Description string `json:"description,omitempty" desc:"The ticket's initial description."`
}

func createTicket(ctx context.Context, in CreateTicketInput) (Ticket, error) {
	id, err := companyID(in.CompanyID)
	if err != nil {
		return Ticket{}, err
	}
	if in.Summary == "" {
		return Ticket{}, sdk.Errorf(sdk.CodeInvalidInput, "summary is required")
	}
	if len(in.Summary) > 100 {
		return Ticket{}, sdk.Errorf(sdk.CodeInvalidInput, "summary is %d characters; ConnectWise allows 100", len(in.Summary))
	}
	c, base, err := api(ctx)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	err = c.DoJSON(sdk.Request{Method: "POST", URL: base + "/service/tickets"},
		Ticket{Summary: in.Summary, Company: &Ref{ID: id}, InitialDescription: in.Description}, &t)
	return t, err
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var count struct {
		Count int `json:"count"`
	}
	if _, err := getJSON(ctx, "/company/companies/count", url.Values{"conditions": {"deletedFlag=false"}}, &count); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in and counted " + strconv.Itoa(count.Count) + " companies"}, nil
}

// organizations pages through GET /company/companies. The cursor is the URL
// of the next page from the Link header, so the server's own paging is
// followed exactly.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	c, base, err := api(ctx)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	u := page.Cursor
	if u == "" {
		size := page.Size
		if size <= 0 || size > 1000 {
			size = 1000
		}
		u = base + "/company/companies?" + url.Values{"page": {"1"}, "pageSize": {strconv.Itoa(size)},
			"conditions": {"deletedFlag=false"}, "orderBy": {"id asc"}}.Encode()
	}
	var list []Company
	resp, err := getURL(c, u, &list)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(list))}
	for _, co := range list {
		a := sdk.Account{ID: strconv.Itoa(co.ID), Name: co.Name, Attributes: map[string]string{"identifier": co.Identifier}}
		if d := domainOf(co.Website); d != "" {
			a.Domains = []string{d}
		}
		out.Accounts = append(out.Accounts, a)
	}
	out.Next = paginate.NextLink(resp.Header["Link"])
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
	return strings.TrimPrefix(u.Hostname(), "www.")
}
