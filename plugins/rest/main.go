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
	"net/url"
	"sort"
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
	Headers       map[string]string `json:"headers"`
	Organizations *rest.Endpoint    `json:"organizations"`
}

func call(ctx context.Context, input []byte) ([]byte, error) {
	var c rest.Call
	if err := json.Unmarshal(input, &c); err != nil {
		return nil, sdk.Errorf(sdk.CodeInvalidInput, "call: %v", err)
	}
	if c.BaseURL == "" {
		var cfg config
		if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
			return nil, err
		}
		c.BaseURL = cfg.BaseURL
	}
	args := map[string]json.RawMessage{}
	if len(c.Arguments) > 0 && string(c.Arguments) != "null" {
		if err := json.Unmarshal(c.Arguments, &args); err != nil {
			return nil, sdk.Errorf(sdk.CodeInvalidInput, "the input must be a JSON object: %v", err)
		}
	}
	req, err := build(c.BaseURL, c.Headers, &c.Endpoint, args)
	if err != nil {
		return nil, err
	}
	client := sdk.HTTP(ctx)
	e := &c.Endpoint
	if e.Pagination != nil && e.Pagination.Kind != "" && e.Pagination.Kind != rest.PageNone {
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

// build makes the request for endpoint e with the action's arguments.
func build(base string, headers map[string]string, e *rest.Endpoint, args map[string]json.RawMessage) (sdk.Request, error) {
	if base == "" && !strings.HasPrefix(e.Path, "http") {
		return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "base_url is not configured")
	}
	path := e.Path
	q := url.Values{}
	h := sdk.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	used := map[string]bool{}
	for _, p := range e.Params {
		raw, ok := args[p.Name]
		used[p.Name] = true
		if !ok || string(raw) == "null" {
			if p.Required {
				return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "%s %s: %s parameter %q is required", e.Method, e.Path, p.In, p.Name)
			}
			continue
		}
		values, err := scalars(raw)
		if err != nil {
			return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "parameter %q: %v", p.Name, err)
		}
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(strings.Join(values, ",")))
		case "query":
			for _, v := range values {
				q.Add(p.Name, v)
			}
		case "header":
			h.Set(p.Name, strings.Join(values, ","))
		}
	}
	var body []byte
	if raw, ok := args["body"]; ok && e.Body != nil {
		body = raw
		used["body"] = true
		h.Set("Content-Type", "application/json")
	} else if e.BodyRequired {
		return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "%s %s: a body is required (the input's \"body\")", e.Method, e.Path)
	}
	var unknown []string
	for k := range args {
		if !used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "%s %s: unknown input %s (it takes %s)", e.Method, e.Path, strings.Join(unknown, ", "), takes(e))
	}
	if strings.Contains(path, "{") {
		return sdk.Request{}, sdk.Errorf(sdk.CodeInvalidInput, "%s %s: path parameters not given", e.Method, path)
	}
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = strings.TrimRight(base, "/") + path
	}
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q.Encode()
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	return sdk.Request{Method: strings.ToUpper(e.Method), URL: u, Header: h, Body: body, Retry: e.Retry}, nil
}

func takes(e *rest.Endpoint) string {
	var names []string
	for _, p := range e.Params {
		names = append(names, p.Name)
	}
	if e.Body != nil {
		names = append(names, "body")
	}
	if len(names) == 0 {
		return "no input"
	}
	return strings.Join(names, ", ")
}

// scalars renders a parameter value: a string, number or boolean as one
// value, an array as several.
func scalars(raw json.RawMessage) ([]string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	one := func(x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case float64:
			return strconv.FormatFloat(t, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(t), nil
		}
		return "", sdk.Errorf(sdk.CodeInvalidInput, "want a string, number, boolean or a list of them")
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(v)
	return []string{s}, err
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
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
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
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
