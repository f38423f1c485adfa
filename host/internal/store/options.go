package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/roosthq/roost/sdk/abi"
)

// AccountOptions are the accounts last pulled from an integration's tool: the
// choices an organization can be mapped to.
type AccountOptions struct {
	Integration string        `json:"integration"`
	Config      string        `json:"config"`
	RefreshedAt time.Time     `json:"refreshed_at"`
	Accounts    []abi.Account `json:"-"`
	Count       int           `json:"count"`
	Pages       int           `json:"pages"`
	Chunks      int           `json:"chunks"`
}

// optionsChunk is how many accounts share one key. Large values go to
// Badger's value log, so a refresh of tens of thousands of accounts stays
// a small transaction.
const optionsChunk = 2000

func optionsKey(integ string) []byte { return key("options", integ, "meta") }
func optionsChunkKey(integ string, i int) []byte {
	return key("options", integ, fmt.Sprintf("chunk%05d", i))
}

// PutOptions replaces an integration's options in one transaction.
func (s *Store) PutOptions(o AccountOptions) error {
	o.Count = len(o.Accounts)
	o.Chunks = (len(o.Accounts) + optionsChunk - 1) / optionsChunk
	return s.update(func(tx *badger.Txn) error {
		if err := deletePrefix(tx, key("options", o.Integration, "")); err != nil {
			return err
		}
		for i := 0; i < o.Chunks; i++ {
			part := o.Accounts[i*optionsChunk : min((i+1)*optionsChunk, len(o.Accounts))]
			if err := setJSON(tx, optionsChunkKey(o.Integration, i), part); err != nil {
				return err
			}
		}
		return setJSON(tx, optionsKey(o.Integration), o)
	})
}

// Options returns an integration's options; ErrNotFound if never
// refreshed. With accounts false only the summary is read.
func (s *Store) Options(integ string, accounts bool) (AccountOptions, error) {
	var o AccountOptions
	err := s.view(func(tx *badger.Txn) error {
		if err := getJSON(tx, optionsKey(integ), &o); err != nil {
			return err
		}
		if !accounts {
			return nil
		}
		o.Accounts = make([]abi.Account, 0, o.Count)
		for i := 0; i < o.Chunks; i++ {
			item, err := tx.Get(optionsChunkKey(integ, i))
			if err != nil {
				return fmt.Errorf("options of %s: chunk %d: %w", integ, i, err)
			}
			err = item.Value(func(raw []byte) error {
				var part []abi.Account
				if err := json.Unmarshal(raw, &part); err != nil {
					return fmt.Errorf("options of %s: chunk %d is damaged: %w", integ, i, err)
				}
				o.Accounts = append(o.Accounts, part...)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return o, err
}

// DraftEntry is one organization's pending change to a mapping.
type DraftEntry struct {
	// AccountID is the account to map to; empty with Unset.
	AccountID   string `json:"account_id,omitempty"`
	AccountName string `json:"account_name,omitempty"`
	// Unset removes the saved mapping on save.
	Unset bool `json:"unset,omitempty"`
	// SetBy is "user" or "rule:<name>".
	SetBy string  `json:"set_by"`
	Score float64 `json:"score,omitempty"`
	// Why explains a suggestion (the rule and what matched).
	Why string `json:"why,omitempty"`
	// Confidence is a suggestion's grade (high, review, low) and Margin
	// its lead over the runner-up. Review marks a suggestion held for a
	// look: save leaves it in the draft unless told to include it.
	Confidence string  `json:"confidence,omitempty"`
	Margin     float64 `json:"margin,omitempty"`
	Review     bool    `json:"review,omitempty"`
	// Suggested is the account a rule had suggested before the user
	// changed or unset the entry: saving it teaches the next suggest.
	Suggested     string `json:"suggested,omitempty"`
	SuggestedName string `json:"suggested_name,omitempty"`
}

// Draft holds an integration's mapping changes until they are saved or
// discarded, and what the last suggestion could not decide.
type Draft struct {
	Integration string                `json:"integration"`
	Config      string                `json:"config,omitempty"`
	Entries     map[string]DraftEntry `json:"entries"`
	// Ambiguous lists, per organization, the accounts the last suggestion
	// could not choose between.
	Ambiguous map[string][]string `json:"ambiguous,omitempty"`
	UpdatedAt time.Time           `json:"updated_at"`
}

func draftKey(integ string) []byte { return key("draft", integ) }

// Draft returns an integration's draft; an empty one if there is none.
func (s *Store) Draft(integ string) (Draft, error) {
	d := Draft{Integration: integ}
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, draftKey(integ), &d) })
	if err == ErrNotFound {
		err = nil
	}
	if d.Entries == nil {
		d.Entries = map[string]DraftEntry{}
	}
	return d, err
}

// PutDraft replaces an integration's draft.
func (s *Store) PutDraft(d Draft) error {
	return s.update(func(tx *badger.Txn) error { return setJSON(tx, draftKey(d.Integration), d) })
}

// DeleteDraft discards an integration's draft.
func (s *Store) DeleteDraft(integ string) error {
	return s.update(func(tx *badger.Txn) error { return tx.Delete(draftKey(integ)) })
}

// SaveDraft applies a draft to the saved mapping and deletes it, in one
// transaction: every entry lands or none does. check runs inside the
// transaction with the organizations that still exist, so a draft naming
// a removed organization fails as a whole.
//
// Entries that hold (a suggestion held for review) stay in the draft; a
// user's change to a suggestion is learned in the same transaction.
func (s *Store) SaveDraft(integ string, now time.Time, hold func(org string, e DraftEntry) bool, check func(d Draft, orgExists func(string) bool) error) (Draft, error) {
	var d Draft
	err := s.update(func(tx *badger.Txn) error {
		d = Draft{}
		if err := getJSON(tx, draftKey(integ), &d); err != nil {
			return err
		}
		held := Draft{Integration: d.Integration, Config: d.Config, Entries: map[string]DraftEntry{}, Ambiguous: d.Ambiguous, UpdatedAt: now}
		for org, e := range d.Entries {
			if hold(org, e) {
				held.Entries[org] = e
				delete(d.Entries, org)
			}
		}
		exists := func(id string) bool { _, err := tx.Get(orgKey(id)); return err == nil }
		if err := check(d, exists); err != nil {
			return err
		}
		learned := Aliases{Integration: integ, Orgs: map[string]Alias{}}
		if err := getJSON(tx, aliasKey(integ), &learned); err != nil && err != ErrNotFound {
			return err
		}
		if learned.Orgs == nil {
			learned.Orgs = map[string]Alias{}
		}
		taught := false
		for org, e := range d.Entries {
			if e.Suggested == "" || e.Suggested == e.AccountID {
				continue
			}
			a := learned.Orgs[org]
			// The suggestion refused is never suggested again, even when it
			// was a lesson itself; the account chosen is no longer refused.
			never := a.Never[:0]
			for _, n := range a.Never {
				if n.ID != e.Suggested && (e.Unset || n.ID != e.AccountID) {
					never = append(never, n)
				}
			}
			a.Never = append(never, AliasAccount{ID: e.Suggested, Name: e.SuggestedName, At: now})
			if a.Same != nil && a.Same.ID == e.Suggested {
				a.Same = nil
			}
			if !e.Unset {
				a.Same = &AliasAccount{ID: e.AccountID, Name: e.AccountName, At: now}
			}
			learned.Orgs[org] = a
			taught = true
		}
		if taught {
			if err := setJSON(tx, aliasKey(integ), learned); err != nil {
				return err
			}
		}
		for org, e := range d.Entries {
			if e.Unset {
				if err := tx.Delete(mappingKey(integ, org)); err != nil {
					return err
				}
				continue
			}
			m := Mapping{Integration: integ, OrgID: org, AccountID: e.AccountID, AccountName: e.AccountName,
				Config: d.Config, SetBy: e.SetBy, SetAt: now}
			if err := setJSON(tx, mappingKey(integ, org), m); err != nil {
				return err
			}
		}
		if len(held.Entries) > 0 {
			return setJSON(tx, draftKey(integ), held)
		}
		return tx.Delete(draftKey(integ))
	})
	return d, err
}

// PutMappings saves several mappings in one transaction.
func (s *Store) PutMappings(ms []Mapping) error {
	return s.update(func(tx *badger.Txn) error {
		for _, m := range ms {
			if err := setJSON(tx, mappingKey(m.Integration, m.OrgID), m); err != nil {
				return err
			}
		}
		return nil
	})
}

// MappingOf returns one organization's saved mapping; ErrNotFound if it
// has none.
func (s *Store) MappingOf(integ, org string) (Mapping, error) {
	var m Mapping
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, mappingKey(integ, org), &m) })
	return m, err
}
