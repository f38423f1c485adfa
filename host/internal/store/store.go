package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// SchemaVersion is the version of the key layout this package writes.
const SchemaVersion = 1

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// InUseError says another process holds the store open.
type InUseError struct {
	Dir string
	// Holder is what the other process wrote in the lock file: its pid and
	// command line, when known.
	Holder string
}

func (e *InUseError) Error() string {
	who := "another roost process"
	if e.Holder != "" {
		who += " (" + e.Holder + ")"
	}
	return fmt.Sprintf("the Roost home %s is in use by %s; wait for it to finish or stop it, or use another --home", filepath.Dir(e.Dir), who)
}

// NewerSchemaError says the store was written by a newer Roost.
type NewerSchemaError struct {
	Dir        string
	Have, Know int
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("the store in %s was written by a newer Roost (schema version %d; this Roost knows up to %d): upgrade roost, or use another --home", e.Dir, e.Have, e.Know)
}

// Options configure Open.
type Options struct {
	// Logger receives Badger's warnings and errors. Nil discards them.
	Logger *slog.Logger
	// NoSync skips the fsync after each commit: faster, and a process
	// crash still loses nothing, but an OS crash may lose the last commits.
	// For tests and benchmarks.
	NoSync bool
}

// Store is the open database. It is safe for concurrent use.
type Store struct {
	dir    string
	db     *badger.DB
	lock   *fileLock
	writes atomic.Int64
}

// Open opens (creating if needed) the store in dir. It fails with an
// *InUseError when another process has it open and a *NewerSchemaError
// when a newer Roost wrote it.
func Open(dir string, o Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	lock, err := acquireLock(dir + ".lock")
	if err != nil {
		return nil, err
	}
	opts := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{o.Logger}).
		WithSyncWrites(!o.NoSync).
		WithNumVersionsToKeep(1).
		WithMemTableSize(32 << 20).
		WithValueThreshold(64 << 10).
		WithValueLogFileSize(16 << 20).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(0).
		WithNumCompactors(2).
		WithNumGoroutines(2).
		WithCompactL0OnClose(false)
	db, err := badger.Open(opts)
	if err != nil {
		lock.release()
		if strings.Contains(err.Error(), "Another process is using this Badger database") {
			return nil, &InUseError{Dir: dir}
		}
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{dir: dir, db: db, lock: lock}
	if err := s.checkSchema(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Close runs a round of value-log garbage collection when this process
// wrote anything, closes the database and releases the lock.
func (s *Store) Close() error {
	if s.writes.Load() > 0 {
		s.GC()
	}
	err := s.db.Close()
	s.lock.release()
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// GC reclaims value-log space left by overwritten and deleted values. It
// returns how many value-log files it rewrote. Long-running processes call
// it now and then; Close calls it when the process wrote.
func (s *Store) GC() int {
	n := 0
	for n < 16 && s.db.RunValueLogGC(0.5) == nil {
		n++
	}
	return n
}

func (s *Store) checkSchema() error {
	return s.update(func(tx *badger.Txn) error {
		item, err := tx.Get(keySchema)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return tx.Set(keySchema, []byte(strconv.Itoa(SchemaVersion)))
		}
		if err != nil {
			return err
		}
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		have, err := strconv.Atoi(string(raw))
		if err != nil {
			return fmt.Errorf("store %s: schema version %q is not a number; the store is damaged", s.dir, raw)
		}
		if have > SchemaVersion {
			return &NewerSchemaError{Dir: s.dir, Have: have, Know: SchemaVersion}
		}
		return nil
	})
}

var keySchema = []byte("meta/schema")

// update runs fn in a read-write transaction, retrying on conflicts with
// concurrent transactions.
func (s *Store) update(fn func(*badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		err := s.db.Update(fn)
		if errors.Is(err, badger.ErrConflict) && attempt < 10 {
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
			continue
		}
		if err == nil {
			s.writes.Add(1)
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("this change is too large for one transaction of the store; make it in smaller parts: %w", err)
		}
		return err
	}
}

func (s *Store) view(fn func(*badger.Txn) error) error { return s.db.View(fn) }

func key(parts ...string) []byte { return []byte(strings.Join(parts, "/")) }

// getJSON reads the JSON value at k into v; ErrNotFound when absent.
func getJSON(tx *badger.Txn, k []byte, v any) error {
	item, err := tx.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return item.Value(func(raw []byte) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("record %s is damaged: %w", k, err)
		}
		return nil
	})
}

func setJSON(tx *badger.Txn, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", k, err)
	}
	return tx.Set(k, raw)
}

// each calls fn with the key suffix and value of every key under prefix,
// in key order.
func each(tx *badger.Txn, prefix []byte, fn func(rest string, raw []byte) error) error {
	it := tx.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		rest := string(item.Key()[len(prefix):])
		if err := item.Value(func(raw []byte) error { return fn(rest, raw) }); err != nil {
			return err
		}
	}
	return nil
}

// eachJSON decodes every value under prefix into a new T.
func eachJSON[T any](tx *badger.Txn, prefix []byte, fn func(rest string, v *T) error) error {
	return each(tx, prefix, func(rest string, raw []byte) error {
		v := new(T)
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("record %s%s is damaged: %w", prefix, rest, err)
		}
		return fn(rest, v)
	})
}

// deletePrefix deletes every key under prefix.
func deletePrefix(tx *badger.Txn, prefix []byte) error {
	it := tx.NewIterator(badger.IteratorOptions{Prefix: prefix})
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	it.Close()
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func countPrefix(tx *badger.Txn, prefix []byte) int {
	it := tx.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		n++
	}
	return n
}

// badgerLogger sends Badger's warnings and errors to slog and drops its
// chatter.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	if b.l != nil {
		b.l.Error(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "store")
	}
}

func (b badgerLogger) Warningf(f string, a ...any) {
	if b.l != nil {
		b.l.Warn(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "store")
	}
}
func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
