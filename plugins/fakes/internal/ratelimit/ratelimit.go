// Package ratelimit makes a fake answer some requests 429 Too Many
// Requests with Retry-After, in its vendor's own error body (fakehttp's
// built-in limiter writes a generic one).
package ratelimit

import (
	"net/http"
	"strconv"
	"sync"
)

// Limiter answers every nth request 429. The zero value lets everything
// through.
type Limiter struct {
	mu         sync.Mutex
	every      int
	retryAfter int
	count      int
}

// Set answers every nth request from now on (n = 1: all of them) 429 with
// Retry-After: seconds. n = 0 turns it off.
func (l *Limiter) Set(n, seconds int) {
	l.mu.Lock()
	l.every, l.retryAfter, l.count = n, seconds, 0
	l.mu.Unlock()
}

// Wrap puts the limiter in front of h. reject writes the vendor's 429
// answer, status and body; the Retry-After header is already set.
func (l *Limiter) Wrap(h http.Handler, reject func(w http.ResponseWriter, r *http.Request, retryAfter int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.count++
		limited := l.every > 0 && l.count%l.every == 0
		after := l.retryAfter
		l.mu.Unlock()
		if !limited {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", strconv.Itoa(after))
		reject(w, r, after)
	})
}
