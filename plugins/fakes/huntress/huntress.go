// Package huntress is a local fake of the Huntress API (v1), enough for
// the Huntress connector: HTTP Basic auth with an API key and secret, the
// account at GET /v1/account, organizations at GET and POST
// /v1/organizations, agents at GET /v1/agents and incident reports at GET
// /v1/incident_reports, each list paged by cursor (limit at most 500,
// page_token, and a pagination block with next_page_token and
// next_page_url) and filtered by organization_id. Errors come as
// {"status", "error"}. It can rate-limit (429 with Retry-After) and
// misbehave by handing out the same next_page_token forever.
package huntress

import (
	"encoding/base64"
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
	"github.com/roosthq/roost/plugins/fakes/internal/ratelimit"
)

// Organization is a Huntress organization (a customer).
type Organization struct {
	ID                  int    `json:"id"`
	Name                string `json:"name"`
	Key                 string `json:"key"`
	CreatedAt           string `json:"created_at"`
	UpdatedAt           string `json:"updated_at"`
	AccountID           int    `json:"account_id"`
	AgentsCount         int    `json:"agents_count"`
	IncidentReportCount int    `json:"incident_reports_count"`
}

// Agent is a Huntress agent, with the fields the connector uses.
type Agent struct {
	ID             int    `json:"id"`
	OrganizationID int    `json:"organization_id"`
	Hostname       string `json:"hostname"`
	Platform       string `json:"platform"`
	OS             string `json:"os"`
	Version        string `json:"version"`
	IPv4Address    string `json:"ipv4_address"`
	DefenderStatus string `json:"defender_status"`
	LastCallbackAt string `json:"last_callback_at"`
}

// IncidentReport is a Huntress incident report.
type IncidentReport struct {
	ID             int    `json:"id"`
	OrganizationID int    `json:"organization_id"`
	AgentID        int    `json:"agent_id"`
	Status         string `json:"status"`
	Severity       string `json:"severity"`
	Summary        string `json:"summary"`
	Platform       string `json:"platform"`
	SentAt         string `json:"sent_at"`
}

// Options set up a fake.
type Options struct {
	// APIKey and APISecret are the only credentials accepted. Defaults
	// "hk_roost" and "hs_roost".
	APIKey, APISecret string
	// Count is how many fake organizations to make. Default 25; each has
	// two agents, and every third one an open (sent) incident report.
	Count int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu      sync.Mutex
	orgs    []Organization
	agents  []Agent
	reports []IncidentReport
	stuck   bool
}

// Start starts a fake Huntress on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.APIKey == "" {
		opts.APIKey = "hk_roost"
	}
	if opts.APISecret == "" {
		opts.APISecret = "hs_roost"
	}
	if opts.Count <= 0 {
		opts.Count = 25
	}
	s := &Server{opts: opts}
	now := time.Now().UTC()
	ts := now.AddDate(0, -3, 0).Format(time.RFC3339)
	for i, c := range fakedata.Companies(opts.Count, 8) {
		o := Organization{ID: 40000 + i, Name: c.Name, Key: keyOf(c.Domain), CreatedAt: ts, UpdatedAt: ts, AccountID: 7, AgentsCount: 2}
		for j := 0; j < 2; j++ {
			s.agents = append(s.agents, Agent{ID: 900000 + len(s.agents), OrganizationID: o.ID, Hostname: fmt.Sprintf("%s-PC%d", strings.ToUpper(o.Key), j+1),
				Platform: "windows", OS: "Windows 11 Pro", Version: "0.14.6", IPv4Address: "10.0.0." + strconv.Itoa(10+j), DefenderStatus: "Healthy",
				LastCallbackAt: now.Add(-time.Duration(j) * time.Minute).Format(time.RFC3339)})
		}
		if i%3 == 0 {
			s.reports = append(s.reports, IncidentReport{ID: 3000 + len(s.reports), OrganizationID: o.ID, AgentID: s.agents[len(s.agents)-1].ID,
				Status: "sent", Severity: "high", Summary: "Malicious scheduled task persistence", Platform: "windows", SentAt: now.Add(-time.Hour).Format(time.RFC3339)})
			o.IncidentReportCount = 1
		}
		s.orgs = append(s.orgs, o)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/account", s.authed(s.account))
	mux.HandleFunc("GET /v1/organizations", s.authed(s.listOrgs))
	mux.HandleFunc("POST /v1/organizations", s.authed(s.createOrg))
	mux.HandleFunc("GET /v1/organizations/{id}", s.authed(s.getOrg))
	mux.HandleFunc("GET /v1/agents", s.authed(s.listAgents))
	mux.HandleFunc("GET /v1/incident_reports", s.authed(s.listReports))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		apiError(w, http.StatusTooManyRequests, "Rate limit exceeded; retry after "+strconv.Itoa(after)+" seconds")
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

func keyOf(domain string) string {
	k := strings.ReplaceAll(strings.TrimSuffix(domain, ".example"), ".", "-")
	if len(k) > 40 {
		k = k[:40]
	}
	return k
}

// Organizations returns the fake's organizations.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Organization(nil), s.orgs...)
}

// StuckCursor makes every list answer its first page with the same
// next_page_token: a broken server a client must not loop on.
func (s *Server) StuckCursor(on bool) {
	s.mu.Lock()
	s.stuck = on
	s.mu.Unlock()
}

func apiError(w http.ResponseWriter, status int, msg string) {
	fakehttp.WriteJSON(w, status, map[string]any{"status": status, "error": msg})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, secret, ok := r.BasicAuth()
		if !ok || key != s.opts.APIKey || secret != s.opts.APISecret {
			w.Header().Set("WWW-Authenticate", `Basic realm="Huntress API"`)
			apiError(w, 401, "Unauthorized: invalid API key or secret")
			return
		}
		h(w, r)
	}
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	fakehttp.WriteJSON(w, 200, map[string]any{"account": map[string]any{"id": 7, "name": "Roost MSP", "subdomain": "roost", "status": "enabled"}})
}

// page answers items, under key, one cursor page at a time. The token is
// the offset, base64-encoded (opaque to clients).
func page[T any](s *Server, w http.ResponseWriter, r *http.Request, key string, items []T) {
	q := r.URL.Query()
	limit, offset := 10, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			apiError(w, 400, "limit must be between 1 and 500")
			return
		}
		limit = n
	}
	if v := q.Get("page_token"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 {
			apiError(w, 400, "page_token is not valid")
			return
		}
		offset = n
	}
	s.mu.Lock()
	stuck := s.stuck
	s.mu.Unlock()
	if stuck {
		offset = 0
	}
	lo := min(offset, len(items))
	out := items[lo:min(lo+limit, len(items))]
	if out == nil {
		out = []T{}
	}
	pg := map[string]any{"current_page_count": len(out), "limit": limit, "total_count": len(items)}
	if lo+limit < len(items) {
		tok := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(lo + limit)))
		nq := r.URL.Query()
		nq.Set("page_token", tok)
		pg["next_page_token"] = tok
		pg["next_page_url"] = "http://" + r.Host + r.URL.Path + "?" + nq.Encode()
	}
	fakehttp.WriteJSON(w, 200, map[string]any{key: out, "pagination": pg})
}

func orgFilter(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("organization_id")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		apiError(w, 400, "organization_id must be an integer")
		return 0, false
	}
	return n, true
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := append([]Organization(nil), s.orgs...)
	s.mu.Unlock()
	page(s, w, r, "organizations", items)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if o.ID == id {
			fakehttp.WriteJSON(w, 200, map[string]any{"organization": o})
			return
		}
	}
	apiError(w, 404, "Organization not found")
}

var keyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		apiError(w, 400, "the body must be a JSON object")
		return
	}
	if strings.TrimSpace(in.Name) == "" || !keyRE.MatchString(in.Key) {
		apiError(w, 422, "name is required, and key must be lowercase letters, digits and dashes")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if o.Key == in.Key {
			apiError(w, 422, "key has already been taken")
			return
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	o := Organization{ID: 40000 + len(s.orgs), Name: in.Name, Key: in.Key, CreatedAt: now, UpdatedAt: now, AccountID: 7}
	s.orgs = append(s.orgs, o)
	fakehttp.WriteJSON(w, 201, map[string]any{"organization": o})
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request) {
	org, ok := orgFilter(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	var items []Agent
	for _, a := range s.agents {
		if org == 0 || a.OrganizationID == org {
			items = append(items, a)
		}
	}
	s.mu.Unlock()
	page(s, w, r, "agents", items)
}

func (s *Server) listReports(w http.ResponseWriter, r *http.Request) {
	org, ok := orgFilter(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	s.mu.Lock()
	var items []IncidentReport
	for _, ir := range s.reports {
		if (org == 0 || ir.OrganizationID == org) && (status == "" || ir.Status == status) {
			items = append(items, ir)
		}
	}
	s.mu.Unlock()
	page(s, w, r, "incident_reports", items)
}
