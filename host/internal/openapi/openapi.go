// Package openapi turns an OpenAPI document — Swagger 2.0, OpenAPI 3.0 or
// 3.1, JSON or YAML — into a custom integration definition (sdk/rest):
// every operation an endpoint, input schemas from parameters and request
// bodies, output schemas from success responses, security schemes as
// auth, servers (or host and basePath) as the base URL. Documents are
// parsed with pb33f/libopenapi.
//
// Real documents are imperfect, so the importer is tolerant: missing or
// duplicate operationIds, circular and unresolvable references, relative
// servers, non-standard types ("int", "bool"), "required" names missing
// from "properties", cookie parameters — each becomes a warning in the
// report where a sensible endpoint can still be made, never a failure.
package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v2 "github.com/pb33f/libopenapi/datamodel/high/v2"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
	"go.yaml.in/yaml/v3"

	"github.com/roosthq/roost/sdk/rest"
)

// Options filter an import.
type Options struct {
	// Tags keeps only operations with one of these tags.
	Tags []string
	// Include keeps only operations whose "METHOD /path" or name matches.
	Include *regexp.Regexp
}

// Report says what an import made and what it had to work around.
type Report struct {
	Spec        string `json:"spec"` // "OpenAPI 3.0.1", "Swagger 2.0"
	Title       string `json:"title"`
	Operations  int    `json:"operations"`
	Endpoints   int    `json:"endpoints"`
	FilteredOut int    `json:"filtered_out,omitempty"`
	// Warnings are grouped: each once, with how often it happened.
	Warnings []Warning `json:"warnings"`
	// LooksPaginated names endpoints with page and size parameters, to
	// mark with `roost integrations edit`.
	LooksPaginated []string `json:"looks_paginated,omitempty"`
}

// Warning is one kind of problem and how often it occurred.
type Warning struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

type warnings struct {
	byMsg map[string]*Warning
	order []string
}

func (w *warnings) add(where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w.byMsg == nil {
		w.byMsg = map[string]*Warning{}
	}
	if x, ok := w.byMsg[msg]; ok {
		x.Count++
		return
	}
	w.byMsg[msg] = &Warning{Message: msg, Count: 1, Example: where}
	w.order = append(w.order, msg)
}

func (w *warnings) list() []Warning {
	out := make([]Warning, 0, len(w.order))
	for _, m := range w.order {
		out = append(out, *w.byMsg[m])
	}
	return out
}

// ErrNotOpenAPI is a document that is no OpenAPI or Swagger document at all.
var ErrNotOpenAPI = errors.New("not an OpenAPI 3.x or Swagger 2.0 document")

// Import reads an OpenAPI document and makes a definition named name.
func Import(data []byte, name string, opts Options) (def *rest.Definition, rep *Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			def, rep, err = nil, nil, fmt.Errorf("the OpenAPI document could not be read (the parser failed: %v)", r)
		}
	}()
	w := &warnings{}
	doc, err := load(data, w)
	if err != nil {
		return nil, nil, err
	}
	sanitized := false
	if needsSanitizing(data) {
		if clean, err := sanitize(data, w); err == nil {
			if d2, err := load(clean, w); err == nil {
				data, doc, sanitized = clean, d2, true
			}
		}
	}
	// retry builds a model from the sanitized document after a failure.
	retry := func() (libopenapi.Document, bool) {
		if sanitized {
			return nil, false
		}
		clean, err := sanitize(data, w)
		if err != nil {
			return nil, false
		}
		d2, err := load(clean, w)
		if err != nil {
			return nil, false
		}
		sanitized = true
		return d2, true
	}
	info := doc.GetSpecInfo()
	im := &importer{w: w, opts: opts, def: &rest.Definition{Name: name, Auth: rest.Auth{Kind: rest.AuthNone}}, names: map[string]int{}}
	rep = &Report{}
	if info.SpecType == "swagger" || strings.HasPrefix(info.Version, "2") {
		m, err := doc.BuildV2Model()
		if err != nil {
			if d2, ok := retry(); ok {
				if m2, _ := d2.BuildV2Model(); m2 != nil && (m == nil || paths2(m2) >= paths2(m)) {
					m = m2
				}
			}
		}
		if m == nil {
			return nil, nil, fmt.Errorf("the Swagger document could not be read: %v", err)
		}
		rep.Spec = "Swagger " + orDefault(m.Model.Swagger, "2.0")
		im.swagger(&m.Model)
	} else {
		m, err := doc.BuildV3Model()
		if err != nil {
			if d2, ok := retry(); ok {
				if m2, _ := d2.BuildV3Model(); m2 != nil && (m == nil || paths3(m2) >= paths3(m)) {
					m = m2
				}
			}
		}
		if m == nil {
			return nil, nil, fmt.Errorf("the OpenAPI document could not be read: %v", err)
		}
		rep.Spec = "OpenAPI " + orDefault(m.Model.Version, info.Version)
		im.openapi3(&m.Model)
	}
	rep.Title, rep.Operations, rep.FilteredOut = im.title, im.operations, im.filtered
	rep.Endpoints = len(im.def.Endpoints)
	rep.LooksPaginated = im.paginated
	rep.Warnings = w.list()
	return im.def, rep, nil
}

func paths2(m *libopenapi.DocumentModel[v2.Swagger]) int {
	if m.Model.Paths == nil {
		return 0
	}
	return m.Model.Paths.PathItems.Len()
}

func paths3(m *libopenapi.DocumentModel[v3.Document]) int {
	if m.Model.Paths == nil {
		return 0
	}
	return m.Model.Paths.PathItems.Len()
}

// externalRef finds $ref values that do not point into the document.
var externalRef = regexp.MustCompile(`\$ref"?\s*:\s*["']?([^#"'\s{]|["']?\s*$)`)

// needsSanitizing reports whether a document has references the parser
// will not resolve, or JSON Schema $id/$anchor keys that change how
// references resolve.
func needsSanitizing(data []byte) bool {
	return externalRef.Match(data) || bytes.Contains(data, []byte(`$id`)) || bytes.Contains(data, []byte(`$anchor`))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func load(data []byte, w *warnings) (libopenapi.Document, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("the document is empty: %w", ErrNotOpenAPI)
	}
	cfg := datamodel.NewDocumentConfiguration()
	cfg.AllowFileReferences = false
	cfg.AllowRemoteReferences = false
	cfg.IgnorePolymorphicCircularReferences = true
	cfg.IgnoreArrayCircularReferences = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	doc, err := libopenapi.NewDocumentWithConfiguration(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotOpenAPI, err)
	}
	info := doc.GetSpecInfo()
	if info == nil || (info.SpecType != "openapi" && info.SpecType != "swagger" && info.Version == "") {
		return nil, ErrNotOpenAPI
	}
	return doc, nil
}

// sanitize replaces references the parser cannot resolve (external files,
// missing components) with empty schemas, so the rest of the document
// still imports.
func sanitize(data []byte, w *warnings) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, ErrNotOpenAPI
	}
	top := root.Content[0]
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if depth > 200 {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if (k.Value == "$id" || k.Value == "$anchor") && depth > 0 {
					w.add(v.Value, "schema %s keys ignored: references resolve against the document", k.Value)
					n.Content = append(n.Content[:i], n.Content[i+2:]...)
					i -= 2
					continue
				}
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode && !resolves(top, v.Value) {
					if v.Value == "" || v.Tag == "!!null" {
						w.add("$ref", "empty $ref (in YAML an unquoted # starts a comment) replaced by an empty schema")
					} else {
						w.add(v.Value, "unresolvable reference %s replaced by an empty schema", v.Value)
					}
					if len(n.Content) == 2 {
						n.Content = nil // {"$ref": …} becomes {}
					} else {
						n.Content = append(n.Content[:i], n.Content[i+2:]...)
					}
					i -= 2
					continue
				}
				walk(v, depth+1)
			}
			return
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(top, 0)
	return yaml.Marshal(&root)
}

// resolves reports whether a "#/a/b" reference points into the document.
func resolves(top *yaml.Node, ref string) bool {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false // external: not followed
	}
	n := top
	for _, part := range strings.Split(p, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if u, err := url.PathUnescape(part); err == nil {
			part = u
		}
		if n.Kind != yaml.MappingNode {
			return false
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type importer struct {
	w          *warnings
	opts       Options
	def        *rest.Definition
	names      map[string]int
	title      string
	operations int
	filtered   int
	prefix     string // a relative server path, kept on every endpoint
	paginated  []string
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (im *importer) info(i *base.Info) {
	if i == nil {
		im.w.add("info", "the document has no info: title and version are made up")
		return
	}
	im.title = i.Title
	im.def.Description = strings.TrimSpace(orDefault(i.Title, "") + ". " + firstSentence(i.Description))
	im.def.Description = strings.Trim(im.def.Description, ". ")
	if v := semver(i.Version); v != "" {
		im.def.Version = v
	}
}

var semverRE = regexp.MustCompile(`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

func semver(v string) string {
	m := semverRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%s.%s.%s", m[1], orDefault(m[2], "0"), orDefault(m[3], "0"))
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func (im *importer) setBase(raw string) {
	if raw == "" {
		im.w.add("servers", "the document names no server: set base_url when configuring")
		return
	}
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://") {
		im.prefix = "/" + strings.Trim(raw, "/")
		if im.prefix == "/" {
			im.prefix = ""
		}
		im.w.add("servers", "the server URL %q is relative: set base_url (the tool's address) when configuring; paths keep %s", raw, orDefault(im.prefix, "/"))
		return
	}
	im.def.BaseURL = strings.TrimRight(raw, "/")
}

func (im *importer) keep(method, path string, tags []string, name string) bool {
	if len(im.opts.Tags) > 0 {
		ok := false
		for _, t := range tags {
			for _, want := range im.opts.Tags {
				if strings.EqualFold(t, want) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	if im.opts.Include != nil && !im.opts.Include.MatchString(strings.ToUpper(method)+" "+path) && !im.opts.Include.MatchString(name) {
		return false
	}
	return true
}

// actionName makes a unique action name from an operationId, or from the
// method and path.
func (im *importer) actionName(opID, method, path string) string {
	name := snake(opID)
	if name == "" {
		var parts []string
		parts = append(parts, method)
		for _, seg := range strings.Split(path, "/") {
			if seg == "" {
				continue
			}
			if strings.HasPrefix(seg, "{") {
				parts = append(parts, "by", strings.Trim(seg, "{}"))
			} else {
				parts = append(parts, seg)
			}
		}
		name = snake(strings.Join(parts, "_"))
	}
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "op_" + name
	}
	if len(name) > 60 {
		name = strings.TrimRight(name[:60], "_")
	}
	base := name
	im.names[base]++
	if n := im.names[base]; n > 1 {
		name = fmt.Sprintf("%s_%d", base, n)
		for im.names[name] > 0 {
			n++
			name = fmt.Sprintf("%s_%d", base, n)
		}
		im.names[name]++
		im.w.add(strings.ToUpper(method)+" "+path, "duplicate action name %q made unique as %q", base, name)
	}
	return name
}

// snake turns "listPets", "Get-Pet by ID" and "pets.list" into list_pets,
// get_pet_by_id and pets_list.
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
			prevLower = false
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		default:
			b.WriteByte('_')
			prevLower = false
		}
	}
	out := b.String()
	for strings.Contains(out, "__") {
		out = strings.ReplaceAll(out, "__", "_")
	}
	return strings.Trim(out, "_")
}

var pageNames = map[string]bool{"page": true, "page_no": true, "pageno": true, "page_number": true, "pagenumber": true, "offset": true}
var sizeNames = map[string]bool{"page_size": true, "pagesize": true, "per_page": true, "perpage": true, "limit": true, "size": true}

func (im *importer) add(e rest.Endpoint) {
	hasPage, hasSize := false, false
	for _, p := range e.Params {
		if p.In != "query" {
			continue
		}
		n := strings.ToLower(p.Name)
		hasPage = hasPage || pageNames[n]
		hasSize = hasSize || sizeNames[n]
	}
	if hasPage && hasSize {
		im.paginated = append(im.paginated, e.Name)
	}
	im.def.Endpoints = append(im.def.Endpoints, e)
}

// ---- OpenAPI 3 ----

func (im *importer) openapi3(d *v3.Document) {
	im.info(d.Info)
	if len(d.Servers) > 0 && d.Servers[0] != nil {
		s := d.Servers[0]
		u := s.URL
		for k, v := range s.Variables.FromOldest() {
			if v != nil {
				u = strings.ReplaceAll(u, "{"+k+"}", v.Default)
			}
		}
		im.setBase(u)
	} else {
		im.setBase("")
	}
	if d.Components != nil {
		im.auth3(d.Components.SecuritySchemes, d.Security)
	}
	if d.Paths == nil {
		im.w.add("paths", "the document has no paths")
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		ops := item.GetOperations()
		for _, method := range methods {
			op, ok := ops.Get(method)
			if !ok || op == nil {
				continue
			}
			im.operations++
			im.operation3(method, path, item, op)
		}
	}
}

func (im *importer) operation3(method, path string, item *v3.PathItem, op *v3.Operation) {
	where := strings.ToUpper(method) + " " + path
	defer func() {
		if r := recover(); r != nil {
			im.w.add(where, "an operation could not be read fully (parser failure: %v); its action takes no input", r)
		}
	}()
	e, ok := im.endpoint(method, path, op.OperationId, op.Tags, op.Summary, op.Description)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, p := range append(append([]*v3.Parameter(nil), op.Parameters...), item.Parameters...) {
		if p == nil || seen[p.In+" "+p.Name] {
			continue // an operation's parameter overrides its path's
		}
		seen[p.In+" "+p.Name] = true
		if p.In == "cookie" {
			im.w.add(where, "cookie parameters are not sent")
			continue
		}
		if p.In != "path" && p.In != "query" && p.In != "header" {
			im.w.add(where, "parameter location %q is not supported", p.In)
			continue
		}
		required := p.Required != nil && *p.Required || p.In == "path"
		e.Params = append(e.Params, rest.Param{Name: p.Name, In: p.In, Required: required,
			Description: firstSentence(p.Description), Schema: im.schema(p.Schema, where)})
	}
	im.pathParams(&e, where)
	if rb := op.RequestBody; rb != nil {
		if mt := pickMedia(rb.Content); mt != nil {
			e.Body = im.schema(mt.Schema, where)
		} else {
			e.Body = json.RawMessage(`{}`)
		}
		e.BodyRequired = rb.Required != nil && *rb.Required
	}
	if op.Responses != nil {
		for code, resp := range op.Responses.Codes.FromOldest() {
			if strings.HasPrefix(code, "2") && resp != nil {
				if mt := pickMedia(resp.Content); mt != nil {
					e.Output = im.schema(mt.Schema, where)
				}
				break
			}
		}
	}
	im.add(e)
}

func pickMedia(content *orderedmap.Map[string, *v3.MediaType]) *v3.MediaType {
	var first *v3.MediaType
	for ct, mt := range content.FromOldest() {
		if mt == nil {
			continue
		}
		if strings.Contains(ct, "json") {
			return mt
		}
		if first == nil {
			first = mt
		}
	}
	return first
}

// endpoint names an operation's endpoint and applies the --tag and
// --include filters; false means it is filtered out.
func (im *importer) endpoint(method, path, opID string, tags []string, summary, desc string) (rest.Endpoint, bool) {
	where := strings.ToUpper(method) + " " + path
	name := im.actionName(opID, method, path)
	if opID == "" {
		im.w.add(where, "operations without an operationId are named from method and path")
	}
	if !im.keep(method, path, tags, name) {
		im.filtered++
		im.names[name]--
		return rest.Endpoint{}, false
	}
	return rest.Endpoint{Name: name, Method: strings.ToUpper(method), Path: im.prefix + path, Tags: tags,
		Description: firstLine(summary, desc), Source: where}, true
}

// pathParams adds parameters the path names but the operation forgot, and
// drops path parameters the path does not name.
func (im *importer) pathParams(e *rest.Endpoint, where string) {
	kept := e.Params[:0]
	for _, p := range e.Params {
		if p.In == "path" && !strings.Contains(e.Path, "{"+p.Name+"}") {
			im.w.add(where, "path parameters the path does not name were dropped")
			continue
		}
		kept = append(kept, p)
	}
	e.Params = kept
	for _, seg := range strings.Split(e.Path, "{")[1:] {
		name, _, ok := strings.Cut(seg, "}")
		if !ok {
			continue
		}
		found := false
		for _, p := range e.Params {
			if p.In == "path" && p.Name == name {
				found = true
			}
		}
		if !found {
			im.w.add(where, "path parameters missing from the parameters were added as strings")
			e.Params = append(e.Params, rest.Param{Name: name, In: "path", Required: true, Schema: json.RawMessage(`{"type":"string"}`)})
		}
	}
}

func firstLine(summary, desc string) string {
	if s := strings.TrimSpace(summary); s != "" {
		return firstSentence(s)
	}
	return firstSentence(desc)
}

// required names the first security scheme the document requires.
func required(security []*base.SecurityRequirement) string {
	for _, req := range security {
		if req == nil {
			continue
		}
		for name := range req.Requirements.FromOldest() {
			return name
		}
	}
	return ""
}

// better says whether scheme name beats the current pick: the one the
// document requires, else one Roost configures fully (not an OAuth2 flow
// it approximates), else the first by name. The schemes' order is not
// used: libopenapi builds its maps concurrently, so it is not stable.
func better(name string, approximated bool, current string, currentApproximated bool, chosen string, first bool) bool {
	if first {
		return true
	}
	if current == chosen || name == chosen {
		return name == chosen
	}
	if approximated != currentApproximated {
		return !approximated
	}
	return name < current
}

func (im *importer) auth3(schemes *orderedmap.Map[string, *v3.SecurityScheme], security []*base.SecurityRequirement) {
	chosen := required(security)
	var pick *v3.SecurityScheme
	pickName, pickApprox := "", false
	for name, s := range schemes.FromOldest() {
		if s == nil {
			continue
		}
		approx := strings.EqualFold(s.Type, "oauth2") || strings.EqualFold(s.Type, "openIdConnect")
		if better(name, approx, pickName, pickApprox, chosen, pick == nil) {
			pick, pickName, pickApprox = s, name, approx
		}
	}
	if pick == nil {
		return
	}
	a := &im.def.Auth
	switch strings.ToLower(pick.Type) {
	case "http":
		switch strings.ToLower(pick.Scheme) {
		case "basic":
			a.Kind = rest.AuthBasic
		default:
			a.Kind = rest.AuthBearer
		}
	case "apikey":
		if pick.In == "cookie" {
			im.w.add("security", "cookie API keys are not supported; configure the key another way")
			return
		}
		*a = rest.Auth{Kind: rest.AuthAPIKey, In: pick.In, Name: pick.Name}
	case "oauth2":
		if f := pick.Flows; f != nil && f.ClientCredentials != nil {
			*a = rest.Auth{Kind: rest.AuthClientCredentials, TokenURL: f.ClientCredentials.TokenUrl}
			for s := range f.ClientCredentials.Scopes.FromOldest() {
				a.Scopes = append(a.Scopes, s)
			}
			return
		}
		im.w.add("security", "OAuth2 flows other than client credentials are configured as a bearer token")
		a.Kind = rest.AuthBearer
	case "openidconnect":
		im.w.add("security", "OpenID Connect is configured as a bearer token")
		a.Kind = rest.AuthBearer
	}
}

// ---- Swagger 2 ----

func (im *importer) swagger(d *v2.Swagger) {
	im.info(d.Info)
	scheme := "https"
	if len(d.Schemes) > 0 {
		scheme = d.Schemes[0]
		for _, s := range d.Schemes {
			if s == "https" {
				scheme = s
			}
		}
	}
	if d.Host != "" {
		im.setBase(scheme + "://" + d.Host + strings.TrimRight(d.BasePath, "/"))
	} else {
		im.setBase(d.BasePath)
	}
	if d.SecurityDefinitions != nil {
		im.auth2(d.SecurityDefinitions.Definitions, d.Security)
	}
	if d.Paths == nil {
		im.w.add("paths", "the document has no paths")
		return
	}
	for path, item := range d.Paths.PathItems.FromOldest() {
		if item == nil {
			continue
		}
		for _, mo := range []struct {
			m  string
			op *v2.Operation
		}{{"get", item.Get}, {"put", item.Put}, {"post", item.Post}, {"delete", item.Delete},
			{"options", item.Options}, {"head", item.Head}, {"patch", item.Patch}} {
			if mo.op == nil {
				continue
			}
			im.operations++
			im.operation2(mo.m, path, item, mo.op)
		}
	}
}

func (im *importer) operation2(method, path string, item *v2.PathItem, op *v2.Operation) {
	where := strings.ToUpper(method) + " " + path
	defer func() {
		if r := recover(); r != nil {
			im.w.add(where, "an operation could not be read fully (parser failure: %v); its action takes no input", r)
		}
	}()
	e, ok := im.endpoint(method, path, op.OperationId, op.Tags, op.Summary, op.Description)
	if !ok {
		return
	}
	seen := map[string]bool{}
	form := map[string]any{}
	for _, p := range append(append([]*v2.Parameter(nil), op.Parameters...), item.Parameters...) {
		if p == nil || seen[p.In+" "+p.Name] {
			continue
		}
		seen[p.In+" "+p.Name] = true
		required := p.Required != nil && *p.Required || p.In == "path"
		switch p.In {
		case "body":
			e.Body = im.schema(p.Schema, where)
			e.BodyRequired = required
		case "formData":
			form[p.Name] = json.RawMessage(im.simpleType(p.Type, p.Format, where))
			im.w.add(where, "form parameters are sent as a JSON body")
		case "path", "query", "header":
			e.Params = append(e.Params, rest.Param{Name: p.Name, In: p.In, Required: required,
				Description: firstSentence(p.Description), Schema: im.simpleType(p.Type, p.Format, where)})
		default:
			im.w.add(where, "parameter location %q is not supported", p.In)
		}
	}
	if len(form) > 0 && e.Body == nil {
		e.Body, _ = json.Marshal(map[string]any{"type": "object", "properties": form})
	}
	im.pathParams(&e, where)
	if op.Responses != nil {
		for code, resp := range op.Responses.Codes.FromOldest() {
			if strings.HasPrefix(code, "2") && resp != nil {
				if resp.Schema != nil {
					e.Output = im.schema(resp.Schema, where)
				}
				break
			}
		}
	}
	im.add(e)
}

func (im *importer) auth2(defs *orderedmap.Map[string, *v2.SecurityScheme], security []*base.SecurityRequirement) {
	chosen := required(security)
	var pick *v2.SecurityScheme
	pickName, pickApprox := "", false
	for name, s := range defs.FromOldest() {
		if s == nil {
			continue
		}
		approx := strings.EqualFold(s.Type, "oauth2")
		if better(name, approx, pickName, pickApprox, chosen, pick == nil) {
			pick, pickName, pickApprox = s, name, approx
		}
	}
	if pick == nil {
		return
	}
	a := &im.def.Auth
	switch strings.ToLower(pick.Type) {
	case "basic":
		a.Kind = rest.AuthBasic
	case "apikey":
		*a = rest.Auth{Kind: rest.AuthAPIKey, In: pick.In, Name: pick.Name}
	case "oauth2":
		if pick.Flow == "application" {
			*a = rest.Auth{Kind: rest.AuthClientCredentials, TokenURL: pick.TokenUrl}
			if pick.Scopes != nil {
				for s := range pick.Scopes.Values.FromOldest() {
					a.Scopes = append(a.Scopes, s)
				}
			}
			return
		}
		im.w.add("security", "OAuth2 flows other than client credentials are configured as a bearer token")
		a.Kind = rest.AuthBearer
	}
}

// ---- schemas ----

// typeNames maps the types real documents use to JSON Schema's.
var typeNames = map[string]string{
	"string": "string", "integer": "integer", "number": "number", "boolean": "boolean", "object": "object",
	"array": "array", "null": "null",
	"int": "integer", "int32": "integer", "int64": "integer", "long": "integer", "bool": "boolean",
	"double": "number", "float": "number", "decimal": "number", "obj": "object", "file": "string",
	"datetime": "string", "date": "string", "guid": "string", "uuid": "string",
}

func (im *importer) typeName(t, where string) string {
	if n, ok := typeNames[t]; ok {
		if n != t && t != "file" {
			im.w.add(where, "non-standard type %q read as %q", t, n)
		}
		return n
	}
	lt := strings.ToLower(t)
	if n, ok := typeNames[lt]; ok {
		im.w.add(where, "non-standard type %q read as %q", t, n)
		return n
	}
	if strings.HasPrefix(lt, "list<") || strings.HasSuffix(lt, "[]") {
		im.w.add(where, "non-standard type %q read as \"array\"", t)
		return "array"
	}
	im.w.add(where, "unknown type %q left open", t)
	return ""
}

func (im *importer) simpleType(t, format, where string) json.RawMessage {
	s := map[string]any{}
	if t != "" {
		if n := im.typeName(t, where); n != "" {
			s["type"] = n
		}
	}
	if format != "" {
		s["format"] = format
	}
	b, _ := json.Marshal(s)
	return b
}

// maxDepth bounds how deep schemas are copied: actions need the shape of
// their input and output, not every nested detail.
const maxDepth = 3

func (im *importer) schema(sp *base.SchemaProxy, where string) json.RawMessage {
	if sp == nil {
		return json.RawMessage(`{}`)
	}
	out := im.convert(sp, where, 0, map[*base.Schema]bool{})
	b, err := json.Marshal(out)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return b
}

func (im *importer) convert(sp *base.SchemaProxy, where string, depth int, seen map[*base.Schema]bool) map[string]any {
	out := map[string]any{}
	s := sp.Schema()
	if s == nil {
		if err := sp.GetBuildError(); err != nil {
			im.w.add(where, "a schema could not be read (%v); left open", shortErr(err))
		}
		return out
	}
	if seen[s] {
		im.w.add(where, "a circular schema reference was cut")
		return out
	}
	seen[s] = true
	defer delete(seen, s)
	var types []string
	for _, t := range s.Type {
		if n := im.typeName(t, where); n != "" {
			types = append(types, n)
		}
	}
	switch len(types) {
	case 0:
	case 1:
		out["type"] = types[0]
	default:
		out["type"] = types
	}
	if s.Description != "" && depth == 0 {
		out["description"] = firstSentence(s.Description)
	}
	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 && len(s.Enum) <= 50 {
		var vals []any
		for _, n := range s.Enum {
			var v any
			if n != nil && n.Decode(&v) == nil {
				vals = append(vals, v)
			}
		}
		out["enum"] = vals
	}
	if depth >= maxDepth {
		return out
	}
	if s.Properties != nil && s.Properties.Len() > 0 {
		props := map[string]any{}
		for name, p := range s.Properties.FromOldest() {
			if p != nil {
				props[name] = im.convert(p, where, depth+1, seen)
			}
		}
		out["properties"] = props
		if _, ok := out["type"]; !ok {
			out["type"] = "object"
		}
		var req []string
		for _, r := range s.Required {
			if _, ok := props[r]; ok {
				req = append(req, r)
			} else {
				im.w.add(where, "required property %q is not among the properties; dropped from required", r)
			}
		}
		if len(req) > 0 {
			sort.Strings(req)
			out["required"] = req
		}
	}
	if s.Items != nil && s.Items.IsA() && s.Items.A != nil {
		out["items"] = im.convert(s.Items.A, where, depth+1, seen)
	}
	return out
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
