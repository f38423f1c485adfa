package match

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Name is a company name in the forms matching uses.
type Name struct {
	// Base is the name without legal form, leading "The" or site suffix:
	// lower case, ASCII where possible, tokens joined by one space.
	Base string
	// Tokens are Base's words.
	Tokens []string
	// Compact is Base without spaces, for names that differ only in
	// spacing or hyphens.
	Compact string
	// Legal is the legal form that was removed ("llc", "pty ltd"), if any.
	Legal string
}

// siteWords mark a trailing segment as a site of the company rather than
// part of its name: "Acme - Main Office", "Acme (HQ)".
var siteWords = map[string]bool{
	"office": true, "site": true, "branch": true, "hq": true, "headquarters": true, "main": true,
	"location": true, "campus": true, "store": true, "warehouse": true, "plant": true, "depot": true,
	"annex": true, "building": true, "floor": true, "suite": true, "remote": true, "satellite": true,
}

// foldRune maps letters that do not decompose to their ASCII spelling.
var foldRune = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'œ': "oe", 'Œ': "oe", 'þ': "th", 'Þ': "th", 'ı': "i", 'ð': "d",
}

// Normalize returns the matching forms of a company name.
func Normalize(s string) Name {
	s = dropSiteSuffix(s)
	tokens := tokenize(s)
	if len(tokens) > 1 && tokens[0] == "the" {
		tokens = tokens[1:]
	}
	tokens, legal := stripLegal(tokens)
	n := Name{Tokens: tokens, Base: strings.Join(tokens, " "), Compact: strings.Join(tokens, ""), Legal: legal}
	return n
}

// tokenize folds case, accents and punctuation and splits into words.
func tokenize(s string) []string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: dropped, so é matches e
		case r == '&' || r == '+':
			b.WriteString(" and ")
		case r == '\'' || r == '’' || r == '‘' || r == '`' || r == '´' || r == '.':
			// O'Brien = OBrien, S.A. = SA
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := foldRune[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		default:
			b.WriteByte(' ') // spaces, hyphens, commas, control characters…
		}
	}
	return strings.Fields(b.String())
}

// dropSiteSuffix removes a trailing " - Main Office" or "(HQ)" when it
// names a site.
func dropSiteSuffix(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndexByte(t, '('); i > 0 && hasSiteWord(t[i+1:len(t)-1]) {
			return strings.TrimSpace(t[:i])
		}
	}
	for _, sep := range []string{" - ", " – ", " — ", " / ", ": "} {
		if i := strings.LastIndex(t, sep); i > 0 && hasSiteWord(t[i+len(sep):]) {
			return strings.TrimSpace(t[:i])
		}
	}
	return t
}

func hasSiteWord(s string) bool {
	for _, w := range tokenize(s) {
		if siteWords[w] {
			return true
		}
	}
	return false
}

// stripLegal removes legal forms at the end (repeatedly: "GmbH & Co. KG")
// and at the start ("AB Volvo", "Oy Nokia"). A name that is nothing but
// legal forms keeps its words.
func stripLegal(tokens []string) ([]string, string) {
	var removed []string
	for range 3 {
		n := longestSuffix(tokens)
		if n == 0 || n == len(tokens) {
			break
		}
		removed = append(tokens[len(tokens)-n:len(tokens):len(tokens)], removed...)
		tokens = tokens[:len(tokens)-n]
		// "Smith and Co" → drop a dangling "and" with the form.
		if len(tokens) > 1 && tokens[len(tokens)-1] == "and" {
			tokens = tokens[:len(tokens)-1]
		}
	}
	if len(tokens) > 1 && legalPrefixes[tokens[0]] {
		removed = append([]string{tokens[0]}, removed...)
		tokens = tokens[1:]
	}
	return tokens, strings.Join(removed, " ")
}

// longestSuffix returns how many trailing tokens form a legal form.
func longestSuffix(tokens []string) int {
	for n := min(maxLegalWords, len(tokens)); n > 0; n-- {
		if legalForms[strings.Join(tokens[len(tokens)-n:], " ")] {
			return n
		}
	}
	return 0
}
