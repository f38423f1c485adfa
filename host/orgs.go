package host

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/roosthq/roost/host/internal/orgs"
	"github.com/roosthq/roost/host/internal/store"
)

// Organizations manages the user's organizations. Get it from
// Host.Organizations.
type organizationsSvc struct{ h *Host }

// Organizations returns the host's organizations.
func (h *Host) organizations() *organizationsSvc { return &organizationsSvc{h: h} }

// OrgInput describes an organization to add.
type OrgInput struct {
	Name string `json:"name,omitempty"`
	// ID is the slug; empty derives one from the name.
	ID         string            `json:"id,omitempty"`
	ParentID   string            `json:"parent_id,omitempty"`
	Domains    []string          `json:"domains,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Disabled   bool              `json:"disabled,omitempty"`
	// Own marks the user's own organization. There is at most one; new
	// organizations are managed by it unless ParentID says otherwise.
	Own bool `json:"own,omitempty"`
}

// NoOrganizationError says no organization has the id or name asked for.
type NoOrganizationError struct {
	Ref string `json:"ref"`
}

func (e *NoOrganizationError) Error() string {
	return fmt.Sprintf("no organization %q", e.Ref)
}

// Slug makes an organization id from a name: lower-case letters, digits
// and single hyphens ("Müller & Söhne GmbH" → "muller-sohne-gmbh").
func Slug(name string) string { return orgs.Slug(name) }

// Add creates an organization.
func (o *organizationsSvc) Add(_ context.Context, in OrgInput) (store.Organization, error) {
	st, err := o.h.openStore()
	if err != nil {
		return store.Organization{}, err
	}
	all, err := st.Organizations()
	if err != nil {
		return store.Organization{}, err
	}
	org, err := buildOrg(in, orgs.NewSet(all))
	if err != nil {
		return store.Organization{}, err
	}
	if err := st.PutOrganizations([]store.Organization{org}, true); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.Organization{}, fmt.Errorf("organization %q already exists; choose another --id", org.ID)
		}
		return store.Organization{}, err
	}
	return org, nil
}

// List returns every organization, sorted by name.
func (o *organizationsSvc) List(_ context.Context) ([]store.Organization, error) {
	st, err := o.h.openStore()
	if err != nil {
		return nil, err
	}
	all, err := st.Organizations()
	sort.SliceStable(all, func(i, j int) bool { return strings.ToLower(all[i].Name) < strings.ToLower(all[j].Name) })
	return all, err
}

// Get finds an organization by id, or else by exact name (ignoring case).
func (o *organizationsSvc) Get(_ context.Context, ref string) (store.Organization, error) {
	st, err := o.h.openStore()
	if err != nil {
		return store.Organization{}, err
	}
	return findOrg(st, ref)
}

func findOrg(st *store.Store, ref string) (store.Organization, error) {
	if org, err := st.Organization(ref); err == nil {
		return org, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Organization{}, err
	}
	all, err := st.Organizations()
	if err != nil {
		return store.Organization{}, err
	}
	var found []store.Organization
	for _, org := range all {
		if strings.EqualFold(org.Name, strings.TrimSpace(ref)) {
			found = append(found, org)
		}
	}
	switch len(found) {
	case 0:
		return store.Organization{}, &NoOrganizationError{Ref: ref}
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, f := range found {
		ids[i] = f.ID
	}
	return store.Organization{}, fmt.Errorf("%d organizations are named %q; use an id: %s", len(found), ref, strings.Join(ids, ", "))
}

// OrgChange is an edit of an organization; nil fields stay as they are.
type OrgChange struct {
	Name       *string            `json:"name,omitempty"`
	ID         *string            `json:"id,omitempty"`
	ParentID   *string            `json:"parent_id,omitempty"`
	Domains    *[]string          `json:"domains,omitempty"`
	Tags       *[]string          `json:"tags,omitempty"`
	Attributes map[string]*string `json:"attributes,omitempty"` // nil value deletes
	Disabled   *bool              `json:"disabled,omitempty"`
}

// Update edits an organization. Changing its id moves its mappings.
func (o *organizationsSvc) Update(_ context.Context, ref string, ch OrgChange) (store.Organization, error) {
	st, err := o.h.openStore()
	if err != nil {
		return store.Organization{}, err
	}
	org, err := findOrg(st, ref)
	if err != nil {
		return store.Organization{}, err
	}
	from := org.ID
	if ch.Name != nil {
		if strings.TrimSpace(*ch.Name) == "" {
			return store.Organization{}, errors.New("the new name is empty")
		}
		org.Name = strings.TrimSpace(*ch.Name)
	}
	if ch.ID != nil {
		if err := orgs.ValidID(*ch.ID); err != nil {
			return store.Organization{}, err
		}
		org.ID = *ch.ID
	}
	if ch.ParentID != nil {
		if *ch.ParentID != "" {
			if _, err := st.Organization(*ch.ParentID); err != nil {
				return store.Organization{}, &NoOrganizationError{Ref: *ch.ParentID}
			}
			if *ch.ParentID == org.ID {
				return store.Organization{}, errors.New("an organization cannot manage itself")
			}
		}
		org.ParentID = *ch.ParentID
	}
	if ch.Domains != nil {
		if org.Domains, err = orgs.CleanDomains(*ch.Domains); err != nil {
			return store.Organization{}, err
		}
	}
	if ch.Tags != nil {
		org.Tags = orgs.CleanList(*ch.Tags)
	}
	for k, v := range ch.Attributes {
		if org.Attributes == nil {
			org.Attributes = map[string]string{}
		}
		if v == nil {
			delete(org.Attributes, k)
		} else {
			org.Attributes[k] = *v
		}
	}
	if ch.Disabled != nil {
		org.Disabled = *ch.Disabled
	}
	org.UpdatedAt = time.Now().UTC()
	if err := st.RenameOrganization(from, org); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.Organization{}, fmt.Errorf("organization %q already exists", org.ID)
		}
		return store.Organization{}, err
	}
	return org, nil
}

// Remove deletes an organization with its mappings. An organization that
// manages others cannot be removed until they are moved or removed.
func (o *organizationsSvc) Remove(_ context.Context, ref string) (store.Organization, error) {
	st, err := o.h.openStore()
	if err != nil {
		return store.Organization{}, err
	}
	org, err := findOrg(st, ref)
	if err != nil {
		return store.Organization{}, err
	}
	all, err := st.Organizations()
	if err != nil {
		return store.Organization{}, err
	}
	var kids []string
	for _, c := range all {
		if c.ParentID == org.ID {
			kids = append(kids, c.ID)
		}
	}
	if len(kids) > 0 {
		return store.Organization{}, fmt.Errorf("%s manages %d organizations (%s); move or remove them first", org.ID, len(kids), strings.Join(kids[:min(5, len(kids))], ", "))
	}
	return org, st.DeleteOrganization(org.ID)
}

// CSV columns of organization import and export. Other columns are free
// attributes.
var orgColumns = []string{"organizationName", "orgSlug", "managingOrgId", "domain", "isEnabled", "tagNames"}

// ImportOptions change how Import treats bad rows.
type ImportOptions struct {
	// Atomic imports nothing when any row is bad.
	Atomic bool `json:"atomic,omitempty"`
	// DryRun checks every row and imports nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

// RowProblem is one bad row of an import, by its line in the file.
type RowProblem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ImportReport says what an import did.
type ImportReport struct {
	Created  []string     `json:"created"`
	Updated  []string     `json:"updated"`
	Errors   []RowProblem `json:"errors"`
	Imported bool         `json:"imported"`
}

// Import reads organizations from CSV with the columns organizationName
// (required), orgSlug, managingOrgId, domain, isEnabled and tagNames; any
// other column is an attribute. A row whose orgSlug exists updates that
// organization. Every bad row is reported by line; the good rows are
// written in one transaction, or none with opts.Atomic.
func (o *organizationsSvc) Import(_ context.Context, r io.Reader, opts ImportOptions) (*ImportReport, error) {
	st, err := o.h.openStore()
	if err != nil {
		return nil, err
	}
	existing, err := st.Organizations()
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Organization{}
	for _, e := range existing {
		byID[e.ID] = e
	}
	cr, header, col, err := openCSV(r)
	if err != nil {
		return nil, err
	}
	if _, ok := col["organizationName"]; !ok {
		return nil, fmt.Errorf("the CSV has no organizationName column (columns: %s; expected %s)", strings.Join(header, ", "), strings.Join(orgColumns, ", "))
	}
	known := map[string]bool{}
	for _, c := range orgColumns {
		known[c] = true
	}
	rep := &ImportReport{Created: []string{}, Updated: []string{}, Errors: []RowProblem{}}
	set := orgs.NewSet(existing)
	var rows []store.Organization
	inFile := map[string]int{} // id → line
	parentOf := map[int]string{}
	lineOf := map[string]int{}
	parseErrs, err := eachRow(cr, col, func(line int, rec []string, get func(string) string) error {
		bad := func(format string, args ...any) {
			rep.Errors = append(rep.Errors, RowProblem{Line: line, Message: fmt.Sprintf(format, args...)})
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil // a blank line
		}
		in := OrgInput{Name: cleanName(get("organizationName")), ID: get("orgSlug"), ParentID: get("managingOrgId"),
			Domains: []string{get("domain")}, Tags: []string{get("tagNames")}, Attributes: map[string]string{}}
		if in.Name == "" {
			bad("organizationName is empty")
			return nil
		}
		if v := get("isEnabled"); v != "" {
			on, ok := parseBool(v)
			if !ok {
				bad("isEnabled %q: want true or false", v)
				return nil
			}
			in.Disabled = !on
		}
		for name, i := range col {
			if !known[name] && name != "" && i < len(rec) && strings.TrimSpace(rec[i]) != "" {
				in.Attributes[name] = strings.TrimSpace(rec[i])
			}
		}
		if in.ID != "" {
			if err := orgs.ValidID(in.ID); err != nil {
				bad("orgSlug: %v", err)
				return nil
			}
			if prev, dup := inFile[in.ID]; dup {
				bad("orgSlug %q is also on line %d", in.ID, prev)
				return nil
			}
		}
		parent := in.ParentID
		in.ParentID = "" // checked once every row is read; "" means the user's own organization
		if in.ID != "" {
			set.Free(in.ID) // an existing id is updated, not a clash
			in.Own = byID[in.ID].Own
		}
		org, err := buildOrg(in, set)
		if in.ID != "" && byID[in.ID].ID != "" {
			set.Take(in.ID)
		}
		if err != nil {
			bad("%v", err)
			return nil
		}
		if prev, ok := byID[org.ID]; ok {
			org.CreatedAt = prev.CreatedAt
			org.Own = prev.Own
			if parent == "" {
				org.ParentID = prev.ParentID
			}
		}
		if parent != "" {
			parentOf[len(rows)] = parent
		}
		set.Add(org)
		inFile[org.ID] = line
		lineOf[org.ID] = line
		rows = append(rows, org)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Errors = append(rep.Errors, parseErrs...)
	// Parents may be earlier or later in the file, or already stored.
	good := rows[:0]
	for i, org := range rows {
		p, ok := parentOf[i]
		if ok {
			if _, stored := byID[p]; !stored {
				if _, here := inFile[p]; !here {
					rep.Errors = append(rep.Errors, RowProblem{Line: lineOf[org.ID], Message: fmt.Sprintf("managingOrgId %q is no organization in the file or in Roost", p)})
					continue
				}
			}
			if p == org.ID {
				rep.Errors = append(rep.Errors, RowProblem{Line: lineOf[org.ID], Message: "an organization cannot manage itself"})
				continue
			}
			org.ParentID = p
		}
		good = append(good, org)
	}
	sort.Slice(rep.Errors, func(i, j int) bool { return rep.Errors[i].Line < rep.Errors[j].Line })
	for _, org := range good {
		if _, ok := byID[org.ID]; ok {
			rep.Updated = append(rep.Updated, org.ID)
		} else {
			rep.Created = append(rep.Created, org.ID)
		}
	}
	if opts.DryRun || len(good) == 0 || (opts.Atomic && len(rep.Errors) > 0) {
		return rep, nil
	}
	if err := st.PutOrganizations(good, false); err != nil {
		return nil, fmt.Errorf("import: nothing was imported: %w", err)
	}
	rep.Imported = true
	return rep, nil
}

// cleanName drops control characters and collapses spaces.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "enabled":
		return true, true
	case "false", "no", "n", "0", "disabled":
		return false, true
	}
	return false, false
}

// Export writes every organization as CSV in the columns Import reads,
// with one more column per attribute name.
func (o *organizationsSvc) Export(ctx context.Context, w io.Writer) error {
	all, err := o.List(ctx)
	if err != nil {
		return err
	}
	attrSet := map[string]bool{}
	for _, org := range all {
		for k := range org.Attributes {
			attrSet[k] = true
		}
	}
	attrs := make([]string, 0, len(attrSet))
	for k := range attrSet {
		attrs = append(attrs, k)
	}
	sort.Strings(attrs)
	cw := csv.NewWriter(w)
	if err := cw.Write(append(append([]string(nil), orgColumns...), attrs...)); err != nil {
		return err
	}
	for _, org := range all {
		row := []string{org.Name, org.ID, org.ParentID, strings.Join(org.Domains, ";"), strconv.FormatBool(!org.Disabled), strings.Join(org.Tags, ";")}
		for _, a := range attrs {
			row = append(row, org.Attributes[a])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// openCSV reads a CSV file's header: the reader positioned on the first
// row, the column names, and each name's index. A byte-order mark is
// ignored; a column named twice is an error.
func openCSV(r io.Reader) (*csv.Reader, []string, map[string]int, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read the CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, dup := col[h]; dup {
			return nil, nil, nil, fmt.Errorf("the CSV header names column %q twice", h)
		}
		col[h] = i
	}
	return cr, header, col, nil
}

// eachRow calls fn with every row of a CSV file after its header: its line
// (where the row starts), its fields, and a lookup by column name. Rows
// that do not parse come back as RowErrors; fn's error stops the reading.
func eachRow(cr *csv.Reader, col map[string]int, fn func(line int, rec []string, get func(string) string) error) ([]RowProblem, error) {
	var bad []RowProblem
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return bad, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, RowProblem{Line: pe.Line, Message: pe.Err.Error()})
				continue
			}
			return bad, err
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if err := fn(line, rec, get); err != nil {
			return bad, err
		}
	}
}

// buildOrg applies the organizations' rules (package orgs) to an input;
// the unknown parent comes back as the host's own error.
func buildOrg(in OrgInput, set *orgs.Set) (store.Organization, error) {
	org, err := orgs.Build(orgs.Input(in), set, time.Now().UTC())
	var unknown *orgs.UnknownError
	if errors.As(err, &unknown) {
		return org, &NoOrganizationError{Ref: unknown.Ref}
	}
	return org, err
}
