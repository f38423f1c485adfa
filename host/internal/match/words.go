package match

import (
	"fmt"
	"sort"
	"strings"
)

// Words is the word table the name aligner uses: abbreviations, synonyms,
// generic words and words that mark a separate body. The built-in table
// (BuiltinWords) is extended or replaced by a rule file's words: section.
// Every entry is written as Normalize spells words: lower case, accents
// folded, apostrophes and dots dropped.
type Words struct {
	// Abbreviations map a short form to what it stands for; a short form
	// may stand for two words ("st": saint or street), tried both ways.
	Abbreviations map[string][]string
	// Synonyms are groups of phrases that name the same kind of body
	// ("parish", "catholic church"); each phrase is rewritten to the
	// group's first.
	Synonyms [][]string
	// Generic words say little about which customer a name is ("group",
	// "services", "clinic"): a name may carry one more or less.
	Generic []string
	// Distinct words make a separate customer of an otherwise equal name
	// ("foundation", "holdings", "pto"): one more or less weighs heavily.
	Distinct []string
	// Lexicon lists real words that a typo never turns into each other
	// ("heating" and "seating"); words seen in two names count as real too.
	Lexicon []string
}

// BuiltinWords is the word table Roost ships; docs/mapping.md lists it.
func BuiltinWords() *Words {
	return &Words{
		Abbreviations: map[string][]string{
			"st": {"saint", "street"}, "ste": {"sainte"}, "mt": {"mount"}, "ft": {"fort"},
			"co": {"county", "company"}, "cnty": {"county"}, "cty": {"county", "city"},
			"twp": {"township"}, "dist": {"district"}, "dept": {"department"}, "hts": {"heights"},
			"fdn": {"foundation"}, "fdtn": {"foundation"}, "ctr": {"center"}, "cntr": {"center"},
			"assoc": {"association", "associates"}, "assn": {"association"}, "asso": {"association"},
			"bros": {"brothers"}, "mfg": {"manufacturing"}, "svcs": {"services"}, "svc": {"service"},
			"mgmt": {"management"}, "mgt": {"management"}, "hosp": {"hospital"}, "intl": {"international"},
			"natl": {"national"}, "univ": {"university"}, "coop": {"cooperative"}, "hnos": {"hermanos"},
			"med": {"medical"}, "reg": {"regional"}, "comm": {"community"}, "rec": {"recreation"},
			"physio": {"physiotherapy"}, "ave": {"avenue"}, "rd": {"road"}, "blvd": {"boulevard"},
			"hwy": {"highway"}, "ln": {"lane"}, "sq": {"square"}, "pkwy": {"parkway"},
			"dr": {"doctor", "drive"}, "corp": {"corporation"}, "ind": {"industries", "independent"},
			"inds": {"industries"}, "elem": {"elementary"}, "sch": {"school"}, "acad": {"academy"},
			"auth": {"authority"}, "admin": {"administration"}, "govt": {"government"},
			"engr": {"engineering"}, "eng": {"engineering"}, "eqpt": {"equipment"}, "equip": {"equipment"},
			"dev": {"development"}, "tech": {"technology", "technical"}, "ins": {"insurance"},
			"fin": {"financial"}, "prop": {"properties"}, "props": {"properties"}, "apts": {"apartments"},
			"vet": {"veterinary"}, "vets": {"veterinary"}, "chiro": {"chiropractic"},
			"dent": {"dental"}, "peds": {"pediatrics"}, "hoa": {"homeowners association"},
			"poa": {"property owners association"},
			"sv":  {"sportverein"}, "tsv": {"turn und sportverein"}, "ff": {"freiwillige feuerwehr"},
			"mrc": {"municipalite regionale de comte"}, "jr": {"junior"}, "sr": {"senior"},
		},
		Synonyms: [][]string{
			{"parish", "catholic church", "catholic parish", "roman catholic church", "parish church"},
			{"medical practice", "surgery", "medical centre practice"},
			{"law office", "law offices", "attorneys at law", "attorney at law", "law firm", "lawyers"},
			{"hvac", "heating and cooling", "heating and air", "heating and air conditioning"},
			{"real estate", "realty", "realtors"},
			{"physical therapy", "physiotherapy", "physio therapy"},
			{"veterinary hospital", "animal hospital"},
			{"veterinary clinic", "animal clinic"},
			{"dental", "dentistry", "dentists", "dentist"},
			{"veterinary", "veterinarian", "veterinarians", "vets"},
			{"commune", "mairie"},
			{"steuerberatung", "steuerkanzlei", "steuerberater"},
			{"tandarts", "tandartspraktijk", "tandartsenpraktijk"},
			{"gasthof", "gasthaus"},
			{"gemeinde", "gemeindeverwaltung"},
			{"pizzeria", "pizza"},
			{"jewelry", "jewellery", "jewelery"},
			{"aluminum", "aluminium"},
			{"certified public accountants", "cpas", "cpa"},
			{"and", "et", "und", "y", "en", "e"},
		},
		Generic: strings.Fields(`group groups services service clinic center centers area family public practice
			office offices store shop company companies lines associates partners council corporation
			enterprises enterprise union inc ltd llc solutions agency`),
		Distinct: strings.Fields(`foundation foundations fdn auxiliary pta pto ptsa ptso booster boosters holdings holding
			bancorp fund funds pension welfare apprenticeship trustees forderverein alumni friends pantry
			ministries ministry retirees retiree benefit benefits charitable endowment`),
		Lexicon: strings.Fields(`heating seating hearing healing heating cooling plumbing roofing fencing paving
			tile title tiles titles tire tires tyre tyres wire wine wines print paint printing painting prints
			paints salon saloon hotel hostel dental rental bank band banking baking bakery moving mowing
			towing rowing sewing coffee toffee wood food goods pool tool tools pools mining dining wining
			lighting fighting sign signs design sing law lawn lane sand land hand care core cure car cars
			card cart carts farm firm form fire hire wire auto autos motor motors meter meters water waters
			cleaning clearing learning leaning glass grass class brass gas mark mary joan john rose ross
			electric eclectic electrical mechanical medical dental media metal metals mental rent rents
			pest vest best west east north south upper lower middle hall mall ball bell well wells
			dairy diary parts arts art port sport sports ports court courts county country city town
			village villa villas club clubs pub lodge ledge hedge edge bridge ridge
			repair repairs supply supplies apply farms firms nursery nurses nursing cafe cake cakes
			beauty bounty spa spas gym gyms inn ink inns bar bars barn barns bay boy toy toys`),
	}
}

// wordTable is Words prepared for lookups.
type wordTable struct {
	abbrev   map[string][]string
	phrases  map[string][][]string // first word → phrases (longest first) and their rewrite
	generic  map[string]bool
	distinct map[string]bool
	lexicon  map[string]bool
}

// phrase rewrites: entry k is [from..., "\x00", to...].
func (w *Words) compile() *wordTable {
	t := &wordTable{abbrev: map[string][]string{}, phrases: map[string][][]string{},
		generic: map[string]bool{}, distinct: map[string]bool{}, lexicon: map[string]bool{}}
	for k, v := range w.Abbreviations {
		t.abbrev[k] = v
	}
	for _, g := range w.Synonyms {
		if len(g) < 2 {
			continue
		}
		to := strings.Fields(g[0])
		for _, p := range g[1:] {
			from := strings.Fields(p)
			if len(from) == 0 {
				continue
			}
			entry := append(append(append([]string(nil), from...), "\x00"), to...)
			t.phrases[from[0]] = append(t.phrases[from[0]], entry)
		}
	}
	for k := range t.phrases {
		ps := t.phrases[k]
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i]) > len(ps[j]) })
	}
	for _, s := range w.Generic {
		t.generic[s] = true
	}
	for _, s := range w.Distinct {
		t.distinct[s] = true
	}
	for _, s := range w.Lexicon {
		t.lexicon[s] = true
	}
	return t
}

var builtinTable = BuiltinWords().compile()

// merge returns the built-in table extended by w: abbreviations replace
// the built-in entry of the same short form, the lists add to theirs. An
// entry written "-word" in Generic, Distinct or Lexicon removes the word.
func (w *Words) merge(base *Words) *Words {
	out := &Words{Abbreviations: map[string][]string{}}
	for k, v := range base.Abbreviations {
		out.Abbreviations[k] = v
	}
	for k, v := range w.Abbreviations {
		if len(v) == 0 {
			delete(out.Abbreviations, k)
			continue
		}
		out.Abbreviations[k] = v
	}
	out.Synonyms = append(append([][]string(nil), base.Synonyms...), w.Synonyms...)
	list := func(a, b []string) []string {
		drop := map[string]bool{}
		var add []string
		for _, s := range b {
			if strings.HasPrefix(s, "-") {
				drop[s[1:]] = true
			} else {
				add = append(add, s)
			}
		}
		var res []string
		for _, s := range append(append([]string(nil), a...), add...) {
			if !drop[s] {
				res = append(res, s)
			}
		}
		return res
	}
	out.Generic = list(base.Generic, w.Generic)
	out.Distinct = list(base.Distinct, w.Distinct)
	out.Lexicon = list(base.Lexicon, w.Lexicon)
	return out
}

// normalizeWords spells every entry of w as Normalize does, and reports
// entries that are empty once normalized.
func (w *Words) normalize() error {
	one := func(s string) string { return strings.Join(tokenize(s), " ") }
	abbr := map[string][]string{}
	for k, v := range w.Abbreviations {
		nk := one(k)
		if nk == "" || strings.Contains(nk, " ") {
			return fmt.Errorf("abbreviation %q: want one word", k)
		}
		var nv []string
		for _, x := range v {
			if x = one(x); x != "" {
				nv = append(nv, x)
			}
		}
		abbr[nk] = nv
	}
	w.Abbreviations = abbr
	for i, g := range w.Synonyms {
		for j, p := range g {
			if g[j] = one(p); g[j] == "" {
				return fmt.Errorf("synonym group %d: an empty phrase", i+1)
			}
		}
	}
	norm := func(l []string) {
		for i, s := range l {
			if strings.HasPrefix(s, "-") {
				l[i] = "-" + one(s[1:])
			} else {
				l[i] = one(s)
			}
		}
	}
	norm(w.Generic)
	norm(w.Distinct)
	norm(w.Lexicon)
	return nil
}
