// Package autotask is a local fake of the Autotask PSA REST API
// (ATServicesRest V1.0), enough for the Autotask connector: the zone
// lookup at GET /atservicesrest/v1.0/zoneInformation?user=, the three
// credential headers (ApiIntegrationCode, UserName, Secret) on every other
// request, entity queries at GET …/{Entity}/query?search={json} and POST
// …/{Entity}/query with filters (eq, noteq, gt, gte, lt, lte, contains,
// beginsWith, endsWith, exist, notExist, in, and/or groups), at most 500
// records a page with server-minted nextPageUrl links, …/query/count, and
// companies and tickets. Errors come as {"errors": ["…"]}. It can
// rate-limit (429 with Retry-After) and misbehave by handing out a
// nextPageUrl that leads back to the same page.
package autotask

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/internal/fakehttp"
	"github.com/roosthq/roost/plugins/fakes/internal/ratelimit"
)

// BasePath is where the REST API lives; the zone lookup answers
// URL()+BasePath+"/" as the zone's url.
const BasePath = "/atservicesrest"

// Company is an Autotask company, with the fields the connector uses.
type Company struct {
	ID              int    `json:"id"`
	CompanyName     string `json:"companyName"`
	CompanyNumber   string `json:"companyNumber,omitempty"`
	CompanyType     int    `json:"companyType"`
	IsActive        bool   `json:"isActive"`
	WebAddress      string `json:"webAddress,omitempty"`
	Phone           string `json:"phone,omitempty"`
	ParentCompanyID *int   `json:"parentCompanyID"`
}

// Ticket is an Autotask ticket, with the fields the connector uses.
type Ticket struct {
	ID           int    `json:"id"`
	TicketNumber string `json:"ticketNumber"`
	CompanyID    int    `json:"companyID"`
	Title        string `json:"title"`
	Description  string `json:"description,omitempty"`
	Status       int    `json:"status"`
	Priority     int    `json:"priority"`
	QueueID      *int   `json:"queueID"`
	CreateDate   string `json:"createDate"`
}

// Company types (Autotask's picklist values).
const (
	TypeCustomer = 1
	TypeLead     = 2
	TypeProspect = 3
	TypeVendor   = 7
)

// Options set up a fake.
type Options struct {
	// User, IntegrationCode and Secret are the only credentials accepted.
	// Defaults "api@roost.example", "ROOSTTRACKINGID" and "roost-secret".
	User, IntegrationCode, Secret string
	// Companies; nil makes Count fake customers, with every tenth one a
	// vendor and every fifteenth inactive.
	Companies []Company
	// Count is how many fake companies to make when Companies is nil.
	// Default 25.
	Count int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu         sync.Mutex
	companies  []Company
	tickets    []Ticket
	repeatPage bool
	zoneCalls  int
}

// Start starts a fake Autotask on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.User == "" {
		opts.User = "api@roost.example"
	}
	if opts.IntegrationCode == "" {
		opts.IntegrationCode = "ROOSTTRACKINGID"
	}
	if opts.Secret == "" {
		opts.Secret = "roost-secret"
	}
	s := &Server{opts: opts, companies: opts.Companies}
	if s.companies == nil {
		n := opts.Count
		if n <= 0 {
			n = 25
		}
		s.companies = MakeCompanies(fakedata.Companies(n, 3))
	}
	v := BasePath + "/V1.0"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BasePath+"/v1.0/zoneInformation", s.zone)
	mux.HandleFunc("GET "+v+"/Companies/query", s.authed(s.query("Companies")))
	mux.HandleFunc("POST "+v+"/Companies/query", s.authed(s.query("Companies")))
	mux.HandleFunc("GET "+v+"/Companies/query/count", s.authed(s.count("Companies")))
	mux.HandleFunc("POST "+v+"/Companies/query/count", s.authed(s.count("Companies")))
	mux.HandleFunc("GET "+v+"/Companies/query/next", s.authed(s.next))
	mux.HandleFunc("GET "+v+"/Companies/{id}", s.authed(s.getCompany))
	mux.HandleFunc("GET "+v+"/Tickets/query", s.authed(s.query("Tickets")))
	mux.HandleFunc("POST "+v+"/Tickets/query", s.authed(s.query("Tickets")))
	mux.HandleFunc("GET "+v+"/Tickets/query/next", s.authed(s.next))
	mux.HandleFunc("GET "+v+"/Tickets/{id}", s.authed(s.getTicket))
	mux.HandleFunc("POST "+v+"/Tickets", s.authed(s.createTicket))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		atError(w, http.StatusTooManyRequests, fmt.Sprintf("API request threshold exceeded; retry after %d seconds", after))
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// ZoneLookupURL is what the connector's zone_lookup_url is set to.
func (s *Server) ZoneLookupURL() string { return s.URL() + BasePath }

// MakeCompanies turns fake companies into Autotask ones with ids from 300.
func MakeCompanies(cs []fakedata.Company) []Company {
	out := make([]Company, len(cs))
	for i, c := range cs {
		typ := TypeCustomer
		if i%10 == 9 {
			typ = TypeVendor
		}
		out[i] = Company{ID: 300 + i, CompanyName: c.Name, CompanyNumber: fmt.Sprintf("C%05d", 300+i),
			CompanyType: typ, IsActive: i%15 != 14, WebAddress: "www." + c.Domain, Phone: "555-0100"}
	}
	return out
}

// Companies returns the fake's companies.
func (s *Server) Companies() []Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Company(nil), s.companies...)
}

// Tickets returns the tickets created so far.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ticket(nil), s.tickets...)
}

// ZoneLookups counts the zoneInformation requests answered.
func (s *Server) ZoneLookups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.zoneCalls
}

// RepeatPage makes every nextPageUrl lead back to the page it came with:
// a broken server a client must not loop on.
func (s *Server) RepeatPage(on bool) {
	s.mu.Lock()
	s.repeatPage = on
	s.mu.Unlock()
}

func atError(w http.ResponseWriter, status int, msg ...string) {
	fakehttp.WriteJSON(w, status, map[string]any{"errors": msg})
}

func (s *Server) zone(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	s.mu.Lock()
	s.zoneCalls++
	s.mu.Unlock()
	if !strings.EqualFold(user, s.opts.User) {
		// Autotask answers an unknown user with a 500 and this message.
		atError(w, 500, "Zone information could not be determined")
		return
	}
	base := "http://" + r.Host + BasePath + "/"
	fakehttp.WriteJSON(w, 200, map[string]any{"zoneName": "Fake Zone", "url": base,
		"webUrl": "http://" + r.Host + "/", "ci": 99})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code, user, secret := r.Header.Get("ApiIntegrationCode"), r.Header.Get("UserName"), r.Header.Get("Secret")
		if code == "" || user == "" || secret == "" {
			atError(w, 401, "Missing ApiIntegrationCode, UserName or Secret header")
			return
		}
		if code != s.opts.IntegrationCode || !strings.EqualFold(user, s.opts.User) || secret != s.opts.Secret {
			atError(w, 401, "Unauthorized: the UserName, Secret or ApiIntegrationCode is not valid")
			return
		}
		h(w, r)
	}
}

// A Filter is one element of a query's filter array.
type Filter struct {
	Op    string   `json:"op"`
	Field string   `json:"field"`
	Value any      `json:"value"`
	Items []Filter `json:"items"`
}

// Query is Autotask's QueryModel.
type Query struct {
	Filter        []Filter `json:"filter"`
	MaxRecords    int      `json:"MaxRecords"`
	IncludeFields []string `json:"IncludeFields"`
}

// paging is what an opaque paging token stands for.
type paging struct {
	Entity string `json:"e"`
	Query  Query  `json:"q"`
	After  int    `json:"a"` // the id the next page starts after
}

func (s *Server) readQuery(r *http.Request) (Query, error) {
	var q Query
	raw := r.URL.Query().Get("search")
	if r.Method == "POST" {
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			return q, fmt.Errorf("the body is not a query: %v", err)
		}
	} else if err := json.Unmarshal([]byte(raw), &q); err != nil {
		return q, fmt.Errorf("search is not a query: %v", err)
	}
	if len(q.Filter) == 0 {
		return q, fmt.Errorf("a query must have at least one filter")
	}
	if q.MaxRecords == 0 {
		q.MaxRecords = 500
	}
	if q.MaxRecords < 1 || q.MaxRecords > 500 {
		return q, fmt.Errorf("MaxRecords must be between 1 and 500")
	}
	return q, nil
}

func (s *Server) rows(entity string) []map[string]any {
	var rows []map[string]any
	add := func(v any) {
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		rows = append(rows, m)
	}
	switch entity {
	case "Companies":
		for _, c := range s.companies {
			add(c)
		}
	case "Tickets":
		for _, t := range s.tickets {
			add(t)
		}
	}
	return rows
}

func (s *Server) query(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := s.readQuery(r)
		if err != nil {
			atError(w, 500, err.Error())
			return
		}
		s.answer(w, r, paging{Entity: entity, Query: q})
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	raw, err := base64.RawURLEncoding.DecodeString(r.URL.Query().Get("paging"))
	var p paging
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil {
		atError(w, 500, "The paging token is not valid")
		return
	}
	s.answer(w, r, p)
}

// answer writes the page of p's query after p.After, ordered by id.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, p paging) {
	s.mu.Lock()
	rows := s.rows(p.Entity)
	repeat := s.repeatPage
	s.mu.Unlock()
	var match []map[string]any
	for _, row := range rows {
		ok, err := matchAll(row, p.Query.Filter)
		if err != nil {
			atError(w, 500, err.Error())
			return
		}
		if ok && id(row) > p.After {
			match = append(match, row)
		}
	}
	sort.Slice(match, func(i, j int) bool { return id(match[i]) < id(match[j]) })
	page := match[:min(len(match), p.Query.MaxRecords)]
	var next any
	if len(match) > len(page) {
		np := p
		if !repeat {
			np.After = id(page[len(page)-1])
		}
		b, _ := json.Marshal(np)
		next = "http://" + r.Host + BasePath + "/V1.0/" + p.Entity + "/query/next?paging=" + base64.RawURLEncoding.EncodeToString(b)
	}
	if len(p.Query.IncludeFields) > 0 {
		for i, row := range page {
			keep := map[string]any{"id": row["id"]}
			for _, f := range p.Query.IncludeFields {
				for k, v := range row {
					if strings.EqualFold(k, f) {
						keep[k] = v
					}
				}
			}
			page[i] = keep
		}
	}
	if page == nil {
		page = []map[string]any{}
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"items": page, "pageDetails": map[string]any{
		"count": len(page), "requestCount": p.Query.MaxRecords, "prevPageUrl": nil, "nextPageUrl": next}})
}

func (s *Server) count(entity string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := s.readQuery(r)
		if err != nil {
			atError(w, 500, err.Error())
			return
		}
		s.mu.Lock()
		rows := s.rows(entity)
		s.mu.Unlock()
		n := 0
		for _, row := range rows {
			ok, err := matchAll(row, q.Filter)
			if err != nil {
				atError(w, 500, err.Error())
				return
			}
			if ok {
				n++
			}
		}
		fakehttp.WriteJSON(w, 200, map[string]int{"queryCount": n})
	}
}

func id(row map[string]any) int {
	f, _ := row["id"].(float64)
	return int(f)
}

func matchAll(row map[string]any, fs []Filter) (bool, error) {
	for _, f := range fs {
		ok, err := match(row, f)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// field finds a row's field case-insensitively, as Autotask does.
func field(row map[string]any, name string) (any, bool) {
	for k, v := range row {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func match(row map[string]any, f Filter) (bool, error) {
	switch strings.ToLower(f.Op) {
	case "and":
		return matchAll(row, f.Items)
	case "or":
		for _, it := range f.Items {
			if ok, err := match(row, it); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	v, ok := field(row, f.Field)
	if !ok {
		return false, fmt.Errorf("Unable to find %s in the entity", f.Field)
	}
	str := func(x any) string { return strings.ToLower(fmt.Sprint(x)) }
	num := func(x any) (float64, bool) {
		switch n := x.(type) {
		case float64:
			return n, true
		case string:
			f, err := strconv.ParseFloat(n, 64)
			return f, err == nil
		}
		return 0, false
	}
	cmp := func() (int, error) {
		a, ok1 := num(v)
		b, ok2 := num(f.Value)
		if !ok1 || !ok2 {
			return strings.Compare(str(v), str(f.Value)), nil
		}
		switch {
		case a < b:
			return -1, nil
		case a > b:
			return 1, nil
		}
		return 0, nil
	}
	switch strings.ToLower(f.Op) {
	case "eq", "noteq":
		c, _ := cmp()
		return (c == 0) == (strings.ToLower(f.Op) == "eq"), nil
	case "gt", "gte", "lt", "lte":
		c, _ := cmp()
		switch strings.ToLower(f.Op) {
		case "gt":
			return c > 0, nil
		case "gte":
			return c >= 0, nil
		case "lt":
			return c < 0, nil
		}
		return c <= 0, nil
	case "contains":
		return strings.Contains(str(v), str(f.Value)), nil
	case "beginswith":
		return strings.HasPrefix(str(v), str(f.Value)), nil
	case "endswith":
		return strings.HasSuffix(str(v), str(f.Value)), nil
	case "exist":
		return v != nil && v != "", nil
	case "notexist":
		return v == nil || v == "", nil
	case "in", "notin":
		list, _ := f.Value.([]any)
		in := false
		for _, x := range list {
			if str(x) == str(v) {
				in = true
			}
		}
		return in == (strings.ToLower(f.Op) == "in"), nil
	}
	return false, fmt.Errorf("Unknown filter operation %q", f.Op)
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.companies {
		if c.ID == n {
			fakehttp.WriteJSON(w, 200, map[string]any{"item": c})
			return
		}
	}
	// Autotask answers a missing entity with 200 and a null item.
	fakehttp.WriteJSON(w, 200, map[string]any{"item": nil})
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tickets {
		if t.ID == n {
			fakehttp.WriteJSON(w, 200, map[string]any{"item": t})
			return
		}
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"item": nil})
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	var t Ticket
	if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
		atError(w, 500, "The request body is not a ticket: "+err.Error())
		return
	}
	var missing []string
	if t.CompanyID == 0 {
		missing = append(missing, "companyID")
	}
	if strings.TrimSpace(t.Title) == "" {
		missing = append(missing, "title")
	}
	if t.Status == 0 {
		missing = append(missing, "status")
	}
	if t.Priority == 0 {
		missing = append(missing, "priority")
	}
	if len(missing) > 0 {
		msgs := make([]string, len(missing))
		for i, m := range missing {
			msgs[i] = "Missing Required Field: " + m
		}
		atError(w, 500, msgs...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, c := range s.companies {
		found = found || c.ID == t.CompanyID
	}
	if !found {
		atError(w, 500, fmt.Sprintf("Value %d for companyID does not exist", t.CompanyID))
		return
	}
	t.ID = 9000 + len(s.tickets)
	t.TicketNumber = fmt.Sprintf("T%s.%04d", time.Now().UTC().Format("20060102"), len(s.tickets)+1)
	t.CreateDate = time.Now().UTC().Format(time.RFC3339)
	s.tickets = append(s.tickets, t)
	fakehttp.WriteJSON(w, 200, map[string]int{"itemId": t.ID})
}
