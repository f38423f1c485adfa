// Package ninjaone is a local fake of the NinjaOne public API (v2), enough
// for the NinjaOne connector: OAuth2 client credentials at POST
// /ws/oauth/token (scopes monitoring, management, control), organizations
// at GET /v2/organizations and devices at GET /v2/devices with keyset
// paging (pageSize and after=<last id>, bare JSON arrays, ordered by id),
// the device filter df=org=N, single organizations and devices, and alerts
// (list, and reset with DELETE). Requests without a valid bearer token get
// 401; a token without the scope an endpoint needs gets 403. Errors come as
// {"resultCode", "errorMessage", "incidentId"}. It can rate-limit (429 with
// Retry-After) and misbehave by ignoring after, so every page is the first.
package ninjaone

import (
	"crypto/rand"
	"encoding/hex"
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

// Organization is a NinjaOne organization (a customer).
type Organization struct {
	ID               int      `json:"id"`
	Name             string   `json:"name"`
	Description      string   `json:"description,omitempty"`
	NodeApprovalMode string   `json:"nodeApprovalMode"`
	Tags             []string `json:"tags"`
}

// Device is a NinjaOne device (a node), with the fields the connector uses.
type Device struct {
	ID             int     `json:"id"`
	OrganizationID int     `json:"organizationId"`
	LocationID     int     `json:"locationId"`
	NodeClass      string  `json:"nodeClass"`
	ApprovalStatus string  `json:"approvalStatus"`
	Offline        bool    `json:"offline"`
	DisplayName    string  `json:"displayName"`
	SystemName     string  `json:"systemName"`
	DNSName        string  `json:"dnsName,omitempty"`
	Created        float64 `json:"created"`
	LastContact    float64 `json:"lastContact"`
}

// Alert is a NinjaOne alert (a triggered condition).
type Alert struct {
	UID        string  `json:"uid"`
	DeviceID   int     `json:"deviceId"`
	Message    string  `json:"message"`
	CreateTime float64 `json:"createTime"`
	Severity   string  `json:"severity"`
	Priority   string  `json:"priority"`
	SourceType string  `json:"sourceType"`
}

// Options set up a fake.
type Options struct {
	// ClientID and ClientSecret are the only credentials accepted.
	// Defaults "roost-client" and "roost-secret".
	ClientID, ClientSecret string
	// Scopes the client may be granted; default monitoring and management.
	Scopes []string
	// Organizations; nil makes Count fake ones.
	Organizations []Organization
	// Count is how many fake organizations to make. Default 25.
	Count int
	// DevicesPerOrg is how many devices each organization has. Default 3.
	DevicesPerOrg int
	// MaxPageSize caps pageSize (NinjaOne clamps larger asks). Default 1000.
	MaxPageSize int
	// Addr is where to listen ("127.0.0.1:0" when empty).
	Addr string
}

// Server is a running fake.
type Server struct {
	*fakehttp.Server
	Limit ratelimit.Limiter
	opts  Options

	mu          sync.Mutex
	tokens      map[string]map[string]bool // token → scopes
	tokenCount  int
	orgs        []Organization
	devices     []Device
	alerts      []Alert
	ignoreAfter bool
}

// Start starts a fake NinjaOne on 127.0.0.1. Close it when done.
func Start(opts Options) (*Server, error) {
	if opts.ClientID == "" {
		opts.ClientID = "roost-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "roost-secret"
	}
	if opts.Scopes == nil {
		opts.Scopes = []string{"monitoring", "management"}
	}
	if opts.DevicesPerOrg <= 0 {
		opts.DevicesPerOrg = 3
	}
	if opts.MaxPageSize <= 0 {
		opts.MaxPageSize = 1000
	}
	s := &Server{opts: opts, tokens: map[string]map[string]bool{}, orgs: opts.Organizations}
	if s.orgs == nil {
		n := opts.Count
		if n <= 0 {
			n = 25
		}
		s.orgs = MakeOrganizations(fakedata.Companies(n, 4))
	}
	now := float64(time.Now().Unix())
	for _, o := range s.orgs {
		for i := 0; i < opts.DevicesPerOrg; i++ {
			d := Device{ID: 10000 + len(s.devices), OrganizationID: o.ID, LocationID: o.ID*10 + 1,
				NodeClass: []string{"WINDOWS_WORKSTATION", "WINDOWS_SERVER", "MAC"}[i%3], ApprovalStatus: "APPROVED",
				Offline: i%4 == 3, Created: now - 86400*30, LastContact: now - float64(60*i)}
			d.SystemName = fmt.Sprintf("ORG%d-PC%02d", o.ID, i+1)
			d.DisplayName = d.SystemName
			s.devices = append(s.devices, d)
			if i == 0 {
				s.alerts = append(s.alerts, Alert{UID: fmt.Sprintf("alert-%d", d.ID), DeviceID: d.ID,
					Message: "Disk C: free space below 10%", CreateTime: now - 3600, Severity: "MAJOR", Priority: "HIGH", SourceType: "CONDITION_DISK_FREE_SPACE"})
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ws/oauth/token", s.token)
	mux.HandleFunc("GET /v2/organizations", s.authed("monitoring", s.listOrgs))
	mux.HandleFunc("GET /v2/organization/{id}", s.authed("monitoring", s.getOrg))
	mux.HandleFunc("GET /v2/devices", s.authed("monitoring", s.listDevices))
	mux.HandleFunc("GET /v2/device/{id}", s.authed("monitoring", s.getDevice))
	mux.HandleFunc("GET /v2/alerts", s.authed("monitoring", s.listAlerts))
	mux.HandleFunc("DELETE /v2/alert/{uid}", s.authed("management", s.resetAlert))
	srv, err := fakehttp.Start(opts.Addr, s.Limit.Wrap(mux, func(w http.ResponseWriter, r *http.Request, after int) {
		ninjaError(w, http.StatusTooManyRequests, "Too many requests, try again in "+strconv.Itoa(after)+" seconds")
	}))
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// MakeOrganizations turns fake companies into NinjaOne organizations with
// ids from 1 (NinjaOne numbers them in creation order).
func MakeOrganizations(cs []fakedata.Company) []Organization {
	out := make([]Organization, len(cs))
	for i, c := range cs {
		out[i] = Organization{ID: i + 1, Name: c.Name, Description: c.Domain, NodeApprovalMode: "AUTOMATIC", Tags: []string{}}
	}
	return out
}

// Organizations returns the fake's organizations.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Organization(nil), s.orgs...)
}

// Devices returns the fake's devices.
func (s *Server) Devices() []Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Device(nil), s.devices...)
}

// Alerts returns the alerts not reset yet.
func (s *Server) Alerts() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Alert(nil), s.alerts...)
}

// TokensIssued counts the tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCount
}

// IgnoreAfter makes the list endpoints ignore after, so every page is the
// first: a broken server a client must not loop on.
func (s *Server) IgnoreAfter(on bool) {
	s.mu.Lock()
	s.ignoreAfter = on
	s.mu.Unlock()
}

func ninjaError(w http.ResponseWriter, status int, msg string) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	fakehttp.WriteJSON(w, status, map[string]string{"resultCode": "FAILURE", "errorMessage": msg, "incidentId": hex.EncodeToString(b[:])})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		fakehttp.WriteJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID || r.PostForm.Get("client_secret") != s.opts.ClientSecret {
		fakehttp.WriteJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Bad client credentials"})
		return
	}
	allowed := map[string]bool{}
	for _, sc := range s.opts.Scopes {
		allowed[sc] = true
	}
	granted := map[string]bool{}
	for _, sc := range strings.Fields(r.PostForm.Get("scope")) {
		if !allowed[sc] {
			fakehttp.WriteJSON(w, 400, map[string]string{"error": "invalid_scope", "error_description": "Scope " + sc + " is not allowed for this client"})
			return
		}
		granted[sc] = true
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	s.mu.Lock()
	s.tokens[tok] = granted
	s.tokenCount++
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600,
		"scope": r.PostForm.Get("scope")})
}

func (s *Server) authed(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		granted, known := s.tokens[tok]
		s.mu.Unlock()
		if !ok || !known {
			ninjaError(w, 401, "Unauthorized: missing or invalid access token")
			return
		}
		if !granted[scope] {
			ninjaError(w, 403, "The access token does not have the "+scope+" scope")
			return
		}
		h(w, r)
	}
}

// keyset reads pageSize and after.
func (s *Server) keyset(w http.ResponseWriter, r *http.Request) (size, after int, ok bool) {
	q := r.URL.Query()
	size = s.opts.MaxPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			ninjaError(w, 400, "pageSize must be a positive integer")
			return 0, 0, false
		}
		size = min(n, s.opts.MaxPageSize)
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			ninjaError(w, 400, "after must be an integer")
			return 0, 0, false
		}
		after = n
	}
	s.mu.Lock()
	if s.ignoreAfter {
		after = 0
	}
	s.mu.Unlock()
	return size, after, true
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	size, after, ok := s.keyset(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	out := []Organization{}
	for _, o := range s.orgs { // kept in id order
		if o.ID > after && len(out) < size {
			out = append(out, o)
		}
	}
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, out)
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.orgs {
		if o.ID == id {
			fakehttp.WriteJSON(w, 200, o)
			return
		}
	}
	ninjaError(w, 404, "Organization not found")
}

var orgFilter = regexp.MustCompile(`^\s*org\s*(?:=|eq)\s*(\d+)\s*$`)

// deviceFilter understands df=org=N (or "org eq N"); an empty df is all.
func deviceFilter(df string) (int, error) {
	if strings.TrimSpace(df) == "" {
		return 0, nil
	}
	m := orgFilter.FindStringSubmatch(df)
	if m == nil {
		return 0, fmt.Errorf("the fake does not understand the device filter %q", df)
	}
	return strconv.Atoi(m[1])
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	size, after, ok := s.keyset(w, r)
	if !ok {
		return
	}
	org, err := deviceFilter(r.URL.Query().Get("df"))
	if err != nil {
		ninjaError(w, 400, err.Error())
		return
	}
	s.mu.Lock()
	out := []Device{}
	for _, d := range s.devices {
		if d.ID > after && (org == 0 || d.OrganizationID == org) && len(out) < size {
			out = append(out, d)
		}
	}
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, out)
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.ID == id {
			fakehttp.WriteJSON(w, 200, d)
			return
		}
	}
	ninjaError(w, 404, "Device not found")
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	org, err := deviceFilter(r.URL.Query().Get("df"))
	if err != nil {
		ninjaError(w, 400, err.Error())
		return
	}
	s.mu.Lock()
	orgOf := map[int]int{}
	for _, d := range s.devices {
		orgOf[d.ID] = d.OrganizationID
	}
	out := []Alert{}
	for _, a := range s.alerts {
		if org == 0 || orgOf[a.DeviceID] == org {
			out = append(out, a)
		}
	}
	s.mu.Unlock()
	fakehttp.WriteJSON(w, 200, out)
}

func (s *Server) resetAlert(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.alerts {
		if a.UID == uid {
			s.alerts = append(s.alerts[:i], s.alerts[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	ninjaError(w, 404, "Alert not found")
}
