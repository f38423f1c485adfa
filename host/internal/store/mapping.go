package store

import (
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Mapping links one of the user's organizations to an account in an
// integrated tool.
type Mapping struct {
	Integration string `json:"integration"`
	OrgID       string `json:"org_id"`
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name,omitempty"`
	// Config is the integration configuration the account belongs to
	// ("" for the default).
	Config string `json:"config,omitempty"`
	// SetBy says who or what set it: "user", or "rule:<name>".
	SetBy string    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}

// PutMapping saves one organization's mapping.
func (s *Store) PutMapping(m Mapping) error {
	return s.update(func(tx *badger.Txn) error { return setJSON(tx, mappingKey(m.Integration, m.OrgID), m) })
}

// Mappings returns an integration's saved mapping, by organization id.
func (s *Store) Mappings(integ string) ([]Mapping, error) {
	var out []Mapping
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, mappingPrefix(integ), func(_ string, m *Mapping) error {
			out = append(out, *m)
			return nil
		})
	})
	return out, err
}

// UnpackedCrate is a crate whose workflows are installed, with the
// integrations they need.
type UnpackedCrate struct {
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	Integrations []string  `json:"integrations"`
	UnpackedAt   time.Time `json:"unpacked_at"`
}

// PutUnpackedCrate records an unpacked crate.
func (s *Store) PutUnpackedCrate(c UnpackedCrate) error {
	return s.update(func(tx *badger.Txn) error { return setJSON(tx, key("crate", c.Name), c) })
}

// CratesNeeding names the unpacked crates that need integration integ.
func (s *Store) CratesNeeding(integ string) ([]string, error) {
	var names []string
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("crate", ""), func(_ string, c *UnpackedCrate) error {
			for _, n := range c.Integrations {
				if n == integ {
					names = append(names, c.Name)
					break
				}
			}
			return nil
		})
	})
	return names, err
}

// Overview is what the integrations list shows of each installed
// integration, read in one transaction.
type Overview struct {
	Integration    Integration
	Configurations []Configuration
	Mapped         int
}

// Overviews returns every installed integration with its configurations
// and mapped-organization count, and the number of organizations.
func (s *Store) Overviews() (all []Overview, orgs int, err error) {
	err = s.view(func(tx *badger.Txn) error {
		all = all[:0]
		orgs = countPrefix(tx, key("org", ""))
		return eachJSON(tx, key("integration", ""), func(name string, in *Integration) error {
			o := Overview{Integration: *in, Mapped: countPrefix(tx, mappingPrefix(name))}
			err := eachJSON(tx, configPrefix(name), func(_ string, c *Configuration) error {
				o.Configurations = append(o.Configurations, *c)
				return nil
			})
			all = append(all, o)
			return err
		})
	})
	return all, orgs, err
}
