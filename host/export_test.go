package host

import "github.com/roosthq/roost/host/internal/store"

// RecordUnpackedCrateForTest records an unpacked crate needing the given
// integrations, until crates can be unpacked for real.
func RecordUnpackedCrateForTest(h *Host, name string, integrations ...string) error {
	st, err := h.openStore()
	if err != nil {
		return err
	}
	return st.PutUnpackedCrate(store.UnpackedCrate{Name: name, Version: "1.0.0", Integrations: integrations})
}
