package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Organization is one of the user's organizations: their own (no parent)
// or a customer managed by another organization.
type Organization struct {
	// ID is the organization's slug, unique and stable; mappings and
	// workflows refer to it.
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	ParentID   string            `json:"parent_id,omitempty"`
	Domains    []string          `json:"domains,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Disabled   bool              `json:"disabled,omitempty"`
	// Own marks the user's own organization, the one that manages the
	// others; it is not mapped to customer accounts.
	Own       bool      `json:"own,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrExists is returned when creating something that already exists.
var ErrExists = errors.New("already exists")

func orgKey(id string) []byte { return key("org", id) }

// PutOrganizations creates or replaces organizations in one transaction.
// With create set, an id that already exists fails the whole change with
// an error wrapping ErrExists.
func (s *Store) PutOrganizations(orgs []Organization, create bool) error {
	return s.update(func(tx *badger.Txn) error {
		for _, o := range orgs {
			if create {
				if _, err := tx.Get(orgKey(o.ID)); err == nil {
					return fmt.Errorf("organization %q: %w", o.ID, ErrExists)
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
			}
			if err := setJSON(tx, orgKey(o.ID), o); err != nil {
				return err
			}
		}
		return nil
	})
}

// Organization returns one organization; ErrNotFound if there is none.
func (s *Store) Organization(id string) (Organization, error) {
	var o Organization
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, orgKey(id), &o) })
	return o, err
}

// Organizations returns every organization, by id.
func (s *Store) Organizations() ([]Organization, error) {
	var out []Organization
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("org", ""), func(_ string, o *Organization) error {
			out = append(out, *o)
			return nil
		})
	})
	return out, err
}

// DeleteOrganization removes an organization and, in the same
// transaction, its saved mappings in every integration and its entries in
// every draft. It is ErrNotFound if there is none.
func (s *Store) DeleteOrganization(id string) error {
	return s.update(func(tx *badger.Txn) error {
		if _, err := tx.Get(orgKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := tx.Delete(orgKey(id)); err != nil {
			return err
		}
		var mapped [][]byte
		err := each(tx, key("mapping", ""), func(rest string, _ []byte) error {
			if integ, org, ok := cut(rest); ok && org == id {
				mapped = append(mapped, mappingKey(integ, org))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range mapped {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		var drafts []Draft
		if err := eachJSON(tx, key("draft", ""), func(_ string, d *Draft) error {
			if _, ok := d.Entries[id]; ok {
				delete(d.Entries, id)
				drafts = append(drafts, *d)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, d := range drafts {
			if err := setJSON(tx, draftKey(d.Integration), d); err != nil {
				return err
			}
		}
		return moveAliases(tx, id, "")
	})
}

// moveAliases gives an organization's learned aliases a new id, or drops
// them when to is empty.
func moveAliases(tx *badger.Txn, from, to string) error {
	var changed []Aliases
	if err := eachJSON(tx, key("alias", ""), func(_ string, a *Aliases) error {
		if al, ok := a.Orgs[from]; ok {
			delete(a.Orgs, from)
			if to != "" {
				a.Orgs[to] = al
			}
			changed = append(changed, *a)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, a := range changed {
		if err := setJSON(tx, aliasKey(a.Integration), a); err != nil {
			return err
		}
	}
	return nil
}

// RenameOrganization changes an organization's id, moving its saved
// mappings and draft entries with it, in one transaction.
func (s *Store) RenameOrganization(from string, to Organization) error {
	return s.update(func(tx *badger.Txn) error {
		var old Organization
		if err := getJSON(tx, orgKey(from), &old); err != nil {
			return err
		}
		if to.ID != from {
			if _, err := tx.Get(orgKey(to.ID)); err == nil {
				return fmt.Errorf("organization %q: %w", to.ID, ErrExists)
			}
			if err := tx.Delete(orgKey(from)); err != nil {
				return err
			}
			var moved []Mapping
			err := eachJSON(tx, key("mapping", ""), func(rest string, m *Mapping) error {
				if _, org, ok := cut(rest); ok && org == from {
					moved = append(moved, *m)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, m := range moved {
				if err := tx.Delete(mappingKey(m.Integration, from)); err != nil {
					return err
				}
				m.OrgID = to.ID
				if err := setJSON(tx, mappingKey(m.Integration, to.ID), m); err != nil {
					return err
				}
			}
			var drafts []Draft
			if err := eachJSON(tx, key("draft", ""), func(_ string, d *Draft) error {
				if e, ok := d.Entries[from]; ok {
					delete(d.Entries, from)
					d.Entries[to.ID] = e
					drafts = append(drafts, *d)
				}
				return nil
			}); err != nil {
				return err
			}
			for _, d := range drafts {
				if err := setJSON(tx, draftKey(d.Integration), d); err != nil {
					return err
				}
			}
			if err := moveAliases(tx, from, to.ID); err != nil {
				return err
			}
			// Children follow their parent's new id.
			var kids []Organization
			if err := eachJSON(tx, key("org", ""), func(_ string, o *Organization) error {
				if o.ParentID == from {
					o.ParentID = to.ID
					kids = append(kids, *o)
				}
				return nil
			}); err != nil {
				return err
			}
			for _, k := range kids {
				if err := setJSON(tx, orgKey(k.ID), k); err != nil {
					return err
				}
			}
		}
		return setJSON(tx, orgKey(to.ID), to)
	})
}

// cut splits "a/b" into a and b.
func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}
