// Package configschema validates a connector configuration against the
// JSON Schema its manifest's config fields describe (abi.Manifest.ConfigSchema),
// with santhosh-tekuri/jsonschema, and names every problem by its field.
// A secret field's value never appears in a problem.
package configschema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/roosthq/roost/sdk/abi"
)

// Validator checks configurations of one connector. Compile it once per
// manifest; it is safe for concurrent use.
type Validator struct {
	manifest *abi.Manifest
	schema   *jsonschema.Schema
}

// Compile builds the validator for m's config schema.
func Compile(m *abi.Manifest) (*Validator, error) {
	c := jsonschema.NewCompiler()
	const loc = "roost:config.json"
	if err := c.AddResource(loc, normalise(m.ConfigSchema())); err != nil {
		return nil, fmt.Errorf("config schema of %s: %w", m.Name, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("config schema of %s: %w", m.Name, err)
	}
	return &Validator{manifest: m, schema: sch}, nil
}

// Validate returns every problem with values, sorted by field. Nil means
// values are a valid configuration.
func (v *Validator) Validate(values map[string]any) []abi.ConfigProblem {
	err := v.schema.Validate(normalise(values))
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []abi.ConfigProblem{{Field: "(configuration)", Problem: err.Error()}}
	}
	var problems []abi.ConfigProblem
	p := message.NewPrinter(language.English)
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, f := range k.Missing {
				problems = append(problems, abi.ConfigProblem{Field: f, Problem: "required but not set"})
			}
		case *kind.AdditionalProperties:
			for _, f := range k.Properties {
				problems = append(problems, abi.ConfigProblem{Field: f, Problem: fmt.Sprintf("not a field of %s (fields: %s)", v.manifest.Name, v.fieldNames())})
			}
		default:
			field := strings.Join(e.InstanceLocation, ".")
			problems = append(problems, abi.ConfigProblem{Field: field, Problem: v.describe(field, e, p)})
		}
	}
	walk(ve)
	slices.SortStableFunc(problems, func(a, b abi.ConfigProblem) int { return strings.Compare(a.Field, b.Field) })
	return slices.Compact(problems)
}

// describe words one problem; for a secret field it says what is wrong
// without repeating the value.
func (v *Validator) describe(field string, e *jsonschema.ValidationError, p *message.Printer) string {
	f, _ := v.manifest.Field(field)
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return fmt.Sprintf("want %s, got %s", want(f, k.Want), k.Got)
	case *kind.Pattern:
		if f != nil && f.Type == abi.TypeURL {
			if f.Secret {
				return "not an http(s) URL"
			}
			return fmt.Sprintf("%q is not an http(s) URL with a host", k.Got)
		}
	case *kind.Enum:
		if f == nil || !f.Secret {
			return fmt.Sprintf("%v is not one of %s", k.Got, enumList(k.Want))
		}
		return "not one of the allowed values"
	}
	if f != nil && f.Secret {
		return "invalid value"
	}
	return e.ErrorKind.LocalizedString(p)
}

func want(f *abi.Field, types []string) string {
	if f != nil && f.Type == abi.TypeURL {
		return "a URL string"
	}
	return strings.Join(types, " or ")
}

func enumList(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%v", v)
	}
	return strings.Join(s, ", ")
}

func (v *Validator) fieldNames() string {
	names := make([]string, len(v.manifest.Config))
	for i, f := range v.manifest.Config {
		names[i] = f.Name
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
