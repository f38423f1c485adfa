package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Integration is an installed connector.
type Integration struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	Category    string   `json:"category"`
	Description string   `json:"description"`
	Tags        []string `json:"tags,omitempty"`
	// SHA256 names the module file in the home's module directory.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Source is where it was installed from: "bundled" or a file path.
	Source string `json:"source"`
	// Link, if set, is the absolute path of a build under development that
	// the integration loads instead of a copied module, fresh whenever the
	// file changes (roost integrations install --link).
	Link string `json:"link,omitempty"`
	// Custom, if set, is the definition (sdk/rest) of a custom integration
	// that runs on the bundled REST connector.
	Custom json.RawMessage `json:"custom,omitempty"`
	// Manifest is the manifest as the connector described itself at install.
	Manifest json.RawMessage `json:"manifest"`
	// DefaultConfig names the configuration used when none is named.
	DefaultConfig string    `json:"default_config,omitempty"`
	InstalledAt   time.Time `json:"installed_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Check is the result of a connector's configuration check.
type Check struct {
	OK         bool      `json:"ok"`
	Message    string    `json:"message,omitempty"`
	At         time.Time `json:"at"`
	DurationMS float64   `json:"duration_ms"`
}

// Configuration is one named configuration of an integration (one tenant
// of the tool).
type Configuration struct {
	Integration string `json:"integration"`
	Name        string `json:"name"`
	// Values holds the non-secret fields.
	Values map[string]any `json:"values"`
	// SecretFields names the secret fields that are set; their values are
	// in Sealed, encrypted by the caller.
	SecretFields []string `json:"secret_fields,omitempty"`
	Sealed       []byte   `json:"sealed,omitempty"`
	// AllowPrivateNetworks lets this configuration reach loopback and
	// private addresses (a tool on the local network).
	AllowPrivateNetworks bool      `json:"allow_private_networks,omitempty"`
	Check                *Check    `json:"check,omitempty"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
}

func integrationKey(name string) []byte   { return key("integration", name) }
func configKey(integ, cfg string) []byte  { return key("config", integ, cfg) }
func configPrefix(integ string) []byte    { return key("config", integ, "") }
func kvPrefix(integ string) []byte        { return key("kv", integ, "") }
func mappingPrefix(integ string) []byte   { return key("mapping", integ, "") }
func kvKey(integ, k string) []byte        { return key("kv", integ, k) }
func mappingKey(integ, org string) []byte { return key("mapping", integ, org) }

// Integration returns the installed integration name, or ErrNotFound.
func (s *Store) Integration(name string) (Integration, error) {
	var in Integration
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, integrationKey(name), &in) })
	return in, err
}

// Integrations returns every installed integration, by name.
func (s *Store) Integrations() ([]Integration, error) {
	var out []Integration
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("integration", ""), func(_ string, in *Integration) error {
			out = append(out, *in)
			return nil
		})
	})
	return out, err
}

// PutIntegration records an install or an upgrade. An upgrade keeps the
// install time and the default configuration.
func (s *Store) PutIntegration(in Integration) error {
	return s.update(func(tx *badger.Txn) error {
		var old Integration
		switch err := getJSON(tx, integrationKey(in.Name), &old); {
		case err == nil:
			in.InstalledAt = old.InstalledAt
			if in.DefaultConfig == "" {
				in.DefaultConfig = old.DefaultConfig
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		return setJSON(tx, integrationKey(in.Name), in)
	})
}

// Configuration returns one configuration, or ErrNotFound.
func (s *Store) Configuration(integ, name string) (Configuration, error) {
	var c Configuration
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, configKey(integ, name), &c) })
	return c, err
}

// Configurations returns an integration's configurations, by name.
func (s *Store) Configurations(integ string) ([]Configuration, error) {
	var out []Configuration
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, configPrefix(integ), func(_ string, c *Configuration) error {
			out = append(out, *c)
			return nil
		})
	})
	return out, err
}

// SaveConfiguration writes c, keeping its creation time, and in the same
// transaction makes it the integration's default when makeDefault is set
// or the integration has no default yet.
func (s *Store) SaveConfiguration(c Configuration, makeDefault bool) error {
	return s.update(func(tx *badger.Txn) error {
		var in Integration
		if err := getJSON(tx, integrationKey(c.Integration), &in); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("integration %s is not installed: %w", c.Integration, ErrNotFound)
			}
			return err
		}
		var old Configuration
		switch err := getJSON(tx, configKey(c.Integration, c.Name), &old); {
		case err == nil:
			c.CreatedAt = old.CreatedAt
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := setJSON(tx, configKey(c.Integration, c.Name), c); err != nil {
			return err
		}
		if makeDefault || in.DefaultConfig == "" {
			in.DefaultConfig = c.Name
			return setJSON(tx, integrationKey(in.Name), in)
		}
		return nil
	})
}

// Removed counts what Uninstall deleted.
type Removed struct {
	Configurations int `json:"configurations"`
	KVKeys         int `json:"kv_keys"`
	Mappings       int `json:"mappings"`
}

// Uninstall deletes an integration, its configurations and its KV data in
// one transaction; with purge, its organization mapping too (else the
// mapping stays for a reinstall). It returns the module digest so the
// caller can delete the file when nothing else uses it.
func (s *Store) Uninstall(name string, purge bool) (Integration, Removed, error) {
	var in Integration
	var r Removed
	err := s.update(func(tx *badger.Txn) error {
		r = Removed{}
		if err := getJSON(tx, integrationKey(name), &in); err != nil {
			return err
		}
		r.Configurations = countPrefix(tx, configPrefix(name))
		r.KVKeys = countPrefix(tx, kvPrefix(name))
		prefixes := [][]byte{configPrefix(name), kvPrefix(name)}
		if purge {
			r.Mappings = countPrefix(tx, mappingPrefix(name))
			prefixes = append(prefixes, mappingPrefix(name), key("options", name, ""))
			if err := tx.Delete(draftKey(name)); err != nil {
				return err
			}
		}
		for _, p := range prefixes {
			if err := deletePrefix(tx, p); err != nil {
				return err
			}
		}
		return tx.Delete(integrationKey(name))
	})
	return in, r, err
}

// ModuleInUse reports whether an installed integration uses the module
// with this digest.
func (s *Store) ModuleInUse(sha string) (bool, error) {
	all, err := s.Integrations()
	for _, in := range all {
		if in.SHA256 == sha {
			return true, err
		}
	}
	return false, err
}

// KV is the key-value store of one integration, for its connector's KV
// host functions.
func (s *Store) KV(integ string) *KV { return &KV{s: s, integ: integ} }

// KV implements the connector KV over the store.
type KV struct {
	s     *Store
	integ string
}

// Get returns the value under k.
func (kv *KV) Get(_ context.Context, k string) ([]byte, bool, error) {
	var v []byte
	err := kv.s.view(func(tx *badger.Txn) error {
		item, err := tx.Get(kvKey(kv.integ, k))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// Set stores value under k.
func (kv *KV) Set(_ context.Context, k string, value []byte) error {
	return kv.s.update(func(tx *badger.Txn) error { return tx.Set(kvKey(kv.integ, k), value) })
}

// Delete removes k.
func (kv *KV) Delete(_ context.Context, k string) error {
	return kv.s.update(func(tx *badger.Txn) error { return tx.Delete(kvKey(kv.integ, k)) })
}
