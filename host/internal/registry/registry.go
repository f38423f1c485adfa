// Package registry keeps loaded things (compiled connector builds) by key,
// loading each at most once at a time: callers that want a key being
// loaded wait for that load instead of starting another, and no lock is
// held while a load runs, so a 2 s compile of one build never stalls a
// call to another.
//
//	var builds registry.Registry[*Connector]
//	c, err := builds.Get(ctx, "halopsa@"+sha, func() (*Connector, error) { return load(sha) })
//	for _, old := range builds.Drop(func(k string) bool { return strings.HasPrefix(k, "halopsa@") }) {
//		old.Close(ctx)
//	}
package registry

import (
	"context"
	"errors"
	"sync"
)

// errLoadPanicked is what waiters get when the load they waited for
// panicked.
var errLoadPanicked = errors.New("registry: the load panicked")

// Registry maps keys to loaded values. The zero value is ready to use; it
// is safe for concurrent use.
type Registry[T any] struct {
	mu sync.Mutex
	m  map[string]*entry[T]
}

type entry[T any] struct {
	done chan struct{} // closed when the load has finished
	v    T
	err  error
}

// Get returns the value of key, calling load when it is not loaded. A
// load in progress for key is waited for (until ctx is done), and its
// result shared; a failed load is forgotten, so the next Get tries again.
func (r *Registry[T]) Get(ctx context.Context, key string, load func() (T, error)) (T, error) {
	r.mu.Lock()
	if r.m == nil {
		r.m = map[string]*entry[T]{}
	}
	if e, ok := r.m[key]; ok {
		r.mu.Unlock()
		select {
		case <-e.done:
			return e.v, e.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	e := &entry[T]{done: make(chan struct{})}
	r.m[key] = e
	r.mu.Unlock()

	defer close(e.done) // waiters never hang, even if load panics
	e.err = errLoadPanicked
	e.v, e.err = load()
	if e.err != nil {
		r.mu.Lock()
		if r.m[key] == e {
			delete(r.m, key)
		}
		r.mu.Unlock()
	}
	return e.v, e.err
}

// Drop removes the loaded values whose keys match and returns them, for
// the caller to close once their calls drain. Loads in progress finish
// and are dropped too.
func (r *Registry[T]) Drop(match func(key string) bool) []T {
	r.mu.Lock()
	var pending []*entry[T]
	for k, e := range r.m {
		if match(k) {
			pending = append(pending, e)
			delete(r.m, k)
		}
	}
	r.mu.Unlock()
	var out []T
	for _, e := range pending {
		<-e.done
		if e.err == nil {
			out = append(out, e.v)
		}
	}
	return out
}

// Len is how many values are loaded or loading.
func (r *Registry[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}
