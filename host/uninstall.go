package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/roosthq/roost/sdk/abi"
)

// Details is everything Show tells about an installed integration.
// Secrets are masked.
type Details struct {
	Integration    InstalledSummary `json:"integration"`
	Manifest       *abi.Manifest    `json:"manifest"`
	InstalledAt    string           `json:"installed_at"`
	UpdatedAt      string           `json:"updated_at"`
	Configurations []ConfigView     `json:"configurations"`
	// Mapped of Organizations are mapped to an account in the tool.
	Mapped        int `json:"mapped"`
	Organizations int `json:"organizations"`
	// NeededBy names the unpacked crates that need this integration.
	NeededBy []string `json:"needed_by,omitempty"`
}

// Show returns an installed integration's manifest, configurations
// (secrets masked), last checks and mapping summary.
func (in *integrationsSvc) Show(ctx context.Context, name string) (*Details, error) {
	st, err := in.h.openStore()
	if err != nil {
		return nil, err
	}
	_, m, err := in.installed(st, name)
	if err != nil {
		return nil, err
	}
	overviews, orgs, err := st.Overviews()
	if err != nil {
		return nil, err
	}
	needed, err := st.CratesNeeding(name)
	if err != nil {
		return nil, err
	}
	for _, o := range overviews {
		if o.Integration.Name != name {
			continue
		}
		d := &Details{Integration: summarise(o), Manifest: m, Configurations: []ConfigView{}, Mapped: o.Mapped,
			Organizations: orgs, NeededBy: needed,
			InstalledAt: o.Integration.InstalledAt.Format("2006-01-02 15:04:05Z07:00"),
			UpdatedAt:   o.Integration.UpdatedAt.Format("2006-01-02 15:04:05Z07:00")}
		for _, c := range o.Configurations {
			d.Configurations = append(d.Configurations, viewOf(c, o.Integration.DefaultConfig))
		}
		return d, nil
	}
	// Uninstalled between the two reads.
	return nil, &NotInstalledError{Name: name}
}

// NeededByCratesError refuses to uninstall an integration that unpacked
// crates need.
type NeededByCratesError struct {
	Name   string   `json:"name"`
	Crates []string `json:"crates"`
}

func (e *NeededByCratesError) Error() string {
	return fmt.Sprintf("integration %s is needed by the unpacked crates %s",
		e.Name, strings.Join(e.Crates, ", "))
}

// UninstallOptions change Uninstall.
type UninstallOptions struct {
	// Force uninstalls even when unpacked crates need the integration.
	Force bool `json:"force,omitempty"`
	// Purge deletes the organization mapping too; without it the mapping
	// stays, and a reinstall finds it.
	Purge bool `json:"purge,omitempty"`
}

// UninstallResult says what Uninstall removed and kept.
type UninstallResult struct {
	Name    string  `json:"name"`
	Version string  `json:"version"`
	Removed Removed `json:"removed"`
	// KeptMappings counts the organization mappings kept for a reinstall.
	KeptMappings int `json:"kept_mappings"`
}

// Uninstall removes an installed integration: its module, configurations
// and KV data, in one transaction. The organization mapping stays unless
// Purge is set. Unpacked crates that need the integration make it a
// *NeededByCratesError unless Force is set.
func (in *integrationsSvc) Uninstall(ctx context.Context, name string, o UninstallOptions) (*UninstallResult, error) {
	h := in.h
	st, err := h.openStore()
	if err != nil {
		return nil, err
	}
	if _, _, err := in.installed(st, name); err != nil {
		return nil, err
	}
	needed, err := st.CratesNeeding(name)
	if err != nil {
		return nil, err
	}
	if len(needed) > 0 && !o.Force {
		return nil, &NeededByCratesError{Name: name, Crates: needed}
	}
	rec, removed, err := st.Uninstall(name, o.Purge)
	if err != nil {
		return nil, err
	}
	h.dropLoaded(ctx, name)
	h.removeModuleIfUnused(st, rec.SHA256)
	res := &UninstallResult{Name: name, Version: rec.Version, Removed: Removed(removed)}
	if !o.Purge {
		maps, err := st.Mappings(name)
		if err != nil {
			return nil, err
		}
		res.KeptMappings = len(maps)
	}
	return res, nil
}
