package host

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/roosthq/roost/host/internal/httpx"
	"github.com/roosthq/roost/host/internal/openapi"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/rest"
)

// OpenAPIOptions change an OpenAPI import.
type OpenAPIOptions struct {
	// Name is the integration's name; empty derives one from the title.
	Name string `json:"name,omitempty"`
	// Tags keeps only operations with one of these tags; Include only those
	// whose "METHOD /path" or action name matches.
	// Include is a regular expression.
	Tags    []string `json:"tags,omitempty"`
	Include string   `json:"include,omitempty"`
	// Source names where the document came from (a file or URL).
	Source string `json:"source,omitempty"`
	// URL, when the document is not given, is where the service fetches
	// it, under the same egress policy as connectors: loopback and
	// private addresses only with AllowPrivateNetworks.
	URL                  string `json:"url,omitempty"`
	AllowPrivateNetworks bool   `json:"allow_private_networks,omitempty"`
	// DryRun reports what would be imported and installs nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// OpenAPIResult is an import's report, and what a re-import changed.
type OpenAPIResult struct {
	Report *OpenAPIReport `json:"report"`
	// Install is nil on a dry run.
	Install *InstallResult `json:"install,omitempty"`
	Name    string         `json:"name"`
	// On a re-import: endpoints added and removed by the new document,
	// and the user's edits kept (renames, pagination, marks).
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	Kept    []string `json:"kept,omitempty"`
}

// ImportOpenAPI makes a custom integration from an OpenAPI document (see
// package openapi for what is read and tolerated) and installs it. Over an
// earlier import of the same name it keeps the user's edits: renamed
// actions, pagination, results keys, the organizations mark, retries, and
// endpoints the user removed stay removed.
func (in *integrationsSvc) ImportOpenAPI(ctx context.Context, data []byte, opts OpenAPIOptions) (*OpenAPIResult, error) {
	name := opts.Name
	if len(data) == 0 && opts.URL != "" {
		var err error
		if data, err = in.h.fetchDocument(ctx, opts.URL, opts.AllowPrivateNetworks); err != nil {
			return nil, err
		}
	}
	var include *regexp.Regexp
	if opts.Include != "" {
		re, err := regexp.Compile(opts.Include)
		if err != nil {
			return nil, &InvalidInputError{Field: "include", Value: opts.Include, Problem: err.Error()}
		}
		include = re
	}
	def, rep, err := openapi.Import(data, "imported", openapi.Options{Tags: opts.Tags, Include: include})
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = integrationSlug(rep.Title)
		if name == "" {
			return nil, errors.New("the document has no title to name the integration after; give --name")
		}
	}
	def.Name = name
	res := &OpenAPIResult{Report: openAPIReportView(rep), Name: name}
	if old, err := in.CustomDefinition(ctx, name); err == nil {
		res.Added, res.Removed, res.Kept = mergeImport(def, old)
	} else if !errors.As(err, new(*NotInstalledError)) {
		return nil, err
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	if opts.DryRun {
		return res, nil
	}
	source := "openapi"
	if opts.Source != "" {
		source = "openapi:" + opts.Source
	}
	if res.Install, err = in.InstallCustom(ctx, def, source); err != nil {
		return nil, err
	}
	return res, nil
}

// integrationSlug makes an integration name from a title: "Halo API" →
// "halo-api".
func integrationSlug(title string) string {
	s := Slug(title)
	for len(s) > 0 && (s[0] < 'a' || s[0] > 'z') {
		s = s[1:]
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}

// mergeImport carries the user's edits of old over to the fresh import def.
func mergeImport(def, old *rest.Definition) (added, removed, kept []string) {
	bySource := map[string]*rest.Endpoint{}
	for i := range old.Endpoints {
		if s := old.Endpoints[i].Source; s != "" {
			bySource[s] = &old.Endpoints[i]
		}
	}
	gone := map[string]bool{}
	for _, s := range old.Removed {
		gone[s] = true
	}
	taken := map[string]bool{}
	var out []rest.Endpoint
	fresh := map[string]bool{}
	for _, e := range def.Endpoints {
		fresh[e.Source] = true
		if gone[e.Source] {
			continue
		}
		if prev, ok := bySource[e.Source]; ok {
			if prev.Name != e.Name {
				kept = append(kept, fmt.Sprintf("%s: named %s", e.Source, prev.Name))
				e.Name = prev.Name
			}
			if prev.Pagination != nil {
				e.Pagination = prev.Pagination
				kept = append(kept, fmt.Sprintf("%s: pagination", e.Source))
			}
			if prev.ResultsKey != "" {
				e.ResultsKey = prev.ResultsKey
			}
			if prev.Organizations != nil {
				e.Organizations = prev.Organizations
				kept = append(kept, fmt.Sprintf("%s: organizations source", e.Source))
			}
			e.Retry = e.Retry || prev.Retry
		} else {
			added = append(added, e.Name)
		}
		out = append(out, e)
	}
	// A kept name may collide with a new operation's generated one.
	for i := range out {
		base, n := out[i].Name, 2
		for taken[out[i].Name] {
			out[i].Name = fmt.Sprintf("%s_%d", base, n)
			n++
		}
		taken[out[i].Name] = true
	}
	for _, e := range old.Endpoints {
		if e.Source != "" && !fresh[e.Source] {
			removed = append(removed, e.Name)
		}
		if e.Source == "" { // added by hand: stays
			if !taken[e.Name] {
				out = append(out, e)
				taken[e.Name] = true
				kept = append(kept, e.Name+": added by hand")
			}
		}
	}
	def.Endpoints = out
	def.Removed = old.Removed
	if len(old.Headers) > 0 {
		def.Headers = old.Headers
	}
	if old.RateLimit > 0 {
		def.RateLimit = old.RateLimit
	}
	if def.BaseURL == "" {
		def.BaseURL = old.BaseURL
	}
	return added, removed, kept
}

// CustomEdit changes a custom integration's endpoints.
type CustomEdit struct {
	Add    []rest.Endpoint `json:"add,omitempty"`
	Remove []string        `json:"remove,omitempty"`
	// Rename maps old action names to new ones.
	Rename map[string]string `json:"rename,omitempty"`
	// Paginate sets (or, with a nil value, clears) endpoints' pagination.
	Paginate map[string]*rest.Pagination `json:"paginate,omitempty"`
	// ResultsKey sets where the list is in endpoints' answers.
	ResultsKey map[string]string `json:"results_key,omitempty"`
	// Organizations marks one endpoint as the organizations source, with
	// its fields; an empty name leaves the mark as it is.
	Organizations       string         `json:"organizations,omitempty"`
	OrganizationsFields rest.OrgFields `json:"organizations_fields,omitempty"`
	// Retry marks endpoints whose non-idempotent requests may be retried.
	Retry []string `json:"retry,omitempty"`
}

// EditCustom applies an edit to a custom integration and installs the
// result; nothing changes if any part of the edit is wrong.
func (in *integrationsSvc) EditCustom(ctx context.Context, name string, edit CustomEdit) (*InstallResult, error) {
	def, err := in.CustomDefinition(ctx, name)
	if err != nil {
		return nil, err
	}
	find := func(n string) (*rest.Endpoint, error) {
		if e := def.Endpoint(n); e != nil {
			return e, nil
		}
		return nil, &InvalidInputError{Field: "endpoint", Value: n, Problem: "not an endpoint of " + name}
	}
	for _, n := range edit.Remove {
		e, err := find(n)
		if err != nil {
			return nil, err
		}
		if e.Source != "" && !slices.Contains(def.Removed, e.Source) {
			def.Removed = append(def.Removed, e.Source)
		}
		def.Endpoints = slices.DeleteFunc(def.Endpoints, func(x rest.Endpoint) bool { return x.Name == n })
	}
	olds := make([]string, 0, len(edit.Rename))
	for o := range edit.Rename {
		olds = append(olds, o)
	}
	sort.Strings(olds)
	for _, o := range olds {
		e, err := find(o)
		if err != nil {
			return nil, err
		}
		if def.Endpoint(edit.Rename[o]) != nil {
			return nil, fmt.Errorf("%s already has an endpoint %q", name, edit.Rename[o])
		}
		e.Name = edit.Rename[o]
	}
	for n, p := range edit.Paginate {
		e, err := find(n)
		if err != nil {
			return nil, err
		}
		e.Pagination = p
	}
	for n, k := range edit.ResultsKey {
		e, err := find(n)
		if err != nil {
			return nil, err
		}
		e.ResultsKey = k
	}
	if edit.Organizations != "" {
		e, err := find(edit.Organizations)
		if err != nil {
			return nil, err
		}
		for i := range def.Endpoints {
			def.Endpoints[i].Organizations = nil
		}
		f := edit.OrganizationsFields
		e.Organizations = &f
	}
	for _, n := range edit.Retry {
		e, err := find(n)
		if err != nil {
			return nil, err
		}
		e.Retry = true
	}
	for _, e := range edit.Add {
		if def.Endpoint(e.Name) != nil {
			return nil, fmt.Errorf("%s already has an endpoint %q", name, e.Name)
		}
		def.Endpoints = append(def.Endpoints, e)
	}
	if err := def.Validate(); err != nil {
		return nil, err
	}
	st, err := in.h.openStore()
	if err != nil {
		return nil, err
	}
	rec, err := st.Integration(name)
	if err != nil {
		return nil, err
	}
	return in.InstallCustom(ctx, def, rec.Source)
}

// fetchDocument GETs a document through the egress policy connectors
// obey: only the URL's own host, private addresses only when allowed.
func (h *Host) fetchDocument(ctx context.Context, raw string, allowPrivate bool) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, &InvalidInputError{Field: "url", Value: raw, Problem: "not a URL"}
	}
	p, err := abi.ParseHostPattern(u.Host)
	if err != nil {
		return nil, &InvalidInputError{Field: "url", Value: raw, Problem: err.Error()}
	}
	pol := &httpx.Policy{Hosts: []abi.HostPattern{p}, AllowPrivate: allowPrivate || h.cfg.HTTP.AllowPrivateNetworks}
	resp, body, err := h.http.Do(ctx, pol, &abi.HTTPRequest{Method: "GET", URL: raw,
		Header: map[string][]string{"Accept": {"application/json, application/yaml;q=0.9, */*;q=0.5"}}}, nil)
	if err != nil {
		return nil, &FetchError{URL: raw, Reason: err.Error()}
	}
	if resp.Status != 200 {
		return nil, &FetchError{URL: raw, Status: resp.Status}
	}
	return body, nil
}

// FetchError says a document could not be fetched.
type FetchError struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: status %d", e.URL, e.Status)
	}
	return fmt.Sprintf("fetch %s: %s", e.URL, e.Reason)
}
