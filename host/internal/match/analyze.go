package match

import (
	"strconv"
	"strings"
	"unicode"
)

// The aligner (align.go) compares names as bags of words. analyze turns
// a name into those words: it drops account codes ("[HART01]", "HART001 -
// ", "(#10442)"), marks annotations and qualifiers as soft ("- Main
// Office", "(Old Acct)", "(TAS)", ", MN"), splits a dba name into its
// legal and trading parts, writes numbers as digits ("Four", "4th", "No.
// 4", "IV" → 4), expands abbreviations and rewrites synonyms from the
// word table, folds British spellings, and flags stop, generic and
// distinct words and possible acronyms.

// tok is one word of a name as the aligner sees it.
type tok struct {
	orig     string // as tokenize spelled it, for explanations and initials
	c, alt   string // canonical spelling, and a second reading ("st": saint, street)
	stem     string // c without a common suffix, for "transport"/"transportation"
	num      bool   // a number; c holds its digits
	soft     bool   // from an annotation or qualifier
	stop     bool
	generic  bool
	distinct bool
	acro     bool // may be an acronym (written in capitals)
	noise    bool // a last word one letter from a legal form ("LtZ", "Hnc")
}

// form is one way of reading a name: the whole of it, or for a dba name
// also its trading part and its legal part.
type form struct {
	toks  []tok
	part  string // "" the whole name, "trade" or "legal"
	legal string // the legal form removed ("llc", "pty ltd")
}

type analysis struct {
	forms []form
}

// stopWords weigh little and are optional in acronyms.
var stopWords = map[string]bool{
	"of": true, "the": true, "and": true, "de": true, "la": true, "le": true, "les": true, "du": true,
	"des": true, "der": true, "die": true, "das": true, "den": true, "van": true, "von": true, "at": true,
	"for": true, "in": true, "on": true, "a": true, "el": true, "del": true, "di": true, "da": true,
	"do": true, "l": true, "d": true, "het": true, "op": true, "am": true, "im": true, "zu": true,
}

// dbaMarkers separate a legal name from a trading name.
var dbaMarkers = []string{" d/b/a ", " dba ", " d.b.a. ", " t/a ", " trading as ", " o/a ", " operating as ",
	" doing business as ", " a/k/a ", " aka "}

// oldMarkers mark an account as old or not to be used; they are soft.
var oldMarkers = map[string]bool{"old": true, "inactive": true, "deleted": true, "closed": true,
	"zz": true, "do not use": true, "archived": true, "dormant": true}

func analyze(raw string, t *wordTable) *analysis {
	s := strings.TrimSpace(raw)
	if strings.ContainsFunc(s, unicode.IsControl) {
		s = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s))
	}
	var soft []string
	s = stripCodes(s)
	if len(s) > 3 && (s[:3] == "zz " || s[:3] == "ZZ " || s[:3] == "Zz ") {
		soft = append(soft, "zz")
		s = s[3:]
	}
	allCaps := !strings.ContainsFunc(s, unicode.IsLower)
	a := &analysis{}
	toks, legal := parsePart(s, soft, allCaps, t)
	a.forms = append(a.forms, form{toks: toks, legal: legal})
	low := " " + asciiLower(s) + " " // byte for byte, so its indexes are s's
	for _, m := range dbaMarkers {
		i := strings.Index(low, m)
		if i <= 0 || i+len(m) >= len(low)-1 {
			continue
		}
		legal, trade := s[:i-1], s[i-1+len(m):]
		legal = trimTrustee(legal)
		if tt, tl := parsePart(trade, nil, allCaps, t); len(tt) > 0 {
			a.forms = append(a.forms, form{toks: tt, part: "trade", legal: tl})
		}
		if lt, ll := parsePart(legal, nil, allCaps, t); len(lt) > 0 {
			a.forms = append(a.forms, form{toks: lt, part: "legal", legal: ll})
		}
		break
	}
	return a
}

// asciiLower lower-cases ASCII letters only, keeping every byte's place.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// trimTrustee drops "The Trustee for (the)" before an Australian trust.
func trimTrustee(s string) string {
	low := asciiLower(s)
	for _, p := range []string{"the trustee for the ", "the trustee for ", "trustee for the ", "trustee for "} {
		if strings.HasPrefix(low, p) {
			return s[len(p):]
		}
	}
	return s
}

// stripCodes removes PSA account codes: "[HART01] X", "X [HART01]",
// "HART001 - X", "BROLE: X", "X (#10442)".
func stripCodes(s string) string {
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			break
		}
		s = strings.TrimSpace(s[:i] + " " + s[i+j+1:])
	}
	for {
		i := strings.Index(s, "(#")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			break
		}
		s = strings.TrimSpace(s[:i] + " " + s[i+j+1:])
	}
	// A leading code in capitals and digits, then " - " or ": ".
	end := strings.IndexFunc(s, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') })
	if end >= 3 && end <= 10 {
		rest := s[end:]
		for _, sep := range []string{" - ", ": ", " – ", " — "} {
			if strings.HasPrefix(rest, sep) && len(strings.Fields(rest[len(sep):])) >= 2 && strings.ContainsFunc(rest, unicode.IsLower) {
				return strings.TrimSpace(rest[len(sep):])
			}
		}
	}
	return s
}

// parsePart reads one part of a name into tokens.
func parsePart(s string, soft []string, allCaps bool, t *wordTable) ([]tok, string) {
	var softText []string
	softText = append(softText, soft...)
	// Parenthesised groups are qualifiers or annotations.
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			s = s[:i] + " " + s[i+1:]
			continue
		}
		softText = append(softText, s[i+1:i+j])
		s = strings.TrimSpace(s[:i] + " " + s[i+j+1:])
	}
	// A short trailing " - X" is a site, department or marker.
	for _, sep := range []string{" - ", " – ", " — "} {
		if i := strings.LastIndex(s, sep); i > 0 {
			rest := s[i+len(sep):]
			if n := len(strings.Fields(rest)); n > 0 && n <= 3 {
				softText = append(softText, rest)
				s = strings.TrimSpace(s[:i])
			}
			break
		}
	}
	// ", MN", ", NSW": a short qualifier after the last comma.
	if i := strings.LastIndexByte(s, ','); i > 0 {
		rest := strings.TrimSpace(s[i+1:])
		if len(rest) >= 2 && len(rest) <= 3 && !strings.ContainsFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) }) &&
			!legalForms[strings.ToLower(rest)] && !stopWords[strings.ToLower(rest)] && strings.ToUpper(rest) == rest {
			softText = append(softText, rest)
			s = s[:i]
		}
	}
	core := caseTokens(s, allCaps)
	words := make([]string, len(core))
	for i, c := range core {
		words[i] = c.text
	}
	kept, legal := stripLegal(words)
	// stripLegal only removes from the ends; keep the case flags aligned.
	start := 0
	for start < len(words) && (len(kept) == 0 || words[start] != kept[0]) {
		start++
	}
	core = core[start : start+len(kept)]
	toks := make([]tok, 0, len(core)+4)
	for _, c := range core {
		toks = append(toks, tok{orig: c.text, acro: c.upper})
	}
	if n := len(toks); n >= 2 && nearLegalForm(toks[n-1].orig) {
		toks[n-1].noise, toks[n-1].acro = true, false
	}
	for _, st := range softText {
		for _, c := range caseTokens(st, allCaps) {
			toks = append(toks, tok{orig: c.text, soft: true})
		}
	}
	return canonical(toks, t), legal
}

type caseTok struct {
	text  string
	upper bool // written in capitals (2 to 8 letters), so maybe an acronym
}

// caseTokens is tokenize that also reports which words were capitals.
func caseTokens(s string, allCaps bool) []caseTok {
	var out []caseTok
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '/' || r == ',' || r == ';' || r == '–' || r == '—' || r == ':'
	}) {
		letters, upper := 0, 0
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			}
		}
		caps := letters >= 2 && letters <= 8 && upper == letters
		if allCaps && letters > 5 {
			caps = false
		}
		if lw, ok := plainLower(w); ok {
			out = append(out, caseTok{text: lw, upper: caps})
			continue
		}
		for _, tw := range tokenize(w) {
			out = append(out, caseTok{text: tw, upper: caps})
		}
	}
	return out
}

// plainLower lower-cases a word of ASCII letters and digits, the common
// case, without tokenize's Unicode work.
func plainLower(w string) (string, bool) {
	lower := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			lower = false
		default:
			return "", false
		}
	}
	if lower {
		return w, true
	}
	return strings.ToLower(w), true
}

var numberWords = map[string]int{
	"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
	"seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
	"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
	"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
	"fifteenth": 15, "twentieth": 20,
	"ii": 2, "iii": 3, "iv": 4, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "xi": 11, "xii": 12, "xiii": 13,
}

// romanAfter are words after which a lone I, V or X is a number.
var romanAfter = map[string]bool{"phase": true, "section": true, "stage": true, "part": true, "unit": true,
	"no": true, "number": true, "building": true, "level": true, "block": true, "tract": true}

var numberMarkers = map[string]bool{"no": true, "nr": true, "number": true, "num": true, "nro": true, "nummer": true}

// number reads a token as a number: "12", "012", "4th", "four", "iv".
func number(w, prev string) (string, bool) {
	if n, ok := numberWords[w]; ok {
		return strconv.Itoa(n), true
	}
	if romanAfter[prev] {
		switch w {
		case "i":
			return "1", true
		case "v":
			return "5", true
		case "x":
			return "10", true
		}
	}
	d := w
	for _, suf := range []string{"st", "nd", "rd", "th", "e", "er", "eme", "o", "a"} {
		if len(w) > len(suf) && strings.HasSuffix(w, suf) {
			if x := w[:len(w)-len(suf)]; allDigits(x) {
				d = x
				break
			}
		}
	}
	if !allDigits(d) {
		return "", false
	}
	d = strings.TrimLeft(d, "0")
	if d == "" {
		d = "0"
	}
	return d, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonical fills in the canonical spelling and flags of each token.
func canonical(in []tok, t *wordTable) []tok {
	// Numbers, and "No." before a number dropped (in place: it only
	// shrinks).
	toks := in[:0]
	for i := range in {
		x := in[i]
		prev := ""
		if i > 0 {
			prev = in[i-1].orig
		}
		if n, ok := number(x.orig, prev); ok {
			x.num, x.c, x.acro = true, n, false
			toks = append(toks, x)
			continue
		}
		if numberMarkers[x.orig] && i+1 < len(in) && in[i+1].soft == x.soft {
			if _, ok := number(in[i+1].orig, x.orig); ok {
				continue
			}
		}
		x.c = x.orig
		toks = append(toks, x)
	}
	grow := false
	for i := range toks {
		if ex, ok := t.abbrev[toks[i].c]; ok && len(ex) == 1 && strings.IndexByte(ex[0], ' ') >= 0 || len(t.phrases[toks[i].c]) > 0 {
			grow = true
			break
		}
	}
	if !grow {
		for i := range toks {
			x := &toks[i]
			if x.num {
				continue
			}
			if ex, ok := t.abbrev[x.c]; ok && len(ex) > 0 {
				x.c = ex[0]
				if len(ex) > 1 {
					x.alt = ex[1]
				}
			}
		}
		return finishTokens(toks, t)
	}
	// Abbreviations with one meaning are expanded (it may be two words).
	out := make([]tok, 0, len(toks)+4)
	for _, x := range toks {
		if x.num {
			out = append(out, x)
			continue
		}
		if ex, ok := t.abbrev[x.c]; ok && len(ex) > 0 {
			if len(ex) == 1 {
				ws := strings.Fields(ex[0])
				for k, w := range ws {
					y := x
					y.c = w
					if k > 0 {
						y.orig = w
					}
					y.acro = x.acro && len(ws) == 1
					out = append(out, y)
				}
				continue
			}
			x.c, x.alt = ex[0], ex[1]
		}
		out = append(out, x)
	}
	// Synonym phrases rewritten to their group's first phrase.
	toks = out[:0:0]
	for i := 0; i < len(out); i++ {
		x := out[i]
		done := false
		for _, e := range t.phrases[x.c] {
			sep := indexOf(e, "\x00")
			from, to := e[:sep], e[sep+1:]
			if i+len(from) > len(out) {
				continue
			}
			ok := true
			for k, w := range from {
				if out[i+k].c != w || out[i+k].soft != x.soft {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for k, w := range to {
				y := x
				y.c, y.alt = w, ""
				if k < len(from) {
					y.orig = out[i+k].orig
				} else {
					y.orig = w
				}
				y.acro = false
				toks = append(toks, y)
			}
			i += len(from) - 1
			done = true
			break
		}
		if !done {
			toks = append(toks, x)
		}
	}
	return finishTokens(toks, t)
}

// finishTokens folds spellings and sets the flags.
func finishTokens(toks []tok, t *wordTable) []tok {
	for i := range toks {
		x := &toks[i]
		if x.num {
			continue
		}
		x.c = foldSpelling(x.c)
		if x.alt != "" {
			x.alt = foldSpelling(x.alt)
		}
		x.stem = stem(x.c)
		x.stop = stopWords[x.c]
		x.generic = t.generic[x.c]
		x.distinct = t.distinct[x.c]
		if len(x.c) < 2 || x.stop {
			x.acro = false
		}
	}
	return toks
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// foldSpelling writes British spellings the American way: colour → color,
// centre → center, tyre → tire, paediatric → pediatric, organisation →
// organization. Both sides are folded, so a word that folds onto another
// word only matters when the two were different words already.
func foldSpelling(w string) string {
	if len(w) == 4 && strings.HasSuffix(w, "yre") {
		return w[:1] + "ire"
	}
	if len(w) < 5 {
		return w
	}
	if len(w) >= 8 {
		for _, suf := range []string{"llers", "ller", "lling", "lled"} {
			if strings.HasSuffix(w, suf) && !strings.HasSuffix(w[:len(w)-len(suf)], "l") {
				w = w[:len(w)-len(suf)] + suf[1:]
				break
			}
		}
	}
	for _, suf := range []string{"our", "ours", "ourhood", "ourhoods", "oured", "ouring"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			return w[:len(w)-len(suf)] + "or" + suf[3:]
		}
	}
	for _, suf := range []string{"tre", "tres"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			return w[:len(w)-len(suf)] + "ter" + suf[3:]
		}
	}
	if strings.HasSuffix(w, "yre") || strings.HasSuffix(w, "yres") {
		w = strings.Replace(w, "yre", "ire", 1)
	}
	if i := strings.Index(w, "isation"); i > 0 {
		w = w[:i] + "ization" + w[i+7:]
	}
	if len(w) >= 7 {
		if i := strings.Index(w, "ae"); i > 0 {
			w = w[:i] + w[i+1:]
		}
		if i := strings.Index(w, "oe"); i > 0 && strings.Contains(w, "oest") {
			w = w[:i] + w[i+1:]
		}
	}
	return w
}

// stem drops one common English suffix: "printing" → "print",
// "accountants" and "accountancy" → "account".
func stem(w string) string {
	if len(w) < 5 {
		return w
	}
	for _, suf := range []string{"ations", "ation", "ings", "ing", "eries", "ery", "ers", "er", "ancy", "ants", "ant", "ies", "es", "s"} {
		if strings.HasSuffix(w, suf) && len(w)-len(suf) >= 3 {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

// initials calls fn with each acronym a form's core words may be written
// as: their initials with and without stop words, and their leading runs.
// "Regional Council of Tile Setters" gives "rcots" and "rcts" (and "rc",
// "rcot", …). fn must not keep b.
func (f *form) initials(fn func(b []byte)) {
	var with, without [8]byte
	nw, no := 0, 0
	for _, x := range f.toks {
		if x.soft || x.orig == "" || x.num && !isLetter(x.orig[0]) {
			continue
		}
		if nw == len(with) {
			return
		}
		with[nw] = x.orig[0]
		nw++
		if !x.stop {
			without[no] = x.orig[0]
			no++
			if no >= 2 {
				fn(without[:no])
			}
		}
		if nw >= 2 && nw != no {
			fn(with[:nw])
		}
	}
}

// nearLegalForm reports whether w is one letter away from a common legal
// form of the same length: a garbled "Ltd" or "Inc".
func nearLegalForm(w string) bool {
	if len(w) < 3 || len(w) > 4 || legalForms[w] {
		return false
	}
	for _, f := range []string{"inc", "llc", "ltd", "plc", "corp", "gmbh", "pllc"} {
		if len(f) != len(w) {
			continue
		}
		diff := 0
		for i := 0; i < len(w); i++ {
			if w[i] != f[i] {
				diff++
			}
		}
		if diff == 1 {
			return true
		}
	}
	return false
}
