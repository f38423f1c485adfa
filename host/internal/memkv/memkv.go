// Package memkv is an in-memory key-value store for a connector, used when
// the host has no durable store to give it (roost invoke, tests, embedding
// without a home directory).
package memkv

import (
	"bytes"
	"context"
	"sync"
)

// Store is a concurrency-safe map of byte values. The zero value is ready.
type Store struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// Get returns a copy of the value under key.
func (s *Store) Get(_ context.Context, key string) ([]byte, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[key]
	return bytes.Clone(v), ok, nil
}

// Set stores a copy of value under key.
func (s *Store) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = append([]byte{}, value...)
	return nil
}

// Delete removes key.
func (s *Store) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
