// Package itglue is a local fake of the IT Glue API (JSON:API), enough
// for the IT Glue connector: the x-api-key header on every request,
// organizations at GET /organizations with page[number] (1-based) and
// page[size] (default 50, at most 1,000) and a kebab-case meta block
// (current-page, next-page, prev-page, total-pages, total-count) plus
// links, filter[name] and sort=id, single organizations, and an
// organization's configurations (list and create) and contacts. Errors
// are JSON:API error objects; write requests must be sent as
// application/vnd.api+json. It can rate-limit (429 with Retry-After) and
// misbehave by answering page 1 with next-page 2 for every page asked.
package itglue

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/internal/fakehttp"
	"github.com/roosthq/roost/plugins/fakes/internal/ratelimit"
)

// MediaType is JSON:API's media type, which IT Glue speaks.
const MediaType = "application/vnd.api+json"

// Organization is an IT Glue organization's attributes, with its id.
type Organization struct {
	ID                     string `json:"-"`
	Name                   string `json:"name"`
	ShortName              string `json:"short-name"`
	OrganizationTypeName   string `json:"organization-type-name"`
	OrganizationStatusName string `json:"organization-status-name"`
	PSAID                  string `json:"psa-id,omitempty"`
	PSAIntegrationType     string `json:"psa-integration-type,omitempty"`
	Primary                bool   `json:"primary"`
	CreatedAt              string `json:"created-at"`
}

// Configuration is an IT Glue configuration (a device record).
type Configuration struct {
	ID                      string `json:"-"`
	OrganizationID          int    `json:"organization-id"`
	Name                    string `json:"name"`
	Hostname                string `json:"hostname,omitempty"`
	PrimaryIP               string `json:"primary-ip,omitempty"`
	SerialNumber            string `json:"serial-number,omitempty"`
	ConfigurationTypeID     int    `json:"configuration-type-id"`
	ConfigurationTypeName   string `json:"configuration-type-name"`
	ConfigurationStatusID   int    `json:"configuration-status-id,omitempty"`
	ConfigurationStatusName string `json:"configuration-status-name,omitempty"`
}

// Contact is an IT Glue contact.
type Contact struct {
	ID             string `json:"-"`
	OrganizationID int    `json:"organization-id"`
	FirstName      string `json:"first-name"`
	LastName       string `json:"last-name"`
	Title          string `json:"title,omitempty"`
	Important      bool   `json:"important"`
}

// ConfigurationTypes are the configuration types the fake knows.
var ConfigurationTypes = map[int]string{1: "Managed Workstation", 2: "Managed Server", 3: "Firewall"}

// Options set up a fake.
type Options struct {
	// APIKey is the only key accepted. Default "ITG.roost".
	APIKey string
	// Organizations; nil makes Count fake ones.
	Organizations []Organization
	// Count is how many fake organizations to make. Default 25.
	Count int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu       sync.Mutex
	orgs     []Organization
	configs  []Configuration
	contacts []Contact
	repeat   bool
}

// Start starts a fake IT Glue on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.APIKey == "" {
		opts.APIKey = "ITG.roost"
	}
	s := &Server{opts: opts, orgs: opts.Organizations}
	if s.orgs == nil {
		n := opts.Count
		if n <= 0 {
			n = 25
		}
		s.orgs = MakeOrganizations(fakedata.Companies(n, 5))
	}
	for i, o := range s.orgs {
		id, _ := strconv.Atoi(o.ID)
		s.configs = append(s.configs, Configuration{ID: strconv.Itoa(7000 + i), OrganizationID: id,
			Name: fmt.Sprintf("%s-FW01", o.ShortName), ConfigurationTypeID: 3, ConfigurationTypeName: ConfigurationTypes[3],
			ConfigurationStatusName: "Active", PrimaryIP: "10.0.0.1"})
		s.contacts = append(s.contacts, Contact{ID: strconv.Itoa(8000 + i), OrganizationID: id, FirstName: "Pat",
			LastName: fmt.Sprintf("Admin%d", i), Title: "Office Manager", Important: true})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /organizations", s.authed(s.listOrgs))
	mux.HandleFunc("GET /organizations/{id}", s.authed(s.getOrg))
	mux.HandleFunc("GET /organizations/{id}/relationships/configurations", s.authed(s.listConfigs))
	mux.HandleFunc("POST /organizations/{id}/relationships/configurations", s.authed(s.createConfig))
	mux.HandleFunc("GET /organizations/{id}/relationships/contacts", s.authed(s.listContacts))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		apiError(w, http.StatusTooManyRequests, "Too Many Requests", fmt.Sprintf("Rate limit exceeded; retry in %d seconds", after))
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// MakeOrganizations turns fake companies into IT Glue organizations with
// ids from 500; the last one is the MSP's own (primary, type Internal).
func MakeOrganizations(cs []fakedata.Company) []Organization {
	out := make([]Organization, len(cs))
	for i, c := range cs {
		short := strings.ToUpper(strings.ReplaceAll(strings.SplitN(c.Domain, ".", 2)[0], "-", ""))
		if len(short) > 8 {
			short = short[:8]
		}
		out[i] = Organization{ID: strconv.Itoa(500 + i), Name: c.Name, ShortName: short, OrganizationTypeName: "Customer",
			OrganizationStatusName: "Active", CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)}
		if i%4 == 0 {
			out[i].PSAID, out[i].PSAIntegrationType = strconv.Itoa(250+i), "manage"
		}
	}
	if len(out) > 0 {
		out[len(out)-1].Primary, out[len(out)-1].OrganizationTypeName = true, "Internal"
	}
	return out
}

// Organizations returns the fake's organizations.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Organization(nil), s.orgs...)
}

// Configurations returns the fake's configurations.
func (s *Server) Configurations() []Configuration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Configuration(nil), s.configs...)
}

// RepeatPages makes /organizations answer page 1, with next-page 2, for
// any page asked: a broken server a client must not loop on.
func (s *Server) RepeatPages(on bool) {
	s.mu.Lock()
	s.repeat = on
	s.mu.Unlock()
}

func apiError(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{
		{"status": strconv.Itoa(status), "title": title, "detail": detail}}})
}

func writeDoc(w http.ResponseWriter, status int, doc any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != s.opts.APIKey {
			apiError(w, 401, "Unauthorized", "The API key is missing or not valid")
			return
		}
		h(w, r)
	}
}

func resource(typ, id string, attrs any) map[string]any {
	return map[string]any{"id": id, "type": typ, "attributes": attrs}
}

// page reads page[number] and page[size].
func page(w http.ResponseWriter, q url.Values) (number, size int, ok bool) {
	number, size = 1, 50
	if v := q.Get("page[number]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			apiError(w, 400, "Bad Request", "page[number] must be a positive integer")
			return 0, 0, false
		}
		number = n
	}
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			apiError(w, 400, "Bad Request", "page[size] must be between 1 and 1000")
			return 0, 0, false
		}
		size = n
	}
	return number, size, true
}

// list writes one JSON:API page of items with meta and links.
func list[T any](w http.ResponseWriter, r *http.Request, typ string, all []T, id func(T) string, number, size int, repeat bool) {
	total := len(all)
	pages := max(1, (total+size-1)/size)
	if repeat {
		number = 1
	}
	lo := min((number-1)*size, total)
	data := []map[string]any{}
	for _, it := range all[lo:min(lo+size, total)] {
		data = append(data, resource(typ, id(it), it))
	}
	var next, prev any
	if number < pages || repeat {
		next = number + 1
	}
	if number > 1 {
		prev = number - 1
	}
	link := func(p int) string {
		q := r.URL.Query()
		q.Set("page[number]", strconv.Itoa(p))
		q.Set("page[size]", strconv.Itoa(size))
		return "http://" + r.Host + r.URL.Path + "?" + q.Encode()
	}
	links := map[string]any{"self": link(number), "first": link(1), "last": link(pages)}
	if next != nil {
		links["next"] = link(number + 1)
	}
	writeDoc(w, 200, map[string]any{"data": data, "links": links, "meta": map[string]any{
		"current-page": number, "next-page": next, "prev-page": prev, "total-pages": pages, "total-count": total, "filters": map[string]any{}}})
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	number, size, ok := page(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	repeat := s.repeat
	var match []Organization
	name := q.Get("filter[name]")
	for _, o := range s.orgs {
		if name == "" || strings.EqualFold(o.Name, name) {
			match = append(match, o)
		}
	}
	s.mu.Unlock()
	switch q.Get("sort") {
	case "", "id":
		sort.SliceStable(match, func(i, j int) bool {
			a, _ := strconv.Atoi(match[i].ID)
			b, _ := strconv.Atoi(match[j].ID)
			return a < b
		})
	case "name":
		sort.SliceStable(match, func(i, j int) bool { return match[i].Name < match[j].Name })
	default:
		apiError(w, 400, "Bad Request", "the fake cannot sort by "+q.Get("sort"))
		return
	}
	list(w, r, "organizations", match, func(o Organization) string { return o.ID }, number, size, repeat)
}

func (s *Server) findOrg(id string) (Organization, bool) {
	for _, o := range s.orgs {
		if o.ID == id {
			return o, true
		}
	}
	return Organization{}, false
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.findOrg(r.PathValue("id"))
	s.mu.Unlock()
	if !ok {
		apiError(w, 404, "Record not found", "organization "+r.PathValue("id")+" does not exist")
		return
	}
	writeDoc(w, 200, map[string]any{"data": resource("organizations", o.ID, o)})
}

func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) {
	number, size, ok := page(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	_, found := s.findOrg(r.PathValue("id"))
	id, _ := strconv.Atoi(r.PathValue("id"))
	var match []Configuration
	for _, c := range s.configs {
		if c.OrganizationID == id {
			match = append(match, c)
		}
	}
	s.mu.Unlock()
	if !found {
		apiError(w, 404, "Record not found", "organization "+r.PathValue("id")+" does not exist")
		return
	}
	list(w, r, "configurations", match, func(c Configuration) string { return c.ID }, number, size, false)
}

func (s *Server) createConfig(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, MediaType) {
		apiError(w, 415, "Unsupported Media Type", "send "+MediaType+", not "+ct)
		return
	}
	var doc struct {
		Data struct {
			Type       string        `json:"type"`
			Attributes Configuration `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil || doc.Data.Type != "configurations" {
		apiError(w, 422, "Unprocessable Entity", "the body must be a configurations resource")
		return
	}
	c := doc.Data.Attributes
	if strings.TrimSpace(c.Name) == "" {
		apiError(w, 422, "Unprocessable Entity", "Name can't be blank")
		return
	}
	typeName, ok := ConfigurationTypes[c.ConfigurationTypeID]
	if !ok {
		apiError(w, 422, "Unprocessable Entity", "Configuration type must exist")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.findOrg(r.PathValue("id")); !ok {
		apiError(w, 404, "Record not found", "organization "+r.PathValue("id")+" does not exist")
		return
	}
	c.OrganizationID, _ = strconv.Atoi(r.PathValue("id"))
	c.ID = strconv.Itoa(7000 + len(s.configs))
	c.ConfigurationTypeName = typeName
	if c.ConfigurationStatusName == "" {
		c.ConfigurationStatusName = "Active"
	}
	s.configs = append(s.configs, c)
	writeDoc(w, 201, map[string]any{"data": resource("configurations", c.ID, c)})
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	number, size, ok := page(w, r.URL.Query())
	if !ok {
		return
	}
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	var match []Contact
	for _, c := range s.contacts {
		if c.OrganizationID == id {
			match = append(match, c)
		}
	}
	s.mu.Unlock()
	list(w, r, "contacts", match, func(c Contact) string { return c.ID }, number, size, false)
}
