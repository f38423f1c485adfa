// Command halopsa is Roost's HaloPSA connector. It lists HaloPSA clients
// for organization mapping and offers client and ticket actions. The host
// fetches the OAuth2 token (client credentials at {base_url}/auth/token)
// and adds it to every request, so the connector never holds a secret.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o halopsa.wasm .
package main

import (
	"context"
	"net/url"
	"strconv"

	"github.com/roosthq/roost/sdk"
)

// Connector is the HaloPSA connector.
var Connector = sdk.Connector{
	Name:        "halopsa",
	Version:     "1.0.0",
	Category:    sdk.CategoryPSA,
	Description: "HaloPSA: clients for organization mapping, and ticket actions.",
	Tags:        []string{"psa", "tickets", "halo"},
	Homepage:    "https://halopsa.com/apidocs/",
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Required: true,
			Description: "Your Halo address, such as https://yourcompany.halopsa.com (the API is under /api, the token endpoint under /auth)."},
		{Name: "tenant", Type: sdk.TypeString,
			Description: "The tenant name, needed for Halo-hosted instances (sent as ?tenant= when fetching a token)."},
		{Name: "client_id", Type: sdk.TypeString, Required: true,
			Description: "The client id of an API application with the Client Credentials grant (Configuration → Integrations → Halo API)."},
		{Name: "client_secret", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "That application's client secret."},
	},
	Auth: &sdk.Auth{Type: sdk.AuthOAuth2ClientCredentials, TokenURL: "{config.base_url}/auth/token?tenant={config.tenant?}",
		ClientID: "client_id", Secret: "client_secret", Scopes: []string{"all"}},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("list_clients", "Lists clients, optionally those whose name contains search.", listClients),
		sdk.NewAction("get_client", "Fetches one client by id.", getClient),
		sdk.NewAction("list_tickets", "Lists the tickets of a client (or all tickets).", listTickets),
		sdk.NewAction("create_ticket", "Opens a ticket for a client.", createTicket),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	BaseURL string `json:"base_url"`
}

func apiURL(ctx context.Context, path string, q url.Values) (string, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return "", err
	}
	if cfg.BaseURL == "" {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "base_url is not configured")
	}
	u := trimSlash(cfg.BaseURL) + "/api" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// Client is a HaloPSA client (a customer).
type Client struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Website      string `json:"website,omitempty"`
	TopLevelID   int    `json:"toplevel_id,omitempty"`
	TopLevelName string `json:"toplevel_name,omitempty"`
	Inactive     bool   `json:"inactive,omitempty"`
}

type clientList struct {
	RecordCount int      `json:"record_count"`
	Clients     []Client `json:"clients"`
}

// ListClientsInput is the input of list_clients.
type ListClientsInput struct {
	Search string `json:"search,omitempty" desc:"Only clients whose name contains this."`
	Count  int    `json:"count,omitempty" desc:"At most this many (default 100)."`
}

// ListClientsOutput is the output of list_clients.
type ListClientsOutput struct {
	Total   int      `json:"total"`
	Clients []Client `json:"clients"`
}

func listClients(ctx context.Context, in ListClientsInput) (ListClientsOutput, error) {
	if in.Count <= 0 {
		in.Count = 100
	}
	q := url.Values{"count": {strconv.Itoa(in.Count)}}
	if in.Search != "" {
		q.Set("search", in.Search)
	}
	u, err := apiURL(ctx, "/Client", q)
	if err != nil {
		return ListClientsOutput{}, err
	}
	var list clientList
	if err := sdk.HTTP(ctx).GetJSON(u, &list); err != nil {
		return ListClientsOutput{}, err
	}
	return ListClientsOutput{Total: list.RecordCount, Clients: nonNil(list.Clients)}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ClientRef names one client by its HaloPSA id.
type ClientRef struct {
	ID string `json:"id" desc:"The client's id, as mapped to an organization."`
}

func getClient(ctx context.Context, in ClientRef) (Client, error) {
	id, err := clientID(in.ID)
	if err != nil {
		return Client{}, err
	}
	u, err := apiURL(ctx, "/Client/"+strconv.Itoa(id), nil)
	if err != nil {
		return Client{}, err
	}
	var c Client
	return c, sdk.HTTP(ctx).GetJSON(u, &c)
}

func clientID(s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, sdk.Errorf(sdk.CodeInvalidInput, "client id %q: want a positive whole number", s)
	}
	return id, nil
}

// Ticket is a HaloPSA ticket.
type Ticket struct {
	ID         int    `json:"id"`
	ClientID   int    `json:"client_id"`
	ClientName string `json:"client_name,omitempty"`
	Summary    string `json:"summary"`
	Details    string `json:"details,omitempty"`
	Status     string `json:"status_name,omitempty"`
	PriorityID int    `json:"priority_id,omitempty"`
	Opened     string `json:"dateoccurred,omitempty"`
}

// ListTicketsInput is the input of list_tickets.
type ListTicketsInput struct {
	ClientID string `json:"client_id,omitempty" desc:"Only this client's tickets."`
}

// ListTicketsOutput is the output of list_tickets.
type ListTicketsOutput struct {
	Total   int      `json:"total"`
	Tickets []Ticket `json:"tickets"`
}

func listTickets(ctx context.Context, in ListTicketsInput) (ListTicketsOutput, error) {
	q := url.Values{}
	if in.ClientID != "" {
		id, err := clientID(in.ClientID)
		if err != nil {
			return ListTicketsOutput{}, err
		}
		q.Set("client_id", strconv.Itoa(id))
	}
	u, err := apiURL(ctx, "/Tickets", q)
	if err != nil {
		return ListTicketsOutput{}, err
	}
	var list struct {
		RecordCount int      `json:"record_count"`
		Tickets     []Ticket `json:"tickets"`
	}
	if err := sdk.HTTP(ctx).GetJSON(u, &list); err != nil {
		return ListTicketsOutput{}, err
	}
	return ListTicketsOutput{Total: list.RecordCount, Tickets: nonNil(list.Tickets)}, nil
}

// CreateTicketInput is the input of create_ticket.
type CreateTicketInput struct {
	ClientID   string `json:"client_id" desc:"The client's id, as mapped to an organization."`
	Summary    string `json:"summary" desc:"The ticket's one-line summary."`
	Details    string `json:"details,omitempty" desc:"The ticket's description."`
	PriorityID int    `json:"priority_id,omitempty" desc:"Halo priority id (1 highest)."`
}

func createTicket(ctx context.Context, in CreateTicketInput) (Ticket, error) {
	id, err := clientID(in.ClientID)
	if err != nil {
		return Ticket{}, err
	}
	if in.Summary == "" {
		return Ticket{}, sdk.Errorf(sdk.CodeInvalidInput, "summary is required")
	}
	u, err := apiURL(ctx, "/Tickets", nil)
	if err != nil {
		return Ticket{}, err
	}
	// Halo takes an array of tickets and answers with the created one.
	body := []Ticket{{ClientID: id, Summary: in.Summary, Details: in.Details, PriorityID: in.PriorityID}}
	var t Ticket
	return t, sdk.HTTP(ctx).PostJSON(u, body, &t)
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	u, err := apiURL(ctx, "/Client", url.Values{"count": {"1"}})
	if err != nil {
		return sdk.CheckResult{}, err
	}
	var list clientList
	if err := sdk.HTTP(ctx).GetJSON(u, &list); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in and read the client list (" + strconv.Itoa(list.RecordCount) + " clients)"}, nil
}

// organizations pages through GET /api/Client with pageinate=true. The
// cursor is the next page number.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	n := 1
	if page.Cursor != "" {
		var err error
		if n, err = strconv.Atoi(page.Cursor); err != nil || n < 1 {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", page.Cursor)
		}
	}
	size := page.Size
	if size <= 0 || size > 1000 {
		size = 1000
	}
	u, err := apiURL(ctx, "/Client", url.Values{"pageinate": {"true"}, "page_size": {strconv.Itoa(size)},
		"page_no": {strconv.Itoa(n)}, "includeinactive": {"false"}})
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	var list clientList
	if err := sdk.HTTP(ctx).GetJSON(u, &list); err != nil {
		return sdk.OrganizationPage{}, err
	}
	out := sdk.OrganizationPage{Total: list.RecordCount, Accounts: make([]sdk.Account, 0, len(list.Clients))}
	for _, c := range list.Clients {
		a := sdk.Account{ID: strconv.Itoa(c.ID), Name: c.Name}
		if d := domainOf(c.Website); d != "" {
			a.Domains = []string{d}
		}
		if c.TopLevelName != "" {
			a.Attributes = map[string]string{"toplevel": c.TopLevelName}
		}
		out.Accounts = append(out.Accounts, a)
	}
	if len(list.Clients) > 0 && n*size < list.RecordCount {
		out.Next = strconv.Itoa(n + 1)
	}
	return out, nil
}

// domainOf takes the host of a website, without "www.".
func domainOf(website string) string {
	if website == "" {
		return ""
	}
	u, err := url.Parse(website)
	if err != nil || u.Host == "" {
		u, err = url.Parse("https://" + website)
		if err != nil {
			return ""
		}
	}
	h := u.Hostname()
	if len(h) > 4 && h[:4] == "www." {
		h = h[4:]
	}
	return h
}
