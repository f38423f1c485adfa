package match

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"
)

// Env is what a rule's expression sees.
type Env struct {
	Org         *Party `expr:"org"`
	Account     *Party `expr:"account"`
	Integration string `expr:"integration"`
}

// Rule is one compiled rule.
type Rule struct {
	Name string
	// Score is the expression: a boolean (true scores 1) or a number.
	Score string
	// Min is the score a pair needs for the rule to propose it. Default 1.
	Min float64
	// Line and Column locate Score in its file.
	Line, Column int

	program *vm.Program
}

// Rules is an ordered rule set. Earlier rules win: a pair proposed by an
// earlier rule beats any pair proposed only by a later one, whatever
// their scores, so identity rules (domain, external id) go first.
type Rules struct {
	Source string
	Rules  []*Rule
	// Words is the word table the name helpers use: the built-in table
	// (BuiltinWords) extended by the file's words: section.
	Words *Words

	table *wordTable // Words compiled; nil means the built-in table
}

// wordTable is the compiled table of the rule set.
func (r *Rules) wordTable() *wordTable {
	if r == nil || r.table == nil {
		return builtinTable
	}
	return r.table
}

//go:embed default-rules.yaml
var defaultRules []byte

// DefaultRulesSource is the text of the default rule set.
func DefaultRulesSource() []byte { return defaultRules }

// DefaultRules compiles the default rule set.
func DefaultRules() *Rules {
	r, err := ParseRules("default-rules.yaml", defaultRules)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return r
}

// RuleSyntaxError is a rule that does not parse or compile, located in
// its file.
type RuleSyntaxError struct {
	Source       string
	Rule         string
	Line, Column int
	Message      string
}

func (e *RuleSyntaxError) Error() string {
	where := fmt.Sprintf("%s:%d:%d", e.Source, e.Line, e.Column)
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %q: %s", where, e.Rule, e.Message)
	}
	return where + ": " + e.Message
}

// ParseRules reads a rule file:
//
//	rules:
//	  - name: same-domain
//	    score: shares_domain(org, account)
//	  - name: similar-name
//	    score: name_similarity(org, account)
//	    min: 0.86
//
// Every rule is compiled here, once; a syntax or type error is a
// *RuleSyntaxError with the line and column in the file.
func ParseRules(source string, data []byte) (*Rules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &RuleSyntaxError{Source: source, Line: 1, Column: 1, Message: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, &RuleSyntaxError{Source: source, Line: 1, Column: 1, Message: "the file is empty; want a list under rules:"}
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k := root.Content[i].Value; k {
		case "rules", "words":
		default:
			return nil, &RuleSyntaxError{Source: source, Line: root.Content[i].Line, Column: root.Content[i].Column,
				Message: fmt.Sprintf("unknown key %q (want rules and optionally words)", k)}
		}
	}
	list := mapValue(root, "rules")
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, &RuleSyntaxError{Source: source, Line: root.Line, Column: root.Column, Message: "want a list under rules:"}
	}
	out := &Rules{Source: source}
	seen := map[string]bool{}
	for _, item := range list.Content {
		bad := func(n *yaml.Node, rule, format string, args ...any) error {
			return &RuleSyntaxError{Source: source, Rule: rule, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)}
		}
		if item.Kind != yaml.MappingNode {
			return nil, bad(item, "", "each rule is a mapping with name, score and optionally min")
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			switch k := item.Content[i].Value; k {
			case "name", "score", "min", "description":
			default:
				return nil, bad(item.Content[i], "", "unknown key %q (want name, score, min, description)", k)
			}
		}
		nameN, scoreN, minN := mapValue(item, "name"), mapValue(item, "score"), mapValue(item, "min")
		if nameN == nil || strings.TrimSpace(nameN.Value) == "" {
			return nil, bad(item, "", "a rule needs a name")
		}
		r := &Rule{Name: nameN.Value, Min: 1}
		if seen[r.Name] {
			return nil, bad(nameN, r.Name, "a second rule with this name")
		}
		seen[r.Name] = true
		if scoreN == nil || strings.TrimSpace(scoreN.Value) == "" {
			return nil, bad(item, r.Name, "a rule needs a score expression")
		}
		r.Score = scoreN.Value
		r.Line, r.Column = scoreN.Line, scoreN.Column
		if scoreN.Style == yaml.LiteralStyle || scoreN.Style == yaml.FoldedStyle {
			r.Line, r.Column = scoreN.Line+1, scoreN.Column+2
		} else if scoreN.Style == yaml.DoubleQuotedStyle || scoreN.Style == yaml.SingleQuotedStyle {
			r.Column++
		}
		if minN != nil {
			if err := minN.Decode(&r.Min); err != nil || r.Min < 0 || r.Min > 1 || math.IsNaN(r.Min) {
				return nil, bad(minN, r.Name, "min %q: want a number from 0 to 1", minN.Value)
			}
		}
		prog, err := expr.Compile(r.Score, compileOptions()...)
		if err != nil {
			e := &RuleSyntaxError{Source: source, Rule: r.Name, Line: r.Line, Column: r.Column, Message: err.Error()}
			var fe *file.Error
			if errors.As(err, &fe) {
				e.Message = fe.Message
				if fe.Line > 1 {
					e.Line += fe.Line - 1
					e.Column = fe.Column + 1
				} else {
					e.Column += fe.Column
				}
			}
			return nil, e
		}
		r.program = prog
		out.Rules = append(out.Rules, r)
	}
	if len(out.Rules) == 0 {
		return nil, &RuleSyntaxError{Source: source, Line: list.Line, Column: list.Column, Message: "the rule list is empty"}
	}
	out.Words = BuiltinWords()
	if wn := mapValue(root, "words"); wn != nil {
		w, err := parseWords(source, wn)
		if err != nil {
			return nil, err
		}
		out.Words = w
		out.table = w.compile()
	}
	return out, nil
}

// parseWords reads a words: section:
//
//	words:
//	  builtin: true            # start from the built-in table (default); false starts empty
//	  abbreviations: {hq: [headquarters]}
//	  synonyms: [[surgery, medical practice]]
//	  generic: [shoppe, -center]   # "-word" removes a built-in word
//	  distinct: [scholarship]
//	  lexicon: [saloon]
func parseWords(source string, n *yaml.Node) (*Words, error) {
	bad := func(at *yaml.Node, format string, args ...any) error {
		return &RuleSyntaxError{Source: source, Line: at.Line, Column: at.Column, Message: "words: " + fmt.Sprintf(format, args...)}
	}
	if n.Kind != yaml.MappingNode {
		return nil, bad(n, "want a mapping with abbreviations, synonyms, generic, distinct, lexicon or builtin")
	}
	var doc struct {
		Builtin       *bool               `yaml:"builtin"`
		Abbreviations map[string][]string `yaml:"abbreviations"`
		Synonyms      [][]string          `yaml:"synonyms"`
		Generic       []string            `yaml:"generic"`
		Distinct      []string            `yaml:"distinct"`
		Lexicon       []string            `yaml:"lexicon"`
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "builtin", "abbreviations", "synonyms", "generic", "distinct", "lexicon":
		default:
			return nil, bad(n.Content[i], "unknown key %q (want abbreviations, synonyms, generic, distinct, lexicon or builtin)", k)
		}
	}
	// An abbreviation with one meaning may be written as a plain string.
	if ab := mapValue(n, "abbreviations"); ab != nil && ab.Kind == yaml.MappingNode {
		for i := 1; i < len(ab.Content); i += 2 {
			if v := ab.Content[i]; v.Kind == yaml.ScalarNode {
				*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: v.Line, Column: v.Column,
					Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.Value, Line: v.Line, Column: v.Column}}}
			}
		}
	}
	if err := n.Decode(&doc); err != nil {
		return nil, bad(n, "%v", err)
	}
	w := &Words{Abbreviations: doc.Abbreviations, Synonyms: doc.Synonyms, Generic: doc.Generic, Distinct: doc.Distinct, Lexicon: doc.Lexicon}
	if err := w.normalize(); err != nil {
		return nil, bad(n, "%v", err)
	}
	base := BuiltinWords()
	if doc.Builtin != nil && !*doc.Builtin {
		base = &Words{}
	}
	return w.merge(base), nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// RuleError is a rule that failed while scoring one pair.
type RuleError struct {
	Rule    string
	Org     string
	Account string
	Err     error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %q failed for organization %q and account %q: %v", e.Rule, e.Org, e.Account, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// eval scores one pair with rule r.
func (r *Rule) eval(machine *vm.VM, env *Env) (float64, error) {
	v, err := machine.Run(r.program, env)
	if err != nil {
		return 0, &RuleError{Rule: r.Name, Org: env.Org.ID, Account: env.Account.ID, Err: err}
	}
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case nil:
		return 0, nil
	}
	return 0, &RuleError{Rule: r.Name, Org: env.Org.ID, Account: env.Account.ID,
		Err: fmt.Errorf("the score is %T (%v); want a boolean or a number", v, v)}
}

// Helpers lists the functions rules may call, for documentation.
var Helpers = []struct{ Signature, Doc string }{
	{"name_score(org, account) float", "how well the words of the two names align, 0 to 1: rare words weigh more; abbreviations, synonyms, numbers, acronyms, annotations and dba names understood; differing numbers score 0"},
	{"name_conflict(org, account) bool", "whether the names contradict each other: different numbers, different real words, differing qualifiers, or a word marking a separate body (foundation, holdings) on one side"},
	{"name_similarity(org, account) float", "how alike the two normalized names are, 0 to 1 (typos, spacing, word order, legal forms, accents)"},
	{"similarity(a, b string) float", "the same for any two strings"},
	{"token_similarity(a, b string) float", "word overlap of two normalized strings, 0 to 1"},
	{"edit_similarity(a, b string) float", "1 - edit distance / length, on the strings as given"},
	{"normalize(s string) string", "the normalized form of a company name: \"The Acme Corp.\" → \"acme\""},
	{"legal_form(s string) string", "the legal form normalization removes: \"Acme GmbH\" → \"gmbh\""},
	{"domain(s string) string", "the host of a URL, e-mail address or host, without www."},
	{"shares_domain(org, account) bool", "whether the two share a domain"},
	{"same_id(a, b string) bool", "identifiers equal ignoring case, punctuation and leading zeros; empty never matches"},
}

func compileOptions() []expr.Option {
	str := func(v any) string { s, _ := v.(string); return s }
	party := func(v any) *Party { p, _ := v.(*Party); return p }
	return []expr.Option{
		expr.Env(Env{}),
		expr.Function("name_similarity", func(p ...any) (any, error) {
			a, b := party(p[0]), party(p[1])
			if a == nil || b == nil {
				return 0.0, nil
			}
			return NameSimilarity(a.name, b.name), nil
		}, new(func(*Party, *Party) float64)),
		expr.Function("name_score", func(p ...any) (any, error) {
			a, b := party(p[0]), party(p[1])
			if a == nil || b == nil {
				return 0.0, nil
			}
			return a.align(b).score, nil
		}, new(func(*Party, *Party) float64)),
		expr.Function("name_conflict", func(p ...any) (any, error) {
			a, b := party(p[0]), party(p[1])
			if a == nil || b == nil {
				return false, nil
			}
			return a.align(b).conflict, nil
		}, new(func(*Party, *Party) bool)),
		expr.Function("similarity", func(p ...any) (any, error) {
			return NameSimilarity(Normalize(str(p[0])), Normalize(str(p[1]))), nil
		}, new(func(string, string) float64)),
		expr.Function("token_similarity", func(p ...any) (any, error) {
			return TokenSimilarity(Normalize(str(p[0])).Tokens, Normalize(str(p[1])).Tokens), nil
		}, new(func(string, string) float64)),
		expr.Function("edit_similarity", func(p ...any) (any, error) {
			return EditSimilarity(str(p[0]), str(p[1])), nil
		}, new(func(string, string) float64)),
		expr.Function("normalize", func(p ...any) (any, error) { return Normalize(str(p[0])).Base, nil },
			new(func(string) string)),
		expr.Function("legal_form", func(p ...any) (any, error) { return Normalize(str(p[0])).Legal, nil },
			new(func(string) string)),
		expr.Function("domain", func(p ...any) (any, error) { return Domain(str(p[0])), nil },
			new(func(string) string)),
		expr.Function("shares_domain", func(p ...any) (any, error) {
			a, b := party(p[0]), party(p[1])
			if a == nil || b == nil {
				return false, nil
			}
			for _, x := range a.domains {
				for _, y := range b.domains {
					if x == y {
						return true, nil
					}
				}
			}
			return false, nil
		}, new(func(*Party, *Party) bool)),
		expr.Function("same_id", func(p ...any) (any, error) { return SameID(str(p[0]), str(p[1])), nil },
			new(func(string, string) bool)),
	}
}
