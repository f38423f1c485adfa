package orgs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/match"
	"github.com/roosthq/roost/host/internal/store"
)

// Input is an organization as a caller describes it.
type Input struct {
	Name       string
	ID         string
	ParentID   string
	Domains    []string
	Tags       []string
	Attributes map[string]string
	Disabled   bool
	Own        bool
}

// UnknownError names an organization that does not exist.
type UnknownError struct{ Ref string }

func (e *UnknownError) Error() string { return fmt.Sprintf("no organization %q", e.Ref) }

// Slug makes an organization id from a name: lower-case letters, digits
// and single hyphens ("Müller & Söhne GmbH" → "muller-sohne-gmbh").
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, tok := range strings.Fields(strings.Join(slugWords(name), " ")) {
		if tok == "and" && b.Len() > 0 {
			continue
		}
		if dash {
			b.WriteByte('-')
		}
		b.WriteString(tok)
		dash = true
	}
	s := b.String()
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-")
	}
	return s
}

func slugWords(name string) []string {
	// Reuse the matcher's folding of accents and punctuation, keeping legal
	// forms (they tell "Acme Ltd" from "Acme GmbH").
	n := match.Normalize(name + " x")
	words := append([]string(nil), n.Tokens...)
	if len(words) > 0 && words[len(words)-1] == "x" {
		words = words[:len(words)-1]
	}
	if n.Legal != "" {
		words = append(words, strings.Fields(n.Legal)...)
	}
	return words
}

// ValidID checks an organization id given by the user.
func ValidID(id string) error {
	if id == "" {
		return errors.New("the id is empty")
	}
	if len(id) > 64 {
		return fmt.Errorf("id %q is longer than 64 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("id %q: use lower-case letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

// CleanList splits comma- or semicolon-separated entries, trims them and
// drops empty and repeated ones.
func CleanList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
			if p := strings.TrimSpace(part); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// CleanDomains is CleanList of domains, each reduced to its host name
// (a URL or an e-mail address is accepted) and checked.
func CleanDomains(in []string) ([]string, error) {
	var out []string
	for _, d := range CleanList(in) {
		dom := match.Domain(d)
		if dom == "" || strings.ContainsAny(dom, " /") || !strings.Contains(dom, ".") {
			return nil, fmt.Errorf("domain %q is not a domain such as acme.com", d)
		}
		if !slices.Contains(out, dom) {
			out = append(out, dom)
		}
	}
	return out, nil
}

// Set is what Build checks a new organization against: the ids taken
// and the user's own organization.
type Set struct {
	taken map[string]bool
	own   *store.Organization
}

func NewSet(all []store.Organization) *Set {
	s := &Set{taken: make(map[string]bool, len(all))}
	for i := range all {
		s.Add(all[i])
	}
	return s
}

func (s *Set) Add(o store.Organization) {
	s.taken[o.ID] = true
	if o.Own {
		s.own = &o
	}
}

// Free lets an id be taken again (an import updating it); Take marks it
// taken without an organization.
func (s *Set) Free(id string) { delete(s.taken, id) }
func (s *Set) Take(id string) { s.taken[id] = true }

// Build makes an organization from an input, checked against the
// existing ones: a free id (the name's slug, numbered when taken, unless
// given), one own organization, a parent that exists (the own one by
// default), clean domains, tags and attributes.
func Build(in Input, set *Set, now time.Time) (store.Organization, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return store.Organization{}, errors.New("an organization needs a name")
	}
	taken, own := set.taken, set.own
	id := in.ID
	if id == "" {
		base := Slug(name)
		if base == "" {
			base = "org"
		}
		id = base
		for n := 2; taken[id]; n++ {
			id = base + "-" + strconv.Itoa(n)
		}
	} else if err := ValidID(id); err != nil {
		return store.Organization{}, err
	}
	if in.Own && own != nil && own.ID != id {
		return store.Organization{}, fmt.Errorf("%q is already your own organization; there is only one", own.ID)
	}
	parent := in.ParentID
	if parent == "" && !in.Own && own != nil {
		parent = own.ID
	}
	if parent != "" && !taken[parent] {
		return store.Organization{}, &UnknownError{Ref: parent}
	}
	if parent == id {
		return store.Organization{}, errors.New("an organization cannot manage itself")
	}
	domains, err := CleanDomains(in.Domains)
	if err != nil {
		return store.Organization{}, err
	}
	attrs := map[string]string{}
	for k, v := range in.Attributes {
		k = strings.TrimSpace(k)
		if k == "" {
			return store.Organization{}, errors.New("an attribute needs a name")
		}
		attrs[k] = strings.TrimSpace(v)
	}
	return store.Organization{ID: id, Name: name, ParentID: parent, Domains: domains, Tags: CleanList(in.Tags),
		Attributes: attrs, Disabled: in.Disabled, Own: in.Own, CreatedAt: now, UpdatedAt: now}, nil
}
