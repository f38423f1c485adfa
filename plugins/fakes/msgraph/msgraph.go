// Package msgraph is a local fake of what the Microsoft 365 connector
// uses of the Microsoft identity platform and Microsoft Graph v1.0, as a
// partner (CSP/GDAP) tenant sees them: client-credentials tokens at POST
// /{tenant}/oauth2/v2.0/token (only for the partner tenant, scope
// https://graph.microsoft.com/.default), the partner's customer contracts
// at GET /v1.0/contracts, GDAP relationships at GET and POST
// /v1.0/tenantRelationships/delegatedAdminRelationships (with
// $filter=customer/tenantId eq '…' and lockForApproval requests), and
// GDAP customers at GET /v1.0/tenantRelationships/delegatedAdminCustomers/{id}.
// Lists answer {"value": […], "@odata.nextLink": "…$skiptoken=…"}, $top
// sets the page size (up to 999 for contracts, 300 for relationships).
// Errors are Graph's {"error": {"code", "message", "innerError"}} and the
// identity platform's {"error", "error_description", "error_codes"}. It
// can throttle (429 with Retry-After) and misbehave by handing out a
// nextLink to the same page.
package msgraph

import (
	"crypto/rand"
	"encoding/hex"
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

// GraphScope is the only scope the fake issues tokens for.
const GraphScope = "https://graph.microsoft.com/.default"

// Contract is a partner's contract with a customer tenant.
type Contract struct {
	ID                string `json:"id"`
	ContractType      string `json:"contractType"`
	CustomerID        string `json:"customerId"`
	DefaultDomainName string `json:"defaultDomainName"`
	DisplayName       string `json:"displayName"`
}

// Customer names a customer tenant in a relationship.
type Customer struct {
	TenantID    string `json:"tenantId"`
	DisplayName string `json:"displayName,omitempty"`
}

// Role is a Microsoft Entra role a relationship grants.
type Role struct {
	RoleDefinitionID string `json:"roleDefinitionId"`
}

// Relationship is a GDAP relationship (delegatedAdminRelationship).
type Relationship struct {
	ID                 string    `json:"id"`
	DisplayName        string    `json:"displayName"`
	Duration           string    `json:"duration"`
	Status             string    `json:"status"`
	AutoExtendDuration string    `json:"autoExtendDuration,omitempty"`
	CreatedDateTime    string    `json:"createdDateTime"`
	ActivatedDateTime  *string   `json:"activatedDateTime"`
	EndDateTime        *string   `json:"endDateTime"`
	Customer           *Customer `json:"customer"`
	AccessDetails      struct {
		UnifiedRoles []Role `json:"unifiedRoles"`
	} `json:"accessDetails"`
}

// Options set up a fake.
type Options struct {
	// PartnerTenantID, ClientID and ClientSecret are the only credentials
	// accepted. Defaults: fixed GUIDs and "roost-secret".
	PartnerTenantID, ClientID, ClientSecret string
	// Count is how many customer tenants to make. Default 25. Their GDAP
	// relationships follow the customer's index: 0 none, 1 active and
	// expiring within 10 days, 2 approval pending, 3 expired, 4 expired
	// then renewed (active), and so on in fives.
	Count int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Defaults of Options.
const (
	DefaultPartnerTenantID = "8f2a6c1e-0b7d-4c3a-9e51-2d4f6a8b0c11"
	DefaultClientID        = "3c9e7a41-5d2b-4f86-a0c3-7e1b9d4f2a65"
)

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu            sync.Mutex
	tokens        map[string]bool
	tokenCount    int
	contracts     []Contract
	relationships []Relationship
	requests      map[string][]string // relationship id → actions requested
	repeat        bool
}

// Start starts a fake on 127.0.0.1 that serves both the identity platform
// and Graph. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.PartnerTenantID == "" {
		opts.PartnerTenantID = DefaultPartnerTenantID
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "roost-secret"
	}
	if opts.Count <= 0 {
		opts.Count = 25
	}
	s := &Server{opts: opts, tokens: map[string]bool{}, requests: map[string][]string{}}
	now := time.Now().UTC()
	ts := func(t time.Time) *string { v := t.Format(time.RFC3339); return &v }
	for i, c := range fakedata.Companies(opts.Count, 6) {
		tenant := TenantID(i)
		s.contracts = append(s.contracts, Contract{ID: fmt.Sprintf("c%07d-0000-4000-8000-000000000000", i), ContractType: "ResellerPartner",
			CustomerID: tenant, DefaultDomainName: strings.TrimSuffix(c.Domain, ".example") + ".onmicrosoft.com", DisplayName: c.Name})
		rel := func(status string, end time.Time) {
			r := Relationship{ID: fmt.Sprintf("r%07d-%d", i, len(s.relationships)), DisplayName: "Roost GDAP " + strconv.Itoa(i), Duration: "P730D",
				Status: status, CreatedDateTime: now.AddDate(0, -6, 0).Format(time.RFC3339), Customer: &Customer{TenantID: tenant, DisplayName: c.Name}}
			r.AccessDetails.UnifiedRoles = []Role{{RoleDefinitionID: "729827e3-9c14-49f7-bb1b-9608f156bbb8"}} // Helpdesk Administrator
			if status != "approvalPending" {
				r.ActivatedDateTime, r.EndDateTime = ts(end.AddDate(0, 0, -730)), ts(end)
			}
			s.relationships = append(s.relationships, r)
		}
		switch i % 5 {
		case 1:
			rel("active", now.AddDate(0, 0, 10))
		case 2:
			rel("approvalPending", time.Time{})
		case 3:
			rel("expired", now.AddDate(0, -1, 0))
		case 4:
			rel("expired", now.AddDate(0, -1, 0))
			rel("active", now.AddDate(1, 0, 0))
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	mux.HandleFunc("GET /v1.0/contracts", s.authed(s.listContracts))
	mux.HandleFunc("GET /v1.0/tenantRelationships/delegatedAdminRelationships", s.authed(s.listRelationships))
	mux.HandleFunc("POST /v1.0/tenantRelationships/delegatedAdminRelationships", s.authed(s.createRelationship))
	mux.HandleFunc("POST /v1.0/tenantRelationships/delegatedAdminRelationships/{id}/requests", s.authed(s.request))
	mux.HandleFunc("GET /v1.0/tenantRelationships/delegatedAdminCustomers/{id}", s.authed(s.getCustomer))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests; retry after "+strconv.Itoa(after)+" seconds")
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// TenantID is the tenant id of the ith customer.
func TenantID(i int) string { return fmt.Sprintf("%08x-1111-4222-8333-%012x", 0xc0000000+i, i) }

// Contracts returns the fake's contracts, one per customer.
func (s *Server) Contracts() []Contract {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Contract(nil), s.contracts...)
}

// Relationships returns the fake's GDAP relationships.
func (s *Server) Relationships() []Relationship {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Relationship(nil), s.relationships...)
}

// ActionsRequested returns the actions (lockForApproval, terminate)
// requested on relationship id.
func (s *Server) ActionsRequested(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests[id]...)
}

// TokensIssued counts the tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// RepeatNextLink makes every nextLink point at the page it came with.
func (s *Server) RepeatNextLink(on bool) {
	s.mu.Lock()
	s.repeat = on
	s.mu.Unlock()
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	fakehttp.WriteJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]string{"date": time.Now().UTC().Format(time.RFC3339), "request-id": id, "client-request-id": id}}})
}

func idpError(w http.ResponseWriter, status int, err string, code int, desc string) {
	fakehttp.WriteJSON(w, status, map[string]any{"error": err, "error_description": fmt.Sprintf("AADSTS%d: %s", code, desc),
		"error_codes": []int{code}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z")})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		idpError(w, 400, "invalid_request", 900144, "The request body must contain the grant_type parameter.")
		return
	}
	if r.PathValue("tenant") != s.opts.PartnerTenantID {
		idpError(w, 400, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", r.PathValue("tenant")))
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		idpError(w, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		idpError(w, 400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", r.PostForm.Get("client_id")))
		return
	}
	if r.PostForm.Get("client_secret") != s.opts.ClientSecret {
		idpError(w, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	}
	if r.PostForm.Get("scope") != GraphScope {
		idpError(w, 400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := "eyJ0eXAiOiJKV1Qi." + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = true
	s.tokenCount++
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known {
			w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`)
			graphError(w, 401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
			return
		}
		h(w, r)
	}
}

// page answers one page of items from $skiptoken (an offset here), $top
// items long (default def, at most max).
func page[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T, def, maxTop int) {
	q := r.URL.Query()
	top, offset := def, 0
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxTop {
			graphError(w, 400, "BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxTop))
			return
		}
		top = n
	}
	if v := q.Get("$skiptoken"); v != "" {
		var tok struct{ O, T int }
		raw, err := hex.DecodeString(v)
		if err == nil {
			err = json.Unmarshal(raw, &tok)
		}
		if err != nil {
			graphError(w, 400, "BadRequest", "The $skiptoken is not valid.")
			return
		}
		offset, top = tok.O, tok.T
	}
	s.mu.Lock()
	repeat := s.repeat
	s.mu.Unlock()
	lo := min(offset, len(items))
	out := items[lo:min(lo+top, len(items))]
	doc := map[string]any{"@odata.context": "http://" + r.Host + "/v1.0/$metadata#" + strings.TrimPrefix(r.URL.Path, "/v1.0/")}
	if out == nil {
		out = []T{}
	}
	doc["value"] = out
	if lo+top < len(items) {
		next := lo + top
		if repeat {
			next = lo
		}
		raw, _ := json.Marshal(struct{ O, T int }{next, top})
		nq := r.URL.Query()
		nq.Del("$top")
		nq.Set("$skiptoken", hex.EncodeToString(raw))
		doc["@odata.nextLink"] = "http://" + r.Host + r.URL.Path + "?" + strings.ReplaceAll(nq.Encode(), "%24", "$")
	}
	fakehttp.WriteJSON(w, 200, doc)
}

func (s *Server) listContracts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := append([]Contract(nil), s.contracts...)
	s.mu.Unlock()
	page(s, w, r, items, 100, 999)
}

var customerFilter = regexp.MustCompile(`^customer/tenantId eq '([0-9a-fA-F-]+)'$`)

func (s *Server) listRelationships(w http.ResponseWriter, r *http.Request) {
	tenant := ""
	if f := r.URL.Query().Get("$filter"); f != "" {
		m := customerFilter.FindStringSubmatch(f)
		if m == nil {
			graphError(w, 400, "BadRequest", "The fake does not support the filter "+f)
			return
		}
		tenant = m[1]
	}
	s.mu.Lock()
	var items []Relationship
	for _, rel := range s.relationships {
		if tenant == "" || strings.EqualFold(rel.Customer.TenantID, tenant) {
			items = append(items, rel)
		}
	}
	s.mu.Unlock()
	page(s, w, r, items, 300, 300)
}

func (s *Server) createRelationship(w http.ResponseWriter, r *http.Request) {
	var in Relationship
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		graphError(w, 400, "BadRequest", "Unable to read JSON request payload: "+err.Error())
		return
	}
	if in.DisplayName == "" || in.Duration == "" || len(in.AccessDetails.UnifiedRoles) == 0 {
		graphError(w, 400, "BadRequest", "displayName, duration and accessDetails.unifiedRoles are required")
		return
	}
	if !regexp.MustCompile(`^P\d+D$`).MatchString(in.Duration) {
		graphError(w, 400, "BadRequest", "duration must be an ISO 8601 duration in days, such as P730D")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rel := range s.relationships {
		if rel.DisplayName == in.DisplayName {
			graphError(w, 409, "Conflict", "A relationship with this displayName already exists")
			return
		}
	}
	in.ID = fmt.Sprintf("new%05d-0000-4000-8000-000000000000", len(s.relationships))
	in.Status = "created"
	in.CreatedDateTime = time.Now().UTC().Format(time.RFC3339)
	in.ActivatedDateTime, in.EndDateTime = nil, nil
	s.relationships = append(s.relationships, in)
	fakehttp.WriteJSON(w, 201, in)
}

func (s *Server) request(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Action string `json:"action"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || (in.Action != "lockForApproval" && in.Action != "terminate") {
		graphError(w, 400, "BadRequest", "action must be lockForApproval or terminate")
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rel := range s.relationships {
		if rel.ID != id {
			continue
		}
		if in.Action == "lockForApproval" {
			if rel.Status != "created" {
				graphError(w, 400, "BadRequest", "Only a relationship in the created state can be locked for approval")
				return
			}
			s.relationships[i].Status = "approvalPending"
		}
		s.requests[id] = append(s.requests[id], in.Action)
		now := time.Now().UTC().Format(time.RFC3339)
		fakehttp.WriteJSON(w, 201, map[string]any{"id": fmt.Sprintf("req-%s-%d", id, len(s.requests[id])), "action": in.Action,
			"status": "created", "createdDateTime": now, "lastModifiedDateTime": now})
		return
	}
	graphError(w, 404, "NotFound", "Relationship "+id+" was not found")
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rel := range s.relationships {
		if strings.EqualFold(rel.Customer.TenantID, id) && rel.Status == "active" {
			fakehttp.WriteJSON(w, 200, map[string]string{"id": rel.Customer.TenantID, "tenantId": rel.Customer.TenantID, "displayName": rel.Customer.DisplayName})
			return
		}
	}
	graphError(w, 404, "NotFound", "No active delegated admin relationship with customer "+id)
}
