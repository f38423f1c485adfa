// Package halopsa is a local fake of the HaloPSA API, enough for the
// HaloPSA connector: OAuth2 client credentials at POST /auth/token, clients
// at GET /api/Client (pageinate, page_size, page_no, search, count), and
// tickets at GET and POST /api/Tickets. Requests without a valid bearer
// token get 401; tokens expire; the server can be told to rate-limit (429
// with Retry-After) or to misbehave by repeating its first page forever.
package halopsa

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/internal/fakehttp"
)

// Client is a HaloPSA customer ("client" in Halo's words).
type Client struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Website      string `json:"website,omitempty"`
	TopLevelID   int    `json:"toplevel_id"`
	TopLevelName string `json:"toplevel_name"`
	Inactive     bool   `json:"inactive"`
}

// Ticket is a HaloPSA ticket, with the fields the connector uses.
type Ticket struct {
	ID         int    `json:"id"`
	ClientID   int    `json:"client_id"`
	ClientName string `json:"client_name,omitempty"`
	Summary    string `json:"summary"`
	Details    string `json:"details,omitempty"`
	Status     string `json:"status_name,omitempty"`
	Priority   int    `json:"priority_id,omitempty"`
	DateOpened string `json:"dateoccurred,omitempty"`
}

// Options set up a fake.
type Options struct {
	// ClientID and ClientSecret are the only credentials accepted.
	// Defaults "roost-client" and "roost-secret".
	ClientID, ClientSecret string
	// Tenant, if set, must be given as ?tenant= on /auth/token.
	Tenant string
	// Clients are the customers; nil makes Count fake ones.
	Clients []Client
	// Count is how many fake clients to make when Clients is nil.
	// Default 25.
	Count int
	// TokenLifetime is the expires_in of issued tokens. Default 1h.
	TokenLifetime time.Duration
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	opts Options

	mu          sync.Mutex
	tokens      map[string]time.Time
	clients     []Client
	tickets     []Ticket
	repeatPages bool
	tokenCount  int
}

// Start starts a fake HaloPSA on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = "roost-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "roost-secret"
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	s := &Server{opts: opts, tokens: map[string]time.Time{}, clients: opts.Clients}
	if s.clients == nil {
		n := opts.Count
		if n <= 0 {
			n = 25
		}
		s.clients = MakeClients(fakedata.Companies(n, 1))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/token", s.token)
	mux.HandleFunc("GET /api/Client", s.authed(s.listClients))
	mux.HandleFunc("GET /api/Client/{id}", s.authed(s.getClient))
	mux.HandleFunc("GET /api/Tickets", s.authed(s.listTickets))
	mux.HandleFunc("POST /api/Tickets", s.authed(s.createTickets))
	srv, err := fakehttp.Start(opts.Addr, mux)
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// MakeClients turns fake companies into Halo clients with ids from 100.
func MakeClients(cs []fakedata.Company) []Client {
	out := make([]Client, len(cs))
	for i, c := range cs {
		out[i] = Client{ID: 100 + i, Name: c.Name, Website: "https://www." + c.Domain, TopLevelID: 1, TopLevelName: "Customers"}
	}
	return out
}

// Clients returns the fake's clients.
func (s *Server) Clients() []Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Client(nil), s.clients...)
}

// Tickets returns the tickets created so far.
func (s *Server) Tickets() []Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ticket(nil), s.tickets...)
}

// TokensIssued counts the tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// RevokeTokens makes every issued token invalid, as a password change or
// an administrator would.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// RepeatPages makes /api/Client answer its first page for any page_no and
// claim there are always more: a broken server a client must not loop on.
func (s *Server) RepeatPages(on bool) {
	s.mu.Lock()
	s.repeatPages = on
	s.mu.Unlock()
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if s.opts.Tenant != "" && r.URL.Query().Get("tenant") != s.opts.Tenant {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": "unknown tenant"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID || r.PostForm.Get("client_secret") != s.opts.ClientSecret {
		fakehttp.WriteJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "The client id or secret is wrong"})
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.opts.TokenLifetime)
	s.tokenCount++
	s.mu.Unlock()
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = "all"
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(s.opts.TokenLifetime / time.Second), "scope": scope})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			fakehttp.WriteJSON(w, 401, map[string]string{"error": "invalid_token", "message": "Unauthorized"})
			return
		}
		h(w, r)
	}
}

func truthy(v string) bool { return strings.EqualFold(v, "true") || v == "1" }

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	all := s.clients
	repeat := s.repeatPages
	s.mu.Unlock()
	search := strings.ToLower(q.Get("search"))
	match := make([]Client, 0, len(all))
	for _, c := range all {
		if c.Inactive && !truthy(q.Get("includeinactive")) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(c.Name), search) {
			continue
		}
		match = append(match, c)
	}
	total := len(match)
	if truthy(q.Get("pageinate")) {
		size, err1 := strconv.Atoi(q.Get("page_size"))
		page, err2 := strconv.Atoi(q.Get("page_no"))
		if err1 != nil || err2 != nil || size < 1 || page < 1 {
			fakehttp.WriteJSON(w, 400, map[string]string{"error": "page_size and page_no must be positive integers when pageinate is true"})
			return
		}
		if repeat {
			page, total = 1, 1<<30
		}
		lo := min((page-1)*size, len(match))
		match = match[lo:min(lo+size, len(match))]
	} else if n, err := strconv.Atoi(q.Get("count")); err == nil && n >= 0 {
		match = match[:min(n, len(match))]
	}
	if match == nil {
		match = []Client{}
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"record_count": total, "clients": match})
}

func (s *Server) getClient(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if c.ID == id {
			fakehttp.WriteJSON(w, 200, c)
			return
		}
	}
	fakehttp.WriteJSON(w, 404, map[string]string{"error": "Client not found"})
}

func (s *Server) findClient(id int) (Client, bool) {
	for _, c := range s.clients {
		if c.ID == id {
			return c, true
		}
	}
	return Client{}, false
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID, _ := strconv.Atoi(q.Get("client_id"))
	s.mu.Lock()
	var out []Ticket
	for _, t := range s.tickets {
		if clientID == 0 || t.ClientID == clientID {
			out = append(out, t)
		}
	}
	s.mu.Unlock()
	if out == nil {
		out = []Ticket{}
	}
	fakehttp.WriteJSON(w, 200, map[string]any{"record_count": len(out), "tickets": out})
}

// createTickets follows Halo's convention: the body is an array of
// tickets, and the answer is the (last) created ticket.
func (s *Server) createTickets(w http.ResponseWriter, r *http.Request) {
	var in []Ticket
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in) == 0 {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "the body must be a JSON array of tickets"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var last Ticket
	for _, t := range in {
		c, ok := s.findClient(t.ClientID)
		if !ok {
			fakehttp.WriteJSON(w, 400, map[string]string{"error": "client_id " + strconv.Itoa(t.ClientID) + " does not exist"})
			return
		}
		if strings.TrimSpace(t.Summary) == "" {
			fakehttp.WriteJSON(w, 400, map[string]string{"error": "summary is required"})
			return
		}
		t.ID = 1000 + len(s.tickets)
		t.ClientName = c.Name
		t.Status = "New"
		t.DateOpened = time.Now().UTC().Format(time.RFC3339)
		s.tickets = append(s.tickets, t)
		last = t
	}
	fakehttp.WriteJSON(w, 201, last)
}
