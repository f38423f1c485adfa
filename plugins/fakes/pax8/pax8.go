// Package pax8 is a local fake of the Pax8 partner API (v1), enough for
// the Pax8 connector: OAuth2 client credentials at POST /oauth/token with
// a JSON body naming the audience api://p8p.client (Pax8's token service
// is Auth0), companies at GET /v1/companies and subscriptions at GET
// /v1/subscriptions with 0-based page and size (at most 200) and a
// {content, page{size, totalElements, totalPages, number}} envelope,
// single companies and subscriptions, and quantity changes with PUT
// /v1/subscriptions/{id}. Errors come as {type, message, instance, status,
// details}. Requests without a valid bearer token get 401. It can
// rate-limit (429 with Retry-After) and misbehave by ignoring page, so
// every page is the first.
package pax8

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/internal/fakehttp"
	"github.com/roosthq/roost/plugins/fakes/internal/ratelimit"
)

// Audience is the audience Pax8 tokens are asked for.
const Audience = "api://p8p.client"

// Address is a company's address.
type Address struct {
	Street          string `json:"street"`
	City            string `json:"city"`
	StateOrProvince string `json:"stateOrProvince"`
	PostalCode      string `json:"postalCode"`
	Country         string `json:"country"`
}

// Company is a Pax8 company (a partner's customer).
type Company struct {
	ID                    string  `json:"id"`
	Name                  string  `json:"name"`
	Address               Address `json:"address"`
	Phone                 string  `json:"phone"`
	Website               string  `json:"website"`
	ExternalID            string  `json:"externalId,omitempty"`
	BillOnBehalfOfEnabled bool    `json:"billOnBehalfOfEnabled"`
	SelfServiceAllowed    bool    `json:"selfServiceAllowed"`
	OrderApprovalRequired bool    `json:"orderApprovalRequired"`
	Status                string  `json:"status"`
	UpdatedDate           string  `json:"updatedDate"`
}

// Subscription is a Pax8 subscription.
type Subscription struct {
	ID           string  `json:"id"`
	CompanyID    string  `json:"companyId"`
	ProductID    string  `json:"productId"`
	Quantity     int     `json:"quantity"`
	StartDate    string  `json:"startDate"`
	CreatedDate  string  `json:"createdDate"`
	UpdatedDate  string  `json:"updatedDate"`
	BillingStart string  `json:"billingStart"`
	Status       string  `json:"status"`
	Price        float64 `json:"price"`
	BillingTerm  string  `json:"billingTerm"`
}

// Products the fake sells, by id.
var Products = map[string]string{
	"a1f0c1d2-0000-4000-8000-000000000001": "Microsoft 365 Business Premium",
	"a1f0c1d2-0000-4000-8000-000000000002": "Microsoft 365 Business Basic",
	"a1f0c1d2-0000-4000-8000-000000000003": "Exchange Online (Plan 1)",
}

// Options set up a fake.
type Options struct {
	// ClientID and ClientSecret are the only credentials accepted.
	// Defaults "roost-client" and "roost-secret".
	ClientID, ClientSecret string
	// AcceptMissingAudience issues tokens for requests that name no
	// audience, as an Auth0 tenant with a default audience would; false is
	// Pax8's contract (the audience is required).
	AcceptMissingAudience bool
	// Count is how many fake companies to make. Default 25; every tenth
	// is Inactive.
	Count int
	// SubscriptionsPerCompany, default 2.
	SubscriptionsPerCompany int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu         sync.Mutex
	tokens     map[string]bool
	tokenCount int
	companies  []Company
	subs       []Subscription
	ignorePage bool
}

func uuid(kind, i int) string {
	return fmt.Sprintf("%08x-%04x-4000-8000-%012x", 0x8a000000+kind, i>>16, i&0xffff)
}

// Start starts a fake Pax8 on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = "roost-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "roost-secret"
	}
	if opts.Count <= 0 {
		opts.Count = 25
	}
	if opts.SubscriptionsPerCompany <= 0 {
		opts.SubscriptionsPerCompany = 2
	}
	s := &Server{opts: opts, tokens: map[string]bool{}}
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000Z")
	products := []string{"a1f0c1d2-0000-4000-8000-000000000001", "a1f0c1d2-0000-4000-8000-000000000002", "a1f0c1d2-0000-4000-8000-000000000003"}
	for i, c := range fakedata.Companies(opts.Count, 7) {
		co := Company{ID: uuid(1, i), Name: c.Name, Phone: "+1 555 0100", Website: "https://www." + c.Domain, Status: "Active",
			Address:               Address{Street: strconv.Itoa(100+i) + " Main St", City: "Denver", StateOrProvince: "CO", PostalCode: "80202", Country: "US"},
			BillOnBehalfOfEnabled: true, UpdatedDate: day}
		if i%10 == 9 {
			co.Status = "Inactive"
		}
		if i%3 == 0 {
			co.ExternalID = strconv.Itoa(250 + i)
		}
		s.companies = append(s.companies, co)
		for j := 0; j < opts.SubscriptionsPerCompany; j++ {
			s.subs = append(s.subs, Subscription{ID: uuid(2, len(s.subs)), CompanyID: co.ID, ProductID: products[j%len(products)],
				Quantity: 5 + i%20, StartDate: day, CreatedDate: day, UpdatedDate: day, BillingStart: day, Status: "Active",
				Price: 22.0, BillingTerm: "Monthly"})
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", s.token)
	mux.HandleFunc("GET /v1/companies", s.authed(s.listCompanies))
	mux.HandleFunc("GET /v1/companies/{id}", s.authed(s.getCompany))
	mux.HandleFunc("GET /v1/subscriptions", s.authed(s.listSubs))
	mux.HandleFunc("GET /v1/subscriptions/{id}", s.authed(s.getSub))
	mux.HandleFunc("PUT /v1/subscriptions/{id}", s.authed(s.updateSub))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		pax8Error(w, r, http.StatusTooManyRequests, "Rate limit exceeded; retry in "+strconv.Itoa(after)+" seconds")
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// BaseURL is the API base a connector is configured with.
func (s *Server) BaseURL() string { return s.URL() + "/v1" }

// TokenURL is the token endpoint a connector is configured with.
func (s *Server) TokenURL() string { return s.URL() + "/oauth/token" }

// Companies returns the fake's companies.
func (s *Server) Companies() []Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Company(nil), s.companies...)
}

// Subscriptions returns the fake's subscriptions.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Subscription(nil), s.subs...)
}

// TokensIssued counts the tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// IgnorePage makes the lists answer page 0 whatever page is asked.
func (s *Server) IgnorePage(on bool) {
	s.mu.Lock()
	s.ignorePage = on
	s.mu.Unlock()
}

func pax8Error(w http.ResponseWriter, r *http.Request, status int, msg string, details ...string) {
	if details == nil {
		details = []string{}
	}
	fakehttp.WriteJSON(w, status, map[string]any{"type": "https://api.pax8.com/errors/" + strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "-")),
		"message": msg, "instance": r.URL.Path, "status": status, "details": details})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Audience     string `json:"audience"`
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "the request body must be JSON"})
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if in.GrantType != "client_credentials" {
		fakehttp.WriteJSON(w, 403, map[string]string{"error": "unauthorized_client", "error_description": "Grant type '" + in.GrantType + "' not allowed for the client."})
		return
	}
	if in.ClientID != s.opts.ClientID || in.ClientSecret != s.opts.ClientSecret {
		fakehttp.WriteJSON(w, 401, map[string]string{"error": "access_denied", "error_description": "Unauthorized"})
		return
	}
	if in.Audience == "" && !s.opts.AcceptMissingAudience {
		fakehttp.WriteJSON(w, 403, map[string]string{"error": "access_denied", "error_description": "No audience parameter was provided, and no default audience has been configured"})
		return
	}
	if in.Audience != "" && in.Audience != Audience {
		fakehttp.WriteJSON(w, 403, map[string]string{"error": "access_denied", "error_description": "Service not found: " + in.Audience})
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.tokenCount++
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, map[string]any{"access_token": tok, "expires_in": 86400, "token_type": "Bearer"})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known {
			pax8Error(w, r, 401, "Unauthorized")
			return
		}
		h(w, r)
	}
}

// paged answers one 0-based page of items.
func paged[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) {
	q := r.URL.Query()
	number, size := 0, 10
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			pax8Error(w, r, 400, "Bad Request", "page must be a non-negative integer")
			return
		}
		number = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			pax8Error(w, r, 400, "Bad Request", "size must be between 1 and 200")
			return
		}
		size = n
	}
	s.mu.Lock()
	if s.ignorePage {
		number = 0
	}
	s.mu.Unlock()
	lo := min(number*size, len(items))
	content := items[lo:min(lo+size, len(items))]
	if content == nil {
		content = []T{}
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"content": content, "page": map[string]int{
		"size": size, "totalElements": len(items), "totalPages": (len(items) + size - 1) / size, "number": number}})
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	s.mu.Lock()
	var match []Company
	for _, c := range s.companies {
		if status == "" || strings.EqualFold(c.Status, status) {
			match = append(match, c)
		}
	}
	s.mu.Unlock()
	paged(s, w, r, match)
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.companies {
		if c.ID == r.PathValue("id") {
			fakehttp.WriteJSON(w, 200, c)
			return
		}
	}
	pax8Error(w, r, 404, "Company not found")
}

func (s *Server) listSubs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	var match []Subscription
	for _, sub := range s.subs {
		if (q.Get("companyId") == "" || sub.CompanyID == q.Get("companyId")) && (q.Get("status") == "" || strings.EqualFold(sub.Status, q.Get("status"))) {
			match = append(match, sub)
		}
	}
	s.mu.Unlock()
	paged(s, w, r, match)
}

func (s *Server) getSub(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		if sub.ID == r.PathValue("id") {
			fakehttp.WriteJSON(w, 200, sub)
			return
		}
	}
	pax8Error(w, r, 404, "Subscription not found")
}

func (s *Server) updateSub(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Quantity *int `json:"quantity"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Quantity == nil {
		pax8Error(w, r, 400, "Bad Request", "quantity is required")
		return
	}
	if *in.Quantity < 1 {
		pax8Error(w, r, 422, "Unprocessable Entity", "quantity must be at least 1")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sub := range s.subs {
		if sub.ID != r.PathValue("id") {
			continue
		}
		if sub.Status != "Active" {
			pax8Error(w, r, 422, "Unprocessable Entity", "only an Active subscription can be changed")
			return
		}
		s.subs[i].Quantity = *in.Quantity
		s.subs[i].UpdatedDate = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		fakehttp.WriteJSON(w, 200, s.subs[i])
		return
	}
	pax8Error(w, r, 404, "Subscription not found")
}
