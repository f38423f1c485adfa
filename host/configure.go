package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/sdk/abi"
)

// DefaultConfigName names an integration's first configuration when none
// is given.
const DefaultConfigName = "default"

// ConfigureInput changes (or creates) one configuration.
type ConfigureInput struct {
	// Config names the configuration; empty means the integration's
	// default one, or "default" when it has none.
	Config string `json:"config,omitempty"`
	// Set holds non-secret field values. A string for an integer, number
	// or boolean field is converted ("50", "true"), so command-line text
	// can go here as it is. A secret field here is refused: secrets go in
	// Secrets, so that no caller passes one by accident where it may be
	// seen (a command line, a log).
	Set map[string]any `json:"set,omitempty"`
	// Secrets holds secret field values.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Unset removes fields (secret or not) from the configuration.
	Unset []string `json:"unset,omitempty"`
	// MakeDefault makes this the integration's default configuration.
	MakeDefault bool `json:"make_default,omitempty"`
	// AllowPrivateNetworks, when set, changes whether this configuration
	// may reach loopback and private addresses.
	AllowPrivateNetworks *bool `json:"allow_private_networks,omitempty"`
	// SkipCheck saves without running the connector's check.
	SkipCheck bool `json:"skip_check,omitempty"`
}

// ConfigureResult says what Configure saved.
type ConfigureResult struct {
	Integration string     `json:"integration"`
	Config      ConfigView `json:"config"`
	Created     bool       `json:"created"`
	// Changed names the fields whose values changed (secrets by name only).
	Changed []string `json:"changed"`
	// Check is the result of the check run on save; nil when the
	// connector has no check or it was skipped.
	Check *Check `json:"check,omitempty"`
}

// ConfigView is a configuration as it may be shown: secret values are
// masked.
type ConfigView struct {
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// Values holds every set field; a secret's value is SecretMask.
	Values               map[string]any `json:"values"`
	AllowPrivateNetworks bool           `json:"allow_private_networks,omitempty"`
	Check                *Check         `json:"check,omitempty"`
	CreatedAt            time.Time      `json:"created_at"`
	UpdatedAt            time.Time      `json:"updated_at"`
}

// SecretMask stands in for a secret value wherever a configuration is
// shown.
const SecretMask = "********"

func viewOf(c store.Configuration, defaultName string) ConfigView {
	v := ConfigView{Name: c.Name, Default: c.Name == defaultName, Values: map[string]any{},
		AllowPrivateNetworks: c.AllowPrivateNetworks, Check: checkView(c.Check), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	for k, x := range c.Values {
		v.Values[k] = x
	}
	for _, k := range c.SecretFields {
		v.Values[k] = SecretMask
	}
	return v
}

// validConfigName: lower-case letters, digits, '-' and '_', 1–64, starting
// with a letter or digit.
func validConfigName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && (r == '-' || r == '_'))
		if !ok {
			return false
		}
	}
	return true
}

// Configure validates and saves a configuration, then runs the
// connector's check (it calls the tool) and stores the result with it. A
// configuration that does not validate is not saved: the error is a
// *ConfigError naming every bad field. A failing check still saves, with
// the check's reason; so does a check that could not run.
func (in *integrationsSvc) Configure(ctx context.Context, name string, ci ConfigureInput) (*ConfigureResult, error) {
	h := in.h
	st, err := h.openStore()
	if err != nil {
		return nil, err
	}
	rec, m, err := in.installed(st, name)
	if err != nil {
		return nil, err
	}
	cfgName := ci.Config
	if cfgName == "" {
		cfgName = rec.DefaultConfig
	}
	if cfgName == "" {
		cfgName = DefaultConfigName
	}
	if !validConfigName(cfgName) {
		return nil, fmt.Errorf("configuration name %q: use lower-case letters, digits, '-' and '_' (up to 64)", cfgName)
	}
	var problems []FieldProblem
	for k := range ci.Set {
		if f, ok := m.Field(k); ok && f.Secret {
			problems = append(problems, FieldProblem{Field: k, Problem: "is secret: give it as a secret, not as a plain value"})
		}
	}
	for k := range ci.Secrets {
		if f, ok := m.Field(k); ok && !f.Secret {
			problems = append(problems, FieldProblem{Field: k, Problem: "is not secret: set it as a plain value"})
		} else if !ok {
			problems = append(problems, FieldProblem{Field: k, Problem: "not a field of " + m.Name})
		}
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Connector: m.Name, Problems: sortProblems(problems)}
	}
	box, err := h.secretBox()
	if err != nil {
		return nil, err
	}
	old, err := st.Configuration(name, cfgName)
	created := errors.Is(err, store.ErrNotFound)
	if err != nil && !created {
		return nil, err
	}
	oldSecrets := map[string]string{}
	if !created && len(old.Sealed) > 0 {
		raw, err := box.Open(old.Sealed, sealContext(name, cfgName))
		if err != nil {
			return nil, fmt.Errorf("configuration %s of %s: %w", cfgName, name, err)
		}
		if err := json.Unmarshal(raw, &oldSecrets); err != nil {
			return nil, fmt.Errorf("configuration %s of %s: sealed secrets are damaged", cfgName, name)
		}
	}
	values := map[string]any{}
	for k, v := range old.Values {
		values[k] = v
	}
	for k, v := range ci.Set {
		values[k] = coerce(m, k, v)
	}
	secretValues := map[string]string{}
	for k, v := range oldSecrets {
		secretValues[k] = v
	}
	for k, v := range ci.Secrets {
		secretValues[k] = v
	}
	for _, k := range ci.Unset {
		delete(values, k)
		delete(secretValues, k)
	}
	full := map[string]any{}
	for k, v := range values {
		full[k] = v
	}
	for k, v := range secretValues {
		full[k] = v
	}
	// The one configuration validator: the manifest's own, as the
	// connector's Configure uses it.
	if _, _, problems := m.CheckConfig(full); len(problems) > 0 {
		return nil, &ConfigError{Connector: m.Name, Problems: sortProblems(problems)}
	}
	changed := changedFields(old.Values, values, oldSecrets, secretValues)
	now := time.Now().UTC()
	c := store.Configuration{Integration: name, Name: cfgName, Values: values, AllowPrivateNetworks: old.AllowPrivateNetworks,
		Check: old.Check, CreatedAt: now, UpdatedAt: now}
	if ci.AllowPrivateNetworks != nil && *ci.AllowPrivateNetworks != c.AllowPrivateNetworks {
		c.AllowPrivateNetworks = *ci.AllowPrivateNetworks
		changed = append(changed, "allow_private_networks")
	}
	if len(changed) > 0 {
		// The last check was of other values; it says nothing of these.
		c.Check = nil
	}
	for k := range secretValues {
		c.SecretFields = append(c.SecretFields, k)
	}
	slices.Sort(c.SecretFields)
	if len(secretValues) > 0 {
		raw, _ := json.Marshal(secretValues)
		c.Sealed = box.Seal(raw, sealContext(name, cfgName))
	}
	res := &ConfigureResult{Integration: name, Created: created, Changed: changed}
	if m.Has(abi.CapCheck) && !ci.SkipCheck {
		check := in.runCheck(ctx, rec, c, full)
		c.Check = &check
		res.Check = checkView(&check)
	}
	if err := st.SaveConfiguration(c, ci.MakeDefault); err != nil {
		return nil, err
	}
	if rec, err = st.Integration(name); err != nil {
		return nil, err
	}
	res.Config = viewOf(c, rec.DefaultConfig)
	return res, nil
}

func sealContext(integ, cfg string) string { return integ + "/" + cfg }

func sortProblems(p []FieldProblem) []FieldProblem {
	slices.SortFunc(p, func(a, b FieldProblem) int { return strings.Compare(a.Field, b.Field) })
	return p
}

// coerce converts command-line text to the field's type; anything it
// cannot convert is left for the schema to reject with the field named.
func coerce(m *abi.Manifest, name string, v any) any {
	s, ok := v.(string)
	f, known := m.Field(name)
	if !ok || !known {
		return v
	}
	switch f.Type {
	case abi.TypeInteger:
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n
		}
	case abi.TypeNumber:
		if n, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return n
		}
	case abi.TypeBoolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "on", "1":
			return true
		case "false", "no", "off", "0":
			return false
		}
	}
	return v
}

func changedFields(oldValues, newValues map[string]any, oldSecrets, newSecrets map[string]string) []string {
	changed := []string{}
	seen := map[string]bool{}
	for _, pair := range [][2]map[string]any{{oldValues, newValues}, {newValues, oldValues}} {
		for k, a := range pair[0] {
			if b, ok := pair[1][k]; (!ok || fmt.Sprint(a) != fmt.Sprint(b)) && !seen[k] {
				seen[k] = true
				changed = append(changed, k)
			}
		}
	}
	for _, pair := range [][2]map[string]string{{oldSecrets, newSecrets}, {newSecrets, oldSecrets}} {
		for k, a := range pair[0] {
			if b, ok := pair[1][k]; (!ok || a != b) && !seen[k] {
				seen[k] = true
				changed = append(changed, k)
			}
		}
	}
	slices.Sort(changed)
	return changed
}

// runCheck runs the connector's check for a configuration about to be
// saved. Whatever goes wrong becomes a failing check with its reason.
func (in *integrationsSvc) runCheck(ctx context.Context, rec store.Integration, c store.Configuration, full map[string]any) store.Check {
	start := time.Now()
	check := store.Check{At: start.UTC()}
	finish := func(ok bool, msg string) store.Check {
		check.OK, check.Message = ok, msg
		check.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		return check
	}
	conn, err := in.h.installedConnector(ctx, rec)
	if err != nil {
		return finish(false, "the connector did not load: "+err.Error())
	}
	cl, err := conn.Configure(full, ClientOptions{AllowPrivateNetworks: c.AllowPrivateNetworks})
	if err != nil {
		return finish(false, err.Error())
	}
	res, err := cl.Check(ctx)
	if err != nil {
		return finish(false, err.Error())
	}
	if res.Message == "" {
		res.Message = "ok"
	}
	return finish(true, res.Message)
}

// installed returns an installed integration and its manifest.
func (in *integrationsSvc) installed(st *store.Store, name string) (store.Integration, *abi.Manifest, error) {
	rec, err := st.Integration(name)
	if errors.Is(err, store.ErrNotFound) {
		return rec, nil, &NotInstalledError{Name: name}
	}
	if err != nil {
		return rec, nil, err
	}
	var m abi.Manifest
	if err := json.Unmarshal(rec.Manifest, &m); err != nil {
		return rec, nil, fmt.Errorf("integration %s: stored manifest is damaged (reinstall it): %w", name, err)
	}
	return rec, &m, nil
}

// installedConnector returns the loaded connector of an installed
// integration, loading its module from the home on first use. Its KV
// store is the integration's, in the store.
func (h *Host) installedConnector(ctx context.Context, rec store.Integration) (*Connector, error) {
	st, err := h.openStore()
	if err != nil {
		return nil, err
	}
	var linked []byte
	if rec.Link != "" {
		// A linked integration runs the file as it is now.
		if linked, err = os.ReadFile(rec.Link); err != nil {
			return nil, fmt.Errorf("integration %s is linked to %s: %w (build it, or install it again without --link)", rec.Name, rec.Link, err)
		}
		if sha := digest(linked); sha != rec.SHA256 {
			if err := h.refreshLink(ctx, st, rec, linked, sha); err != nil {
				return nil, err
			}
			rec.SHA256 = sha
		}
	}
	// One load per build, however many calls want it at once; no lock is
	// held while it compiles. The load is shared, so one caller giving up
	// (a client's Ctrl-C) must not fail it for the others: it runs on a
	// context that only carries values.
	loadCtx := context.WithoutCancel(ctx)
	return h.home.builds.Get(ctx, rec.Name+"@"+rec.SHA256, func() (*Connector, error) {
		ctx := loadCtx
		wasm := linked
		if wasm == nil {
			var err error
			if wasm, err = readFileSHA(h.modulePath(rec.SHA256), rec.SHA256); err != nil {
				return nil, fmt.Errorf("integration %s: %w (reinstall it)", rec.Name, err)
			}
		}
		c, err := h.Load(ctx, rec.Name, wasm, LoadOptions{KV: st.KV(rec.Name)})
		if err != nil {
			return nil, err
		}
		if rec.Custom != nil {
			if c.custom, err = newCustom(rec.Custom); err != nil {
				c.Close(ctx)
				return nil, fmt.Errorf("integration %s: %w", rec.Name, err)
			}
		}
		return c, nil
	})
}

// refreshLink records a linked integration's new build (its digest and
// manifest) once it loads; a build that does not load is an error and
// changes nothing.
func (h *Host) refreshLink(ctx context.Context, st *store.Store, rec store.Integration, wasm []byte, sha string) error {
	conn, err := h.Load(ctx, rec.Link, wasm)
	if err != nil {
		return fmt.Errorf("integration %s is linked to %s, whose new build does not load: %w", rec.Name, rec.Link, err)
	}
	defer conn.Close(ctx)
	m := conn.Manifest()
	if m.Name != rec.Name {
		return fmt.Errorf("integration %s is linked to %s, which now builds connector %q", rec.Name, rec.Link, m.Name)
	}
	// A new build never widens where the integration may connect without
	// the user saying so: installing the link again is that confirmation.
	if ch := diffManifests(rec.Manifest, m); len(ch.HostsAdded) > 0 {
		return &HostsWidenedError{Connector: rec.Name, Added: ch.HostsAdded, Link: rec.Link}
	}
	rec.SHA256, rec.Size, rec.Version, rec.Manifest = sha, int64(len(wasm)), m.Version, conn.ManifestJSON()
	rec.Description, rec.Tags, rec.UpdatedAt = m.Description, m.Tags, time.Now().UTC()
	h.dropLoaded(ctx, rec.Name)
	return st.PutIntegration(rec)
}

// dropLoaded retires the loaded builds of an integration (an upgrade, a
// new linked build, an uninstall): new calls load the new build, calls in
// flight finish on the old one, which closes once they have drained.
func (h *Host) dropLoaded(ctx context.Context, name string) {
	for _, c := range h.home.builds.Drop(func(k string) bool { return strings.HasPrefix(k, name+"@") }) {
		c.Close(ctx)
	}
}

// Client returns a client of an installed integration bound to one of its
// stored configurations (empty means the default).
func (in *integrationsSvc) Client(ctx context.Context, name, config string) (*Client, error) {
	st, err := in.h.openStore()
	if err != nil {
		return nil, err
	}
	rec, m, err := in.installed(st, name)
	if err != nil {
		return nil, err
	}
	if config == "" {
		config = rec.DefaultConfig
	}
	var full map[string]any
	var opts ClientOptions
	if config == "" {
		if len(m.Config) > 0 && slices.ContainsFunc(m.Config, func(f abi.Field) bool { return f.Required }) {
			return nil, &NoConfigurationError{Integration: name}
		}
	} else {
		c, err := st.Configuration(name, config)
		if errors.Is(err, store.ErrNotFound) {
			return nil, &NoConfigurationError{Integration: name, Config: config}
		}
		if err != nil {
			return nil, err
		}
		if full, err = in.h.openConfiguration(c); err != nil {
			return nil, err
		}
		opts.AllowPrivateNetworks = c.AllowPrivateNetworks
		cfgName := config
		opts.RotateSecret = func(field, value string) {
			// Keep the rotated refresh token; a failure leaves the old one,
			// which the tool may still accept.
			_, _ = in.Configure(context.Background(), name, ConfigureInput{Config: cfgName, Secrets: map[string]string{field: value}, SkipCheck: true})
		}
	}
	conn, err := in.h.installedConnector(ctx, rec)
	if err != nil {
		return nil, err
	}
	return conn.Configure(full, opts)
}

// openConfiguration returns a stored configuration's values with its
// secrets opened.
func (h *Host) openConfiguration(c store.Configuration) (map[string]any, error) {
	full := map[string]any{}
	for k, v := range c.Values {
		full[k] = v
	}
	if len(c.Sealed) == 0 {
		return full, nil
	}
	box, err := h.secretBox()
	if err != nil {
		return nil, err
	}
	raw, err := box.Open(c.Sealed, sealContext(c.Integration, c.Name))
	if err != nil {
		return nil, fmt.Errorf("configuration %s of %s: %w", c.Name, c.Integration, err)
	}
	var secrets map[string]string
	if err := json.Unmarshal(raw, &secrets); err != nil {
		return nil, fmt.Errorf("configuration %s of %s: sealed secrets are damaged", c.Name, c.Integration)
	}
	for k, v := range secrets {
		full[k] = v
	}
	return full, nil
}
