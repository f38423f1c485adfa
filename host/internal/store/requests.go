package store

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Request is a user's request for an integration Roost does not have yet.
type Request struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Reason    string    `json:"reason,omitempty"`
	Voters    []string  `json:"voters"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Votes is the number of votes (the requester's included).
func (r Request) Votes() int { return len(r.Voters) }

// DuplicateRequestError says a request for the same tool exists.
type DuplicateRequestError struct{ Existing Request }

func (e *DuplicateRequestError) Error() string {
	return fmt.Sprintf("%q is already requested (request %d, %d votes)",
		e.Existing.Name, e.Existing.ID, e.Existing.Votes())
}

// AlreadyVotedError says the voter has voted for the request.
type AlreadyVotedError struct {
	ID    int
	Voter string
}

func (e *AlreadyVotedError) Error() string {
	return fmt.Sprintf("%s has already voted for request %d", e.Voter, e.ID)
}

func requestKey(id int) []byte { return key("request", fmt.Sprintf("%020d", id)) }

var keyRequestSeq = key("seq", "request")

// AddRequest records a request by who, counting as their vote. A request
// whose name matches an existing one (ignoring case and spacing) is a
// *DuplicateRequestError.
func (s *Store) AddRequest(name, reason, who string, now time.Time) (Request, error) {
	var r Request
	err := s.update(func(tx *badger.Txn) error {
		norm := normaliseRequestName(name)
		err := eachJSON(tx, key("request", ""), func(_ string, old *Request) error {
			if normaliseRequestName(old.Name) == norm {
				return &DuplicateRequestError{Existing: *old}
			}
			return nil
		})
		if err != nil {
			return err
		}
		id, err := nextSeq(tx, keyRequestSeq)
		if err != nil {
			return err
		}
		r = Request{ID: id, Name: strings.TrimSpace(name), Reason: reason, Voters: []string{who}, CreatedBy: who, CreatedAt: now}
		return setJSON(tx, requestKey(r.ID), r)
	})
	return r, err
}

// Vote adds who's vote to request id.
func (s *Store) Vote(id int, who string) (Request, error) {
	var r Request
	err := s.update(func(tx *badger.Txn) error {
		if err := getJSON(tx, requestKey(id), &r); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("no request %d: %w", id, ErrNotFound)
			}
			return err
		}
		if slices.Contains(r.Voters, who) {
			return &AlreadyVotedError{ID: id, Voter: who}
		}
		r.Voters = append(r.Voters, who)
		return setJSON(tx, requestKey(id), r)
	})
	return r, err
}

// Requests returns every request, most votes first, then oldest first.
func (s *Store) Requests() ([]Request, error) {
	var out []Request
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("request", ""), func(_ string, r *Request) error {
			out = append(out, *r)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b Request) int { return b.Votes() - a.Votes() })
	return out, err
}

func normaliseRequestName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// nextSeq advances the counter at k and returns its new value.
func nextSeq(tx *badger.Txn, k []byte) (int, error) {
	last := 0
	item, err := tx.Get(k)
	switch {
	case err == nil:
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return 0, err
		}
		if last, err = strconv.Atoi(string(raw)); err != nil {
			return 0, fmt.Errorf("counter %s (%q) is damaged", k, raw)
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return 0, err
	}
	return last + 1, tx.Set(k, []byte(strconv.Itoa(last+1)))
}
