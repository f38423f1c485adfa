// Package orgs is the rules of the user's organizations, apart from
// where they are kept: ids made from names (Slug) and checked (ValidID),
// the one own organization that manages the others, parents that exist,
// clean domains, tags and attributes (Build). The host's Organizations
// service reads and writes them in the store around these rules.
//
//	set := orgs.NewSet(existing)
//	org, err := orgs.Build(orgs.Input{Name: "Müller & Söhne GmbH"}, set, time.Now().UTC())
//	// org.ID "muller-sohne-gmbh", managed by the own organization
package orgs
