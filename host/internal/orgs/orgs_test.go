package orgs

import (
	"errors"
	"testing"
	"time"

	"github.com/roosthq/roost/host/internal/store"
)

func TestBuild(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	set := NewSet([]store.Organization{{ID: "msp", Name: "Roost MSP", Own: true}, {ID: "acme", Name: "Acme"}})
	cases := []struct {
		in      Input
		id, par string
		err     string
	}{
		{in: Input{Name: "Müller & Söhne GmbH"}, id: "muller-sohne-gmbh", par: "msp"},
		{in: Input{Name: "Acme"}, id: "acme-2", par: "msp"},
		{in: Input{Name: "Acme Labs", ParentID: "acme", Domains: []string{"https://www.acme-labs.com/x, ops@acme-labs.com"}}, id: "acme-labs", par: "acme"},
		{in: Input{Name: " "}, err: "an organization needs a name"},
		{in: Input{Name: "X", ID: "Bad ID"}, err: `id "Bad ID": use lower-case letters, digits, '-', '_' and '.'`},
		{in: Input{Name: "Other MSP", Own: true}, err: `"msp" is already your own organization; there is only one`},
		{in: Input{Name: "Orphan", ParentID: "nobody"}, err: `no organization "nobody"`},
		{in: Input{Name: "Bad", Domains: []string{"not a domain"}}, err: `domain "not a domain" is not a domain such as acme.com`},
	}
	for _, c := range cases {
		org, err := Build(c.in, set, now)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%+v: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || org.ID != c.id || org.ParentID != c.par || !org.CreatedAt.Equal(now) {
			t.Errorf("%+v: %+v %v, want id %s parent %s", c.in, org, err, c.id, c.par)
		}
		set.Add(org)
	}
	var unknown *UnknownError
	if _, err := Build(Input{Name: "Y", ParentID: "gone"}, set, now); !errors.As(err, &unknown) || unknown.Ref != "gone" {
		t.Errorf("unknown parent: %v", err)
	}
	if org, _ := Build(Input{Name: "Acme Labs"}, set, now); org.ID != "acme-labs-2" {
		t.Errorf("a taken slug is numbered: %s", org.ID)
	}
}
