package crates

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Crate is a parsed crate.yaml.
type Crate struct {
	Name        string     `yaml:"name" json:"name"`
	Version     string     `yaml:"version" json:"version"`
	Description string     `yaml:"description" json:"description"`
	Category    string     `yaml:"category" json:"category,omitempty"`
	Maturity    string     `yaml:"maturity" json:"maturity,omitempty"` // stable, beta, experimental
	Needs       []Need     `yaml:"integrations" json:"integrations"`
	OrgVars     []string   `yaml:"org_variables" json:"org_variables,omitempty"`
	Variables   []Variable `yaml:"variables" json:"variables,omitempty"`
	Workflows   []Workflow `yaml:"workflows" json:"workflows"`
	Triggers    []Trigger  `yaml:"triggers" json:"triggers,omitempty"`
}

// Need is an integration a crate requires.
type Need struct {
	Name string `yaml:"name" json:"name"`
	// Version is a range such as ">=1.0.0 <2.0.0"; empty means any.
	Version      string   `yaml:"version" json:"version,omitempty"`
	Actions      []string `yaml:"actions" json:"actions,omitempty"`
	Capabilities []string `yaml:"capabilities" json:"capabilities,omitempty"`
	// NoMapping says the workflows do not use the organizations' accounts
	// in this integration, so unpacking does not require them mapped.
	NoMapping bool `yaml:"no_mapping" json:"no_mapping,omitempty"`
}

// Builtin is the namespace of Roost's own actions, usable without
// declaring an integration: roost.add_organization and roost.map.
const Builtin = "roost"

// BuiltinActions are Roost's own workflow actions.
var BuiltinActions = []string{"add_organization", "map"}

// Variable is a crate setting given at unpack time (--var k=v).
type Variable struct {
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type" json:"type"` // string, integer, number, boolean
	Default     any    `yaml:"default" json:"default,omitempty"`
	Required    bool   `yaml:"required" json:"required,omitempty"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// Workflow is a list of steps run for one organization.
type Workflow struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Config says which configuration an integration call uses: "mapped"
	// (the default: the one the org's mapping was pulled with, else the
	// integration's default), "mapped-only" (the mapping's, and a call for
	// an unmapped organization fails) or "default".
	Config string `yaml:"config" json:"config,omitempty"`
	Steps  []Step `yaml:"steps" json:"steps"`
}

// Step calls one integration action.
type Step struct {
	ID string `yaml:"id" json:"id"`
	// Action is "integration.action".
	Action string `yaml:"action" json:"action"`
	// Input maps the action's input fields to expr expressions over the
	// run context (org, vars, steps, item, now()); non-string values are
	// taken as they are.
	Input map[string]any `yaml:"input" json:"input,omitempty"`
	// If, when set, is an expr condition; the step is skipped when false.
	If string `yaml:"if" json:"if,omitempty"`
	// Foreach, when set, is an expr giving a list; the step runs once per
	// item (as `item`), a few at a time, and its output is the list of
	// outputs.
	Foreach string `yaml:"foreach" json:"foreach,omitempty"`
	// Retries is how often a failed call is tried again (default 0).
	Retries int `yaml:"retries" json:"retries,omitempty"`
	// OnError is "fail" (default: the run fails) or "continue".
	OnError string `yaml:"on_error" json:"on_error,omitempty"`
}

// Trigger starts a workflow: by hand, on a cron schedule, or on a webhook
// (the last two under roost serve).
type Trigger struct {
	Workflow string `yaml:"workflow" json:"workflow"`
	Manual   bool   `yaml:"manual" json:"manual,omitempty"`
	Cron     string `yaml:"cron" json:"cron,omitempty"`
	Webhook  string `yaml:"webhook" json:"webhook,omitempty"`
}

// Problem is one thing wrong with a crate file, located.
type Problem struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Field string `json:"field"`
	Msg   string `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Msg)
}

// Error is every problem of a crate file.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problems in the crate:\n  %s", len(e.Problems), strings.Join(lines, "\n  "))
}

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	idRE      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	semverRE  = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
	rangeRE   = regexp.MustCompile(`^(>=|<=|>|<|=|\^|~)?\s*\d+(\.\d+){0,2}$`)
	cronField = regexp.MustCompile(`^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$`)
)

// Parse reads crate.yaml. Every problem is reported at once, each with
// its line and field, in an *Error.
func Parse(file string, data []byte) (*Crate, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := regexp.MustCompile(`line (\d+)`).FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, &Error{Problems: []Problem{{File: file, Line: line, Field: "(yaml)", Msg: err.Error()}}}
	}
	var c Crate
	var probs []Problem
	add := func(n *yaml.Node, field, format string, args ...any) {
		line := 1
		if n != nil {
			line = n.Line
		}
		probs = append(probs, Problem{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		add(nil, "(document)", "want a mapping with name, version, integrations and workflows")
		return nil, &Error{Problems: probs}
	}
	root := doc.Content[0]
	if err := root.Decode(&c); err != nil {
		add(root, "(document)", "%v", err)
		return nil, &Error{Problems: probs}
	}
	at := func(path ...any) *yaml.Node { return find(root, path...) }
	known := map[string]bool{"name": true, "version": true, "description": true, "category": true, "maturity": true,
		"integrations": true, "org_variables": true, "variables": true, "workflows": true, "triggers": true}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; !known[k.Value] {
			add(k, k.Value, "unknown field (known: name, version, description, category, maturity, integrations, org_variables, variables, workflows, triggers)")
		}
	}
	if !nameRE.MatchString(c.Name) {
		add(at("name"), "name", "%q: use lower-case letters, digits and '-', starting with a letter", c.Name)
	}
	if !semverRE.MatchString(c.Version) {
		add(at("version"), "version", "%q: want a semantic version such as 1.0.0", c.Version)
	}
	if strings.TrimSpace(c.Description) == "" {
		add(at("description"), "description", "say what the crate does")
	}
	switch c.Maturity {
	case "", "stable", "beta", "experimental":
	default:
		add(at("maturity"), "maturity", "%q: want stable, beta or experimental", c.Maturity)
	}
	needs := map[string]*Need{}
	for i := range c.Needs {
		n := &c.Needs[i]
		f := fmt.Sprintf("integrations[%d]", i)
		if n.Name == "" {
			add(at("integrations", i), f+".name", "an integration needs a name")
		}
		needs[n.Name] = n
		for _, part := range strings.Fields(n.Version) {
			if !rangeRE.MatchString(part) {
				add(at("integrations", i, "version"), f+".version", "%q: want a range such as \">=1.0.0 <2.0.0\"", n.Version)
				break
			}
		}
	}
	vars := map[string]bool{}
	for i, v := range c.Variables {
		f := fmt.Sprintf("variables[%d]", i)
		if !idRE.MatchString(v.Name) {
			add(at("variables", i, "name"), f+".name", "%q: use lower-case letters, digits and '_'", v.Name)
		}
		vars[v.Name] = true
		switch v.Type {
		case "string", "integer", "number", "boolean":
		default:
			add(at("variables", i, "type"), f+".type", "%q: want string, integer, number or boolean", v.Type)
		}
	}
	wfs := map[string]bool{}
	if len(c.Workflows) == 0 {
		add(at("workflows"), "workflows", "a crate needs at least one workflow")
	}
	for i, w := range c.Workflows {
		f := fmt.Sprintf("workflows[%d]", i)
		if !nameRE.MatchString(w.Name) {
			add(at("workflows", i, "name"), f+".name", "%q: use lower-case letters, digits and '-'", w.Name)
		}
		if wfs[w.Name] {
			add(at("workflows", i, "name"), f+".name", "a second workflow named %q", w.Name)
		}
		wfs[w.Name] = true
		switch w.Config {
		case "", "mapped", "mapped-only", "default":
		default:
			add(at("workflows", i, "config"), f+".config", "%q: want mapped, mapped-only or default", w.Config)
		}
		if len(w.Steps) == 0 {
			add(at("workflows", i), f+".steps", "a workflow needs at least one step")
		}
		ids := map[string]bool{}
		for j, s := range w.Steps {
			sf := fmt.Sprintf("%s.steps[%d]", f, j)
			if !idRE.MatchString(s.ID) {
				add(at("workflows", i, "steps", j, "id"), sf+".id", "%q: use lower-case letters, digits and '_'", s.ID)
			}
			if ids[s.ID] {
				add(at("workflows", i, "steps", j, "id"), sf+".id", "a second step %q", s.ID)
			}
			ids[s.ID] = true
			integ, action, ok := strings.Cut(s.Action, ".")
			if !ok || integ == "" || action == "" {
				add(at("workflows", i, "steps", j, "action"), sf+".action", "%q: want integration.action", s.Action)
			} else if integ == Builtin {
				if !contains(BuiltinActions, action) {
					add(at("workflows", i, "steps", j, "action"), sf+".action", "roost has no action %q (it has %s)", action, strings.Join(BuiltinActions, ", "))
				}
			} else if n := needs[integ]; n == nil {
				add(at("workflows", i, "steps", j, "action"), sf+".action", "uses %s, which is not among the crate's integrations", integ)
			} else if len(n.Actions) > 0 && !contains(n.Actions, action) {
				add(at("workflows", i, "steps", j, "action"), sf+".action", "%s is not among the actions the crate declares for %s", action, integ)
			}
			switch s.OnError {
			case "", "fail", "continue":
			default:
				add(at("workflows", i, "steps", j, "on_error"), sf+".on_error", "%q: want fail or continue", s.OnError)
			}
			if s.Retries < 0 || s.Retries > 10 {
				add(at("workflows", i, "steps", j, "retries"), sf+".retries", "%d: want 0 to 10", s.Retries)
			}
		}
	}
	for i, t := range c.Triggers {
		f := fmt.Sprintf("triggers[%d]", i)
		if !wfs[t.Workflow] {
			add(at("triggers", i, "workflow"), f+".workflow", "no workflow %q in the crate", t.Workflow)
		}
		kinds := 0
		if t.Manual {
			kinds++
		}
		if t.Cron != "" {
			kinds++
			if fs := strings.Fields(t.Cron); len(fs) != 5 || !allMatch(fs, cronField) {
				add(at("triggers", i, "cron"), f+".cron", "%q: want five fields (minute hour day month weekday)", t.Cron)
			}
		}
		if t.Webhook != "" {
			kinds++
			if !idRE.MatchString(strings.ReplaceAll(t.Webhook, "-", "_")) {
				add(at("triggers", i, "webhook"), f+".webhook", "%q: want a simple name for the webhook path", t.Webhook)
			}
		}
		if kinds != 1 {
			add(at("triggers", i), f, "a trigger is one of manual, cron or webhook")
		}
	}
	if len(probs) > 0 {
		sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
		return nil, &Error{Problems: probs}
	}
	return &c, nil
}

func allMatch(fs []string, re *regexp.Regexp) bool {
	for _, f := range fs {
		if !re.MatchString(f) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// find walks a YAML tree by keys and indexes, returning the deepest node
// found (so a problem is located as closely as the document allows).
func find(n *yaml.Node, path ...any) *yaml.Node {
	cur := n
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if cur.Kind != yaml.MappingNode {
				return cur
			}
			next := (*yaml.Node)(nil)
			for i := 0; i+1 < len(cur.Content); i += 2 {
				if cur.Content[i].Value == k {
					next = cur.Content[i+1]
				}
			}
			if next == nil {
				return cur
			}
			cur = next
		case int:
			if cur.Kind != yaml.SequenceNode || k >= len(cur.Content) {
				return cur
			}
			cur = cur.Content[k]
		}
	}
	return cur
}

// Satisfies reports whether version meets a range such as ">=1.0.0 <2.0.0"
// (every part must hold; "^1.2" means >=1.2.0 <2.0.0).
func Satisfies(version, rng string) bool {
	for _, part := range strings.Fields(rng) {
		op := ""
		for _, o := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
			if strings.HasPrefix(part, o) {
				op, part = o, strings.TrimSpace(part[len(o):])
				break
			}
		}
		c := compare(version, part)
		ok := false
		switch op {
		case "", "=":
			ok = c == 0
		case ">=":
			ok = c >= 0
		case "<=":
			ok = c <= 0
		case ">":
			ok = c > 0
		case "<":
			ok = c < 0
		case "^":
			major := strings.SplitN(part, ".", 2)[0]
			ok = c >= 0 && strings.SplitN(version, ".", 2)[0] == major
		case "~":
			p := strings.SplitN(part, ".", 3)
			v := strings.SplitN(version, ".", 3)
			ok = c >= 0 && len(p) >= 2 && len(v) >= 2 && p[0] == v[0] && p[1] == v[1]
		}
		if !ok {
			return false
		}
	}
	return true
}

func compare(a, b string) int {
	pa, pb := nums(a), nums(b)
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func nums(v string) [3]int {
	v, _, _ = strings.Cut(v, "-")
	var out [3]int
	for i, p := range strings.SplitN(v, ".", 3) {
		out[i], _ = strconv.Atoi(p)
	}
	return out
}
