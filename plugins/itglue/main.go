// Command itglue is Roost's IT Glue connector. It lists IT Glue
// organizations for organization mapping (with the PSA id IT Glue holds
// for each, a strong mapping hint) and offers organization, configuration
// and contact actions. The host adds the API key as the x-api-key header,
// so the connector never holds it.
//
// IT Glue speaks JSON:API: resources are {id, type, attributes} with
// kebab-case attribute names, lists page with page[number] and page[size]
// (at most 1,000) and say the next page in meta.next-page.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o itglue.wasm .
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

// Connector is the IT Glue connector.
var Connector = sdk.Connector{
	Name:        "itglue",
	Version:     "1.0.0",
	Category:    sdk.CategoryDocumentation,
	Description: "IT Glue: organizations for organization mapping, and configuration and contact actions.",
	Tags:        []string{"documentation", "configurations", "kaseya"},
	Homepage:    "https://api.itglue.com/developer/",
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Default: "https://api.itglue.com",
			Description: "The API of your IT Glue data centre: https://api.itglue.com (US), https://api.eu.itglue.com (EU) or https://api.au.itglue.com (Australia); it matches the address you sign in at."},
		{Name: "api_key", Type: sdk.TypeString, Required: true, Secret: true,
			Description: "An API key (ITG.…): Account → Settings → API Keys → Custom API Keys → + Generate API Key, as an Administrator. Password access is not needed."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthHeader, Name: "x-api-key", Secret: "api_key"},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("get_organization", "Fetches one organization by id.", getOrganization),
		sdk.NewAction("list_configurations", "Lists an organization's configurations (devices), paged to the end.", listConfigurations),
		sdk.NewAction("create_configuration", "Documents a device as a configuration of an organization.", createConfiguration),
		sdk.NewAction("list_contacts", "Lists an organization's contacts, paged to the end.", listContacts),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

// mediaType is JSON:API's, which IT Glue wants on writes.
const mediaType = "application/vnd.api+json"

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

// statusError turns a JSON:API error answer ({"errors": [{status, title,
// detail}]}) into a structured error.
func statusError(op string, resp *sdk.Response) error {
	var e struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(resp.Body, &e)
	var parts []string
	for _, x := range e.Errors {
		p := x.Title
		if x.Detail != "" && x.Detail != x.Title {
			p += ": " + x.Detail
		}
		parts = append(parts, p)
	}
	msg := strings.Join(parts, "; ")
	if msg == "" {
		msg = strings.TrimSpace(string(resp.Body))
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	code := sdk.CodeForStatus(resp.Status)
	switch {
	case resp.Status == 401:
		msg += " (check api_key, and that base_url is your data centre's)"
	}
	return sdk.Errorf(code, "%s: IT Glue answered %d: %s", op, resp.Status, msg)
}

// do sends a JSON:API request and decodes a 2xx answer into out.
func do(ctx context.Context, method, path string, in, out any) error {
	b, err := base(ctx)
	if err != nil {
		return err
	}
	req := sdk.Request{Method: method, URL: b + path, Header: sdk.Header{"Accept": {mediaType}}}
	if in != nil {
		if req.Body, err = json.Marshal(in); err != nil {
			return sdk.Errorf(sdk.CodeInvalidInput, "encode request: %v", err)
		}
		req.Header.Set("Content-Type", mediaType)
	}
	resp, err := sdk.HTTP(ctx).Do(req)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return statusError(method+" "+path, resp)
	}
	if out == nil {
		return nil
	}
	return resp.JSON(out)
}

// resource is a JSON:API resource object.
type resource[T any] struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Attributes T      `json:"attributes"`
}

// pager lists path by page number, following meta.next-page.
func pager(ctx context.Context, path string, q url.Values, size int) (*paginate.Pager, error) {
	b, err := base(ctx)
	if err != nil {
		return nil, err
	}
	u := b + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return &paginate.Pager{
		Client:  sdk.HTTP(ctx),
		Request: sdk.Request{Method: "GET", URL: u, Header: sdk.Header{"Accept": {mediaType}}},
		Paging: rest.Pagination{Kind: rest.PageCursor, CursorParam: "page[number]", SizeParam: "page[size]",
			PageSize: size, NextPath: "meta.next-page"},
		ResultsKey: "data",
	}, nil
}

func decode[T any](items []any) ([]resource[T], error) {
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	var out []resource[T]
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, sdk.Errorf(sdk.CodeUpstream, "IT Glue answered unexpected resources: %v", err)
	}
	return out, nil
}

// all lists every resource of path, at most limit.
func all[T any](ctx context.Context, path string, limit int, set func(id string, t *T)) ([]T, error) {
	p, err := pager(ctx, path, nil, min(limit, 1000))
	if err != nil {
		return nil, err
	}
	p.Paging.MaxPages = (limit + 999) / 1000
	out := []T{}
	_, err = p.All(func(items []any) error {
		page, err := decode[T](items)
		for _, r := range page {
			set(r.ID, &r.Attributes)
			out = append(out, r.Attributes)
		}
		return err
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Organization is an IT Glue organization.
type Organization struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	ShortName          string `json:"short-name,omitempty"`
	Type               string `json:"organization-type-name,omitempty"`
	Status             string `json:"organization-status-name,omitempty"`
	PSAID              string `json:"psa-id,omitempty" desc:"The id of this organization in the PSA IT Glue syncs with."`
	PSAIntegrationType string `json:"psa-integration-type,omitempty" desc:"Which PSA: manage, autotask, halo…"`
	Primary            bool   `json:"primary,omitempty" desc:"Whether this is the MSP's own organization."`
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var doc struct {
		Meta struct {
			TotalCount int `json:"total-count"`
		} `json:"meta"`
	}
	if err := do(ctx, "GET", "/organizations?"+url.Values{"page[size]": {"1"}}.Encode(), nil, &doc); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "signed in and counted " + strconv.Itoa(doc.Meta.TotalCount) + " organizations"}, nil
}

// organizations pages through GET /organizations, sorted by id. The
// cursor is IT Glue's next page number.
func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	size := page.Size
	if size <= 0 || size > 1000 {
		size = 1000
	}
	if page.Cursor != "" {
		if n, err := strconv.Atoi(page.Cursor); err != nil || n < 2 {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", page.Cursor)
		}
	}
	p, err := pager(ctx, "/organizations", url.Values{"sort": {"id"}}, size)
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
	if total, ok := rest.Lookup(body, "meta.total-count"); ok {
		if f, ok := total.(float64); ok {
			out.Total = int(f)
		}
	}
	for _, r := range list {
		o := r.Attributes
		a := sdk.Account{ID: r.ID, Name: o.Name, Attributes: map[string]string{}}
		for k, v := range map[string]string{"short_name": o.ShortName, "type": o.Type, "status": o.Status,
			"psa_id": o.PSAID, "psa_integration_type": o.PSAIntegrationType} {
			if v != "" {
				a.Attributes[k] = v
			}
		}
		if o.Primary {
			a.Attributes["primary"] = "true"
		}
		out.Accounts = append(out.Accounts, a)
	}
	return out, nil
}

// OrgRef names one organization by its IT Glue id.
type OrgRef struct {
	ID string `json:"id" desc:"The organization's id, as mapped to an organization."`
}

func orgPath(id string) (string, error) {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return "", sdk.Errorf(sdk.CodeInvalidInput, "organization id %q: want a positive whole number", id)
	}
	return "/organizations/" + strconv.Itoa(n), nil
}

func getOrganization(ctx context.Context, in OrgRef) (Organization, error) {
	path, err := orgPath(in.ID)
	if err != nil {
		return Organization{}, err
	}
	var doc struct {
		Data resource[Organization] `json:"data"`
	}
	if err := do(ctx, "GET", path, nil, &doc); err != nil {
		return Organization{}, err
	}
	o := doc.Data.Attributes
	o.ID = doc.Data.ID
	return o, nil
}

// Configuration is an IT Glue configuration: a documented device.
type Configuration struct {
	ID                  string `json:"id,omitempty"`
	OrganizationID      int    `json:"organization-id,omitempty"`
	Name                string `json:"name"`
	Hostname            string `json:"hostname,omitempty"`
	PrimaryIP           string `json:"primary-ip,omitempty"`
	SerialNumber        string `json:"serial-number,omitempty"`
	ConfigurationTypeID int    `json:"configuration-type-id,omitempty"`
	TypeName            string `json:"configuration-type-name,omitempty"`
	StatusName          string `json:"configuration-status-name,omitempty"`
}

// ListInput names an organization and bounds a listing.
type ListInput struct {
	OrganizationID string `json:"organization_id" desc:"The organization's id, as mapped to an organization."`
	Limit          int    `json:"limit,omitempty" desc:"At most this many (default 1000, at most 10000)."`
}

func (in ListInput) limit() int {
	if in.Limit <= 0 {
		return 1000
	}
	return min(in.Limit, 10000)
}

func listConfigurations(ctx context.Context, in ListInput) ([]Configuration, error) {
	path, err := orgPath(in.OrganizationID)
	if err != nil {
		return nil, err
	}
	return all(ctx, path+"/relationships/configurations", in.limit(), func(id string, c *Configuration) { c.ID = id })
}

// CreateConfigurationInput is the input of create_configuration.
type CreateConfigurationInput struct {
	OrganizationID      string `json:"organization_id" desc:"The organization's id, as mapped to an organization."`
	Name                string `json:"name" desc:"The configuration's name, usually the device name."`
	ConfigurationTypeID int    `json:"configuration_type_id" desc:"An IT Glue configuration type id (Account → Customize Sidebar → Configuration Types, or GET /configuration_types)."`
	Hostname            string `json:"hostname,omitempty"`
	PrimaryIP           string `json:"primary_ip,omitempty"`
	SerialNumber        string `json:"serial_number,omitempty"`
}

func createConfiguration(ctx context.Context, in CreateConfigurationInput) (Configuration, error) {
	path, err := orgPath(in.OrganizationID)
	if err != nil {
		return Configuration{}, err
	}
	if strings.TrimSpace(in.Name) == "" || in.ConfigurationTypeID <= 0 {
		return Configuration{}, sdk.Errorf(sdk.CodeInvalidInput, "name and configuration_type_id are required")
	}
	body := map[string]any{"data": resource[Configuration]{Type: "configurations", Attributes: Configuration{
		Name: in.Name, ConfigurationTypeID: in.ConfigurationTypeID, Hostname: in.Hostname, PrimaryIP: in.PrimaryIP, SerialNumber: in.SerialNumber}}}
	var doc struct {
		Data resource[Configuration] `json:"data"`
	}
	if err := do(ctx, "POST", path+"/relationships/configurations", body, &doc); err != nil {
		return Configuration{}, err
	}
	c := doc.Data.Attributes
	c.ID = doc.Data.ID
	return c, nil
}

// Contact is an IT Glue contact.
type Contact struct {
	ID        string `json:"id,omitempty"`
	FirstName string `json:"first-name"`
	LastName  string `json:"last-name"`
	Title     string `json:"title,omitempty"`
	Important bool   `json:"important,omitempty"`
}

func listContacts(ctx context.Context, in ListInput) ([]Contact, error) {
	path, err := orgPath(in.OrganizationID)
	if err != nil {
		return nil, err
	}
	return all(ctx, path+"/relationships/contacts", in.limit(), func(id string, c *Contact) { c.ID = id })
}
