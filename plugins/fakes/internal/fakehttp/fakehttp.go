// Package fakehttp is what the fake tools share: a loopback server, a log
// of the requests it answered, and rate limiting by request count.
package fakehttp

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// Request is one request a fake answered, for tests to assert on.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
	Status int
}

// Server is a loopback HTTP server that records requests.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []Request
	count    int
	// RateLimitEvery, if > 0, answers every Nth request 429 with
	// Retry-After: RetryAfter seconds.
	rateEvery  int
	retryAfter int
}

// Start serves h on 127.0.0.1 (a free port when addr is "").
func Start(addr string, h http.Handler) (*Server, error) {
	s := &Server{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		s.mu.Lock()
		s.count++
		limited := s.rateEvery > 0 && s.count%s.rateEvery == 0
		after := s.retryAfter
		s.mu.Unlock()
		if limited {
			rec.Header().Set("Retry-After", strconv.Itoa(after))
			WriteJSON(rec, http.StatusTooManyRequests, map[string]string{"error": "rate limit exceeded, retry later"})
		} else {
			h.ServeHTTP(rec, r)
		}
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: string(body), Status: rec.status})
		s.mu.Unlock()
	}))
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	s.srv = srv
	return s, nil
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// RateLimit answers every nth request (counting from now on) 429 with
// Retry-After: seconds. n = 0 turns it off.
func (s *Server) RateLimit(n, seconds int) {
	s.mu.Lock()
	s.rateEvery, s.retryAfter, s.count = n, seconds, 0
	s.mu.Unlock()
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the requests answered so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
