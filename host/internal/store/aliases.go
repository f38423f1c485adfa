package store

import (
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Aliases are what the user taught one integration's suggestions by
// saving a mapping that differs from what was suggested: per
// organization, the account it is (Same) and accounts it is not (Never).
type Aliases struct {
	Integration string           `json:"integration"`
	Orgs        map[string]Alias `json:"orgs"`
}

// Alias is one organization's lessons.
type Alias struct {
	Same  *AliasAccount  `json:"same,omitempty"`
	Never []AliasAccount `json:"never,omitempty"`
}

// AliasAccount is an account and when the user chose (or refused) it.
type AliasAccount struct {
	ID   string    `json:"id"`
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
}

func aliasKey(integ string) []byte { return key("alias", integ) }

// Aliases returns an integration's learned aliases; empty if none.
func (s *Store) Aliases(integ string) (Aliases, error) {
	a := Aliases{Integration: integ}
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, aliasKey(integ), &a) })
	if err == ErrNotFound {
		err = nil
	}
	if a.Orgs == nil {
		a.Orgs = map[string]Alias{}
	}
	return a, err
}

// PutAliases replaces an integration's aliases.
func (s *Store) PutAliases(a Aliases) error {
	return s.update(func(tx *badger.Txn) error {
		if len(a.Orgs) == 0 {
			return tx.Delete(aliasKey(a.Integration))
		}
		return setJSON(tx, aliasKey(a.Integration), a)
	})
}
