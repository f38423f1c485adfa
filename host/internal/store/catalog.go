package store

import (
	"encoding/json"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// CatalogEntry is the manifest of a module seen in a catalogue directory,
// cached by the module's digest so that listing never runs a connector
// twice for the same bytes.
type CatalogEntry struct {
	SHA256   string          `json:"sha256"`
	Size     int64           `json:"size"`
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// Problem says why the module is not a usable connector, when it is not.
	Problem string    `json:"problem,omitempty"`
	SeenAt  time.Time `json:"seen_at"`
}

// FileStamp remembers a catalogue file's digest by size and modification
// time, so an unchanged file is not hashed again.
type FileStamp struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	SHA256  string    `json:"sha256"`
}

// CatalogEntry returns the cached entry for a digest, or ErrNotFound.
func (s *Store) CatalogEntry(sha string) (CatalogEntry, error) {
	var e CatalogEntry
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, key("catalog", sha), &e) })
	return e, err
}

// PutCatalogEntry caches an entry.
func (s *Store) PutCatalogEntry(e CatalogEntry) error {
	return s.update(func(tx *badger.Txn) error { return setJSON(tx, key("catalog", e.SHA256), e) })
}

// FileStamp returns the remembered stamp of path, or ErrNotFound.
func (s *Store) FileStamp(path string) (FileStamp, error) {
	var f FileStamp
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, key("catfile", path), &f) })
	return f, err
}

// PutFileStamp remembers the stamp of path.
func (s *Store) PutFileStamp(path string, f FileStamp) error {
	return s.update(func(tx *badger.Txn) error { return setJSON(tx, key("catfile", path), f) })
}
