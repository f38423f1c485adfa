package host

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/roosthq/roost/host/internal/registry"
	"github.com/roosthq/roost/host/internal/secrets"
	"github.com/roosthq/roost/host/internal/store"
)

// The layout of a Roost home directory.
//
//	store/         the Badger database (see host/internal/store for its keys)
//	store.lock     held by the process that has the store open
//	modules/       installed connector modules, named by sha256
//	secret.key     the key that seals secrets (mode 0600) unless ROOST_SECRET_KEY is set
//	cache/wazero/  compiled code
const (
	storeDirName   = "store"
	modulesDirName = "modules"
	secretKeyName  = "secret.key"
)

// ErrNoHome is returned by the parts of a Host that keep durable state
// when Config.Home is empty.
var ErrNoHome = errors.New("this needs a Roost home directory (Config.Home, --home or ROOST_HOME)")

// homeState is what a Host opens in its home on first use: the store
// (which locks the home against other processes) and the secret box.
// Connectors loaded from files need neither, so `roost invoke FILE` and
// embedding programs never take the lock.
type homeState struct {
	storeMu sync.Mutex // held while the store opens, never across a compile
	store   *store.Store
	boxMu   sync.Mutex
	box     *secrets.Box
	// builds are the loaded connectors of installed integrations, by
	// name@sha256.
	builds registry.Registry[*Connector]
}

func (h *Host) modulesDir() string { return filepath.Join(h.cfg.Home, modulesDirName) }

func (h *Host) modulePath(sha string) string {
	return filepath.Join(h.modulesDir(), sha+".wasm")
}

// openStore returns the store, opening it on first use.
func (h *Host) openStore() (*store.Store, error) {
	if h.cfg.Home == "" {
		return nil, ErrNoHome
	}
	h.home.storeMu.Lock()
	defer h.home.storeMu.Unlock()
	if h.home.store != nil {
		return h.home.store, nil
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	s, err := store.Open(filepath.Join(h.cfg.Home, storeDirName), store.Options{Logger: h.logger})
	if err != nil {
		return nil, rtErr(err)
	}
	h.home.store = s
	return s, nil
}

// secretBox returns the box sealing secrets, loading or creating the key
// on first use.
func (h *Host) secretBox() (*secrets.Box, error) {
	if h.cfg.Home == "" && h.cfg.SecretKey == "" {
		return nil, ErrNoHome
	}
	h.home.boxMu.Lock()
	defer h.home.boxMu.Unlock()
	if h.home.box != nil {
		return h.home.box, nil
	}
	key, err := secrets.LoadOrCreate(filepath.Join(h.cfg.Home, secretKeyName), h.cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	box, err := secrets.New(key)
	if err != nil {
		return nil, err
	}
	h.home.box = box
	return box, nil
}

func (hs *homeState) close() error {
	hs.storeMu.Lock()
	defer hs.storeMu.Unlock()
	if hs.store == nil {
		return nil
	}
	err := hs.store.Close()
	hs.store = nil
	if err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}
