package host

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/store"
)

// Mappings link the user's organizations to accounts in integrated tools.
// A mapping belongs to the integration's name, not its install: it
// survives an uninstall (unless purged) so a reinstall finds it. Get them
// from Host.Mappings.
type Mappings struct{ h *Host }

// Mappings returns the host's organization mappings.
func (h *Host) Mappings() *Mappings { return &Mappings{h: h} }

// Mapping is one organization's link to an account in a tool.
type Mapping = store.Mapping

// Set links organization orgID to accountID in integration's tool. setBy
// says who decided it: "user" or "rule:NAME".
func (mp *Mappings) Set(_ context.Context, integration, orgID, accountID, accountName, setBy string) (Mapping, error) {
	if integration == "" || orgID == "" || accountID == "" {
		return Mapping{}, errors.New("mapping: integration, organization and account are all required")
	}
	if strings.Contains(integration, "/") || strings.Contains(orgID, "/") {
		return Mapping{}, errors.New("mapping: names cannot contain '/'")
	}
	st, err := mp.h.openStore()
	if err != nil {
		return Mapping{}, err
	}
	m := Mapping{Integration: integration, OrgID: orgID, AccountID: accountID, AccountName: accountName, SetBy: setBy, SetAt: time.Now().UTC()}
	return m, st.PutMapping(m)
}

// List returns an integration's saved mapping, by organization id.
func (mp *Mappings) List(_ context.Context, integration string) ([]Mapping, error) {
	st, err := mp.h.openStore()
	if err != nil {
		return nil, err
	}
	return st.Mappings(integration)
}
