// Package connectwise is a local fake of the ConnectWise PSA (Manage) REST
// API under /v4_6_release/apis/3.0, enough for the ConnectWise connector:
// HTTP Basic auth as "companyId+publicKey:privateKey" plus a clientId
// header, companies at GET /company/companies with page/pageSize (at most
// 1,000) and RFC 8288 Link headers, conditions such as
// `name like "Acme%"`, and service tickets. It can rate-limit (429 with
// Retry-After) and misbehave by linking a page to itself.
package connectwise

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/internal/fakehttp"
)

// BasePath is where the API lives on a ConnectWise site.
const BasePath = "/v4_6_release/apis/3.0"

// Company is a ConnectWise company, with the fields the connector uses.
type Company struct {
	ID         int               `json:"id"`
	Identifier string            `json:"identifier"`
	Name       string            `json:"name"`
	Website    string            `json:"website,omitempty"`
	Status     *Ref              `json:"status,omitempty"`
	Deleted    bool              `json:"deletedFlag"`
	Info       map[string]string `json:"_info,omitempty"`
}

// Ref is ConnectWise's reference to another record.
type Ref struct {
	ID   int    `json:"id"`
	Name string `json:"name,omitempty"`
}

// Ticket is a ConnectWise service ticket.
type Ticket struct {
	ID                 int    `json:"id"`
	Summary            string `json:"summary"`
	Company            *Ref   `json:"company"`
	InitialDescription string `json:"initialDescription,omitempty"`
	Status             *Ref   `json:"status,omitempty"`
	DateEntered        string `json:"dateEntered,omitempty"`
}

// Options set up a fake.
type Options struct {
	// Company, PublicKey, PrivateKey and ClientID are the accepted
	// credentials. Defaults "roost", "pub", "priv" and a fixed GUID.
	Company, PublicKey, PrivateKey, ClientID string
	// Companies are the customers; nil makes Count fake ones.
	Companies []Company
	// Count is how many fake companies to make when Companies is nil.
	// Default 25.
	Count int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// DefaultClientID is the clientId the fake accepts unless told otherwise.
const DefaultClientID = "4a4cf1a5-2f44-4c0b-9b8d-6c2d52b4e0f1"

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	opts Options

	mu        sync.Mutex
	companies []Company
	tickets   []Ticket
	selfLink  bool
}

// Start starts a fake ConnectWise PSA on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.Company == "" {
		opts.Company = "roost"
	}
	if opts.PublicKey == "" {
		opts.PublicKey = "pub"
	}
	if opts.PrivateKey == "" {
		opts.PrivateKey = "priv"
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	s := &Server{opts: opts, companies: opts.Companies}
	if s.companies == nil {
		n := opts.Count
		if n <= 0 {
			n = 25
		}
		s.companies = MakeCompanies(fakedata.Companies(n, 2))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+BasePath+"/company/companies", s.authed(s.listCompanies))
	mux.HandleFunc("GET "+BasePath+"/company/companies/count", s.authed(s.countCompanies))
	mux.HandleFunc("GET "+BasePath+"/company/companies/{id}", s.authed(s.getCompany))
	mux.HandleFunc("GET "+BasePath+"/service/tickets", s.authed(s.listTickets))
	mux.HandleFunc("POST "+BasePath+"/service/tickets", s.authed(s.createTicket))
	srv, err := fakehttp.Start(opts.Addr, mux)
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// BaseURL is the API base a connector is configured with.
func (s *Server) BaseURL() string { return s.URL() + BasePath }

// MakeCompanies turns fake companies into ConnectWise ones with ids from 250.
func MakeCompanies(cs []fakedata.Company) []Company {
	out := make([]Company, len(cs))
	for i, c := range cs {
		ident := strings.ToUpper(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, strings.TrimSuffix(c.Domain, ".example")))
		if len(ident) > 20 {
			ident = ident[:20]
		}
		out[i] = Company{ID: 250 + i, Identifier: fmt.Sprintf("%s%d", ident, i), Name: c.Name,
			Website: "www." + c.Domain, Status: &Ref{ID: 1, Name: "Active"}}
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

// SelfLink makes the company list's rel="next" point at the page itself: a
// broken server a client must not loop on.
func (s *Server) SelfLink(on bool) {
	s.mu.Lock()
	s.selfLink = on
	s.mu.Unlock()
}

func cwError(w http.ResponseWriter, status int, code, msg string) {
	fakehttp.WriteJSON(w, status, map[string]any{"code": code, "message": msg})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		company, public, _ := strings.Cut(user, "+")
		if !ok || company != s.opts.Company || public != s.opts.PublicKey || pass != s.opts.PrivateKey {
			cwError(w, 401, "Unauthorized", "Basic authentication failed: expected companyId+publicKey:privateKey")
			return
		}
		if r.Header.Get("clientId") != s.opts.ClientID {
			cwError(w, 401, "Unauthorized", "A valid clientId header is required")
			return
		}
		w.Header().Set("Content-Type", "application/vnd.connectwise.com+json; version=2025.8")
		h(w, r)
	}
}

var likeCond = regexp.MustCompile(`^\s*name\s+like\s+"([^"]*)"\s*$`)

// filter applies the conditions the fake understands: name like "…%" and
// deletedFlag=false.
func (s *Server) filter(cond string) ([]Company, error) {
	var pattern *regexp.Regexp
	for _, part := range splitAnd(cond) {
		switch {
		case strings.ReplaceAll(part, " ", "") == "deletedFlag=false":
		case likeCond.MatchString(part):
			like := likeCond.FindStringSubmatch(part)[1]
			re := "(?i)^" + strings.ReplaceAll(regexp.QuoteMeta(like), "%", ".*") + "$"
			pattern = regexp.MustCompile(re)
		default:
			return nil, fmt.Errorf("the fake does not understand the condition %q", part)
		}
	}
	var out []Company
	for _, c := range s.companies {
		if c.Deleted || (pattern != nil && !pattern.MatchString(c.Name)) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func splitAnd(cond string) []string {
	if strings.TrimSpace(cond) == "" {
		return nil
	}
	return regexp.MustCompile(`(?i)\s+and\s+`).Split(cond, -1)
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, size := 1, 25
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			cwError(w, 400, "InvalidObject", "page must be a positive integer")
			return
		}
		page = n
	}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			cwError(w, 400, "InvalidObject", "pageSize must be between 1 and 1000")
			return
		}
		size = n
	}
	s.mu.Lock()
	match, err := s.filter(q.Get("conditions"))
	self := s.selfLink
	s.mu.Unlock()
	if err != nil {
		cwError(w, 400, "InvalidObject", err.Error())
		return
	}
	last := max(1, (len(match)+size-1)/size)
	link := func(p int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("pageSize", strconv.Itoa(size))
		return "<http://" + r.Host + r.URL.Path + "?" + q.Encode() + ">"
	}
	var links []string
	switch {
	case self:
		links = append(links, link(page)+`; rel="next"`)
	case page < last:
		links = append(links, link(page+1)+`; rel="next"`, link(last)+`; rel="last"`)
	}
	if page > 1 {
		links = append(links, link(page-1)+`; rel="prev"`, link(1)+`; rel="first"`)
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo := min((page-1)*size, len(match))
	out := match[lo:min(lo+size, len(match))]
	if out == nil {
		out = []Company{}
	}
	w.Header().Set("Content-Type", "application/vnd.connectwise.com+json; version=2025.8")
	w.WriteHeader(200)
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) countCompanies(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	match, err := s.filter(r.URL.Query().Get("conditions"))
	s.mu.Unlock()
	if err != nil {
		cwError(w, 400, "InvalidObject", err.Error())
		return
	}
	fakehttp.WriteJSON(w, 200, map[string]int{"count": len(match)})
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.companies {
		if c.ID == id {
			fakehttp.WriteJSON(w, 200, c)
			return
		}
	}
	cwError(w, 404, "NotFound", fmt.Sprintf("Company with id %d not found", id))
}

var companyCond = regexp.MustCompile(`^\s*company/id\s*=\s*(\d+)\s*$`)

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	cond := r.URL.Query().Get("conditions")
	want := 0
	if cond != "" {
		m := companyCond.FindStringSubmatch(cond)
		if m == nil {
			cwError(w, 400, "InvalidObject", fmt.Sprintf("the fake does not understand the condition %q", cond))
			return
		}
		want, _ = strconv.Atoi(m[1])
	}
	s.mu.Lock()
	out := []Ticket{}
	for _, t := range s.tickets {
		if want == 0 || t.Company.ID == want {
			out = append(out, t)
		}
	}
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, out)
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	var t Ticket
	if err := json.NewDecoder(r.Body).Decode(&t); err != nil {
		cwError(w, 400, "InvalidObject", "the body must be a ticket object: "+err.Error())
		return
	}
	if strings.TrimSpace(t.Summary) == "" || t.Company == nil {
		cwError(w, 400, "InvalidObject", "summary and company are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, c := range s.companies {
		if c.ID == t.Company.ID {
			found, t.Company.Name = true, c.Name
		}
	}
	if !found {
		cwError(w, 400, "InvalidObject", fmt.Sprintf("company %d does not exist", t.Company.ID))
		return
	}
	t.ID = 5000 + len(s.tickets)
	t.Status = &Ref{ID: 1, Name: "New"}
	t.DateEntered = time.Now().UTC().Format(time.RFC3339)
	s.tickets = append(s.tickets, t)
	fakehttp.WriteJSON(w, 201, t)
}
