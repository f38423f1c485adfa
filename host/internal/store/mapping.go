package store

import (
	"encoding/json"
	"fmt"
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
	// Orgs are the organizations its workflows run for; Vars its settings.
	Orgs []string       `json:"orgs,omitempty"`
	Vars map[string]any `json:"vars,omitempty"`
	// Crate is the crate definition (crates.Crate as JSON).
	Crate json.RawMessage `json:"crate,omitempty"`
	// Source is "bundled" or the path it was unpacked from.
	Source string `json:"source,omitempty"`
}

// UnpackedCrates returns every unpacked crate, by name.
func (s *Store) UnpackedCrates() ([]UnpackedCrate, error) {
	var out []UnpackedCrate
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("crate", ""), func(_ string, c *UnpackedCrate) error {
			out = append(out, *c)
			return nil
		})
	})
	return out, err
}

// DeleteUnpackedCrate removes an unpacked crate; ErrNotFound if none.
func (s *Store) DeleteUnpackedCrate(name string) error {
	return s.update(func(tx *badger.Txn) error {
		if _, err := tx.Get(key("crate", name)); err != nil {
			return ErrNotFound
		}
		return tx.Delete(key("crate", name))
	})
}

// RunRecord is a recorded workflow run (workflow.Run as JSON).
type RunRecord struct {
	ID       int             `json:"id"`
	Crate    string          `json:"crate"`
	Workflow string          `json:"workflow"`
	Org      string          `json:"org"`
	Status   string          `json:"status"`
	Started  time.Time       `json:"started_at"`
	Run      json.RawMessage `json:"run"`
}

var keyRunSeq = key("seq", "run")

// AddRun records a run and gives it the next id.
func (s *Store) AddRun(r RunRecord) (RunRecord, error) {
	err := s.update(func(tx *badger.Txn) error {
		id, err := nextSeq(tx, keyRunSeq)
		if err != nil {
			return err
		}
		r.ID = id
		return setJSON(tx, key("run", fmt.Sprintf("%020d", r.ID)), r)
	})
	return r, err
}

// Runs returns the newest runs first, at most limit (0: all).
func (s *Store) Runs(limit int) ([]RunRecord, error) {
	var out []RunRecord
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("run", ""), func(_ string, r *RunRecord) error {
			r.Run = nil // the list shows summaries
			out = append(out, *r)
			return nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Run returns one run; ErrNotFound if none.
func (s *Store) Run(id int) (RunRecord, error) {
	var r RunRecord
	err := s.view(func(tx *badger.Txn) error { return getJSON(tx, key("run", fmt.Sprintf("%020d", id)), &r) })
	return r, err
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

// Job is a queued workflow run, written before a webhook is answered so a
// crash or restart never drops it.
type Job struct {
	ID       int       `json:"id"`
	Crate    string    `json:"crate"`
	Workflow string    `json:"workflow"`
	Orgs     []string  `json:"orgs"`
	Trigger  string    `json:"trigger"`
	Payload  []byte    `json:"payload,omitempty"`
	QueuedAt time.Time `json:"queued_at"`
}

var keyJobSeq = key("seq", "queue")

// Enqueue records a job and gives it the next id.
func (s *Store) Enqueue(j Job) (Job, error) {
	err := s.update(func(tx *badger.Txn) error {
		id, err := nextSeq(tx, keyJobSeq)
		if err != nil {
			return err
		}
		j.ID = id
		return setJSON(tx, key("queue", fmt.Sprintf("%020d", j.ID)), j)
	})
	return j, err
}

// Jobs returns the queued jobs, oldest first.
func (s *Store) Jobs() ([]Job, error) {
	var out []Job
	err := s.view(func(tx *badger.Txn) error {
		return eachJSON(tx, key("queue", ""), func(_ string, j *Job) error {
			out = append(out, *j)
			return nil
		})
	})
	return out, err
}

// DeleteJob removes a job once it has run.
func (s *Store) DeleteJob(id int) error {
	return s.update(func(tx *badger.Txn) error { return tx.Delete(key("queue", fmt.Sprintf("%020d", id))) })
}
