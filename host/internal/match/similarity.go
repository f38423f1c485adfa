package match

import (
	"net/url"
	"sort"
	"strings"
)

// NameSimilarity scores how alike two normalized names are, from 0 to 1:
// the best of the edit similarity of their compact forms (typos, spacing),
// the edit similarity of their sorted words (word order), and their word
// overlap.
func NameSimilarity(a, b Name) float64 {
	if a.Compact == "" || b.Compact == "" {
		return 0
	}
	if a.Compact == b.Compact {
		return 1
	}
	best := nameSimilarity(a, b)
	// A garbled legal form ("Emard Hnc", "Roberts6LLC") is left in the
	// name by Normalize; try without it when the other name had one.
	if a2, ok := trimLegalNoise(a, b.Legal); ok {
		best = max(best, nameSimilarity(a2, b))
	}
	if b2, ok := trimLegalNoise(b, a.Legal); ok {
		best = max(best, nameSimilarity(a, b2))
	}
	return best
}

func nameSimilarity(a, b Name) float64 {
	if a.Compact == b.Compact {
		return 1
	}
	best := max(EditSimilarity(a.Compact, b.Compact), JaroWinkler(a.Compact, b.Compact)-0.05)
	if len(a.Tokens) > 1 || len(b.Tokens) > 1 {
		best = max(best, EditSimilarity(sortedCompact(a.Tokens), sortedCompact(b.Tokens)))
	}
	return max(best, TokenSimilarity(a.Tokens, b.Tokens))
}

// trimLegalNoise drops a last word that is one typo away from a legal
// form, or a legal form glued to the name, when the other name carried
// legal form other.
func trimLegalNoise(n Name, other string) (Name, bool) {
	if other == "" || len(n.Tokens) == 0 {
		return n, false
	}
	for _, f := range strings.Fields(other) {
		if len(n.Tokens) > 1 && n.Tokens[0] == f {
			t := n.Tokens[1:] // "PLC Torphy"
			return Name{Tokens: t, Base: strings.Join(t, " "), Compact: strings.Join(t, "")}, true
		}
	}
	last := n.Tokens[len(n.Tokens)-1]
	if len(n.Tokens) > 1 && len(last) <= 4 && len(last) >= 2 {
		for _, f := range strings.Fields(other) {
			if len(f) >= 2 && abs(float64(len(f)-len(last))) <= 1 && EditSimilarity(f, last) >= 0.5 {
				t := n.Tokens[:len(n.Tokens)-1]
				return Name{Tokens: t, Base: strings.Join(t, " "), Compact: strings.Join(t, "")}, true
			}
		}
	}
	for _, f := range strings.Fields(other) {
		if len(f) >= 3 && strings.HasSuffix(n.Compact, f) && len(n.Compact)-len(f) >= 4 {
			c := strings.TrimRightFunc(strings.TrimSuffix(n.Compact, f), func(r rune) bool { return r >= '0' && r <= '9' })
			return Name{Tokens: []string{c}, Base: c, Compact: c}, true
		}
	}
	return n, false
}

// JaroWinkler is the Jaro-Winkler similarity of two strings, over bytes.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	var ma, mb [64]bool
	if la > 64 || lb > 64 {
		return EditSimilarity(a, b)
	}
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	trans, j := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			trans++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(la) + fm/float64(lb) + (fm-float64(trans)/2)/fm) / 3
	prefix := 0
	for prefix < min(4, la, lb) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

func sortedCompact(tokens []string) string {
	s := append([]string(nil), tokens...)
	sort.Strings(s)
	return strings.Join(s, "")
}

// EditSimilarity is 1 - LevenshteinDistance/longer length, over bytes.
func EditSimilarity(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	longer := max(la, lb)
	// The distance is at least the length difference; skip hopeless pairs.
	if float64(longer-min(la, lb))/float64(longer) > 0.5 {
		return 1 - float64(longer-min(la, lb))/float64(longer)
	}
	var buf [2][64]int
	prev, cur := buf[0][:0], buf[1][:0]
	if lb+1 > 64 {
		prev, cur = make([]int, 0, lb+1), make([]int, 0, lb+1)
	}
	prev, cur = prev[:lb+1], cur[:lb+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[lb])/float64(longer)
}

// TokenSimilarity is the Dice overlap of two word lists, where words that
// are nearly equal (one typo in five letters) count by their similarity.
func TokenSimilarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	used := make([]bool, len(b))
	var matched float64
	for _, x := range a {
		best, at := 0.0, -1
		for j, y := range b {
			if used[j] {
				continue
			}
			s := 0.0
			if x == y {
				s = 1
			} else if len(x) >= 4 && len(y) >= 4 {
				if s = EditSimilarity(x, y); s < 0.8 {
					s = 0
				}
			}
			if s > best {
				best, at = s, j
			}
		}
		if at >= 0 {
			used[at] = true
			matched += best
		}
	}
	return 2 * matched / float64(len(a)+len(b))
}

// Domain reduces a URL, e-mail address or host to a lower-case host name
// without "www.": "https://www.Acme.com/x" → "acme.com".
func Domain(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return ""
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 && !strings.Contains(s, "/") {
		s = s[i+1:]
	}
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil {
			s = u.Hostname()
		}
	} else if i := strings.IndexAny(s, "/:?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "www."), ".")
	return s
}

// SameID reports whether two identifiers are the same once case, spacing,
// punctuation and leading zeros are ignored. Empty identifiers never
// match.
func SameID(a, b string) bool {
	a, b = canonicalID(a), canonicalID(b)
	return a != "" && a == b
}

func canonicalID(s string) string {
	var out strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			out.WriteRune(r)
		}
	}
	id := out.String()
	trimmed := strings.TrimLeft(id, "0")
	if trimmed == "" && id != "" {
		return "0"
	}
	return trimmed
}
