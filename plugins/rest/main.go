// Command rest is the generic REST connector that custom integrations run
// on. It has no actions of its own making: the host keeps each custom
// integration's definition (sdk/rest), offers its endpoints as actions,
// and passes the endpoint to call with each call. The connector builds the
// request (path, query and header parameters, JSON body), sends it through
// the host (which adds credentials, retries and rate limits), follows the
// endpoint's pagination with sdk/paginate, and decodes the answer.
package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/paginate"
	"github.com/roosthq/roost/sdk/rest"
)

// Connector is the REST connector. Its configuration is filled in by the
// host from the custom integration's definition.
var Connector = sdk.Connector{
	Name:        "rest",
	Version:     "1.0.0",
	Category:    sdk.CategoryOther,
	Description: "The generic REST connector: runs custom integrations described by hand or imported from OpenAPI.",
	Tags:        []string{"custom", "openapi", "rest"},
	Config: []sdk.Field{
		{Name: "base_url", Type: sdk.TypeURL, Description: "The API's base URL."},
		{Name: "headers_json", Type: sdk.TypeString, Description: "Headers for every request, a JSON object (set by the host from the definition)."},
		{Name: "organizations_json", Type: sdk.TypeString, Description: "The endpoint that lists customers, JSON (set by the host from the definition)."},
	},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewRawAction("call", "Calls one endpoint of a custom integration (the host fills in the endpoint).",
			json.RawMessage(`{"type":"object","properties":{"base_url":{"type":"string"},"endpoint":{"type":"object"},"arguments":{"type":"object"}},"required":["endpoint"]}`),
			json.RawMessage(`{}`), call),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

// config is what the host gives the connector for a custom integration.
type config struct {
	BaseURL       string            `json:"base_url"`
	HeadersJSON   string            `json:"headers_json"`
	OrgsJSON      string            `json:"organizations_json"`
	Headers       map[string]string `json:"-"`
	Organizations *rest.Endpoint    `json:"-"`
}

func decodeConfig(ctx context.Context) (config, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return cfg, err
	}
	if cfg.HeadersJSON != "" {
		if err := json.Unmarshal([]byte(cfg.HeadersJSON), &cfg.Headers); err != nil {
			return cfg, sdk.Errorf(sdk.CodeInvalidInput, "headers_json: %v", err)
		}
	}
	if cfg.OrgsJSON != "" {
		cfg.Organizations = &rest.Endpoint{}
		if err := json.Unmarshal([]byte(cfg.OrgsJSON), cfg.Organizations); err != nil {
			return cfg, sdk.Errorf(sdk.CodeInvalidInput, "organizations_json: %v", err)
		}
	}
	return cfg, nil
}

func call(ctx context.Context, input []byte) ([]byte, error) {
	var c rest.Call
	if err := json.Unmarshal(input, &c); err != nil {
		return nil, sdk.Errorf(sdk.CodeInvalidInput, "call: %v", err)
	}
	if c.BaseURL == "" {
		cfg, err := decodeConfig(ctx)
		if err != nil {
			return nil, err
		}
		c.BaseURL = cfg.BaseURL
	}
	req, err := build(c.BaseURL, c.Headers, &c.Endpoint, c.Arguments)
	if err != nil {
		return nil, err
	}
	client := sdk.HTTP(ctx)
	e := &c.Endpoint
	if e.Paginated() {
		p := &paginate.Pager{Client: client, Request: req, Paging: *e.Pagination, ResultsKey: e.ResultsKey}
		all := []any{}
		if _, err := p.All(func(items []any) error { all = append(all, items...); return nil }); err != nil {
			return nil, err
		}
		return json.Marshal(all)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return nil, paginate.StatusError(req.Method, req.URL, resp)
	}
	if len(strings.TrimSpace(string(resp.Body))) == 0 {
		return []byte("null"), nil
	}
	if !json.Valid(resp.Body) {
		// Not JSON: hand it back as a string.
		return json.Marshal(string(resp.Body))
	}
	if e.ResultsKey == "" {
		return resp.Body, nil
	}
	var body any
	json.Unmarshal(resp.Body, &body)
	v, ok := rest.Lookup(body, e.ResultsKey)
	if !ok {
		return nil, sdk.Errorf(sdk.CodeUpstream, "%s %s: the answer has no %q", req.Method, e.Path, e.ResultsKey)
	}
	return json.Marshal(v)
}

// build makes the request for endpoint e with the action's arguments, with
// the same builder the host uses.
func build(base string, headers map[string]string, e *rest.Endpoint, args json.RawMessage) (sdk.Request, error) {
	r, err := rest.BuildRequest(base, headers, e, args)
	if err != nil {
		return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "%v", err)
	}
	h := sdk.Header{}
	for k, v := range r.Header {
		h.Set(k, v)
	}
	return sdk.Request{Method: r.Method, URL: r.URL, Header: h, Body: r.Body, Retry: r.Retry}, nil
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	cfg, err := decodeConfig(ctx)
	if err != nil {
		return sdk.CheckResult{}, err
	}
	if cfg.Organizations != nil {
		if _, err := organizationsPage(ctx, cfg, sdk.PageRequest{Size: 1}); err != nil {
			return sdk.CheckResult{}, err
		}
		return sdk.CheckResult{Message: "listed the first page of " + cfg.Organizations.Path}, nil
	}
	req, err := build(cfg.BaseURL, cfg.Headers, &rest.Endpoint{Method: "GET", Path: "/"}, nil)
	if err != nil {
		return sdk.CheckResult{}, err
	}
	resp, err := sdk.HTTP(ctx).Do(req)
	if err != nil {
		return sdk.CheckResult{}, err
	}
	if resp.Status == 401 || resp.Status == 403 || resp.Status >= 500 {
		return sdk.CheckResult{}, paginate.StatusError("GET", req.URL, resp)
	}
	return sdk.CheckResult{Message: "reached " + cfg.BaseURL + " (status " + strconv.Itoa(resp.Status) + ")"}, nil
}

func organizations(ctx context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	cfg, err := decodeConfig(ctx)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	if cfg.Organizations == nil {
		return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeNotImplemented, "no endpoint is marked as the organizations source (roost integrations edit NAME --organizations ENDPOINT)")
	}
	return organizationsPage(ctx, cfg, page)
}

func organizationsPage(ctx context.Context, cfg config, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	e := cfg.Organizations
	req, err := build(cfg.BaseURL, cfg.Headers, e, nil)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	paging := rest.Pagination{Kind: rest.PageNone}
	if e.Pagination != nil {
		paging = *e.Pagination
	}
	if page.Size > 0 && paging.SizeParam != "" {
		paging.PageSize = page.Size
	}
	p := &paginate.Pager{Client: sdk.HTTP(ctx), Request: req, Paging: paging, ResultsKey: e.ResultsKey}
	items, _, next, err := p.Page(page.Cursor)
	if err != nil {
		return sdk.OrganizationPage{}, err
	}
	f := *e.Organizations
	if f.ID == "" {
		f.ID = "id"
	}
	if f.Name == "" {
		f.Name = "name"
	}
	out := sdk.OrganizationPage{Accounts: make([]sdk.Account, 0, len(items))}
	for _, it := range items {
		id, _ := rest.Lookup(it, f.ID)
		name, _ := rest.Lookup(it, f.Name)
		a := sdk.Account{ID: text(id), Name: text(name)}
		if f.Domain != "" {
			if d, ok := rest.Lookup(it, f.Domain); ok && text(d) != "" {
				a.Domains = []string{text(d)}
			}
		}
		out.Accounts = append(out.Accounts, a)
	}
	if paging.Kind != rest.PageNone && paging.Kind != "" {
		out.Next = next
	}
	return out, nil
}

func text(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
