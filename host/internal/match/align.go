package match

import (
	"math"
	"strings"
)

// vocab is what a suggestion run knows about words: how many accounts
// carry each (rare words weigh more) and which words are real (in the
// lexicon, or seen in three names or more), so a typo is never assumed
// between two of them.
type vocab struct {
	accounts int
	df       map[string]int32 // accounts whose name has the word
	seen     map[string]int32 // names, organizations and accounts, with the word
	table    *wordTable
}

func newVocab(orgs, accounts []*Party, t *wordTable) *vocab {
	v := &vocab{accounts: len(accounts), df: make(map[string]int32, len(accounts)), seen: make(map[string]int32, len(accounts)), table: t}
	var buf []string
	for _, p := range accounts {
		buf = p.words(buf[:0])
		for _, w := range buf {
			v.df[w]++
			v.seen[w]++
		}
	}
	for _, p := range orgs {
		buf = p.words(buf[:0])
		for _, w := range buf {
			v.seen[w]++
		}
	}
	return v
}

// words appends the distinct canonical words of p's whole name.
func (p *Party) words(out []string) []string {
	if p.a == nil || len(p.a.forms) == 0 {
		return out
	}
	start := len(out)
next:
	for _, x := range p.a.forms[0].toks {
		for _, w := range out[start:] {
			if w == x.c {
				continue next
			}
		}
		out = append(out, x.c)
	}
	return out
}

func (v *vocab) weight(x *tok) float64 {
	switch {
	case x.stop:
		return 0.3
	case x.num:
		return 3
	}
	if v == nil {
		return 4
	}
	return 1 + math.Log(float64(v.accounts+1)/float64(v.df[x.c]+1))
}

// weights are the weights of the words of p's form i in run v; Suggest
// computes them once per party.
func (p *Party) weights(i int, v *vocab) []float64 {
	if p.wts != nil && p.run == v {
		return p.wts[i]
	}
	return formWeights(&p.a.forms[i], v)
}

// knownWords says which words of p's form i are real words in run v.
func (p *Party) knownWords(i int, v *vocab) []bool {
	if p.kn != nil && p.run == v {
		return p.kn[i]
	}
	return formKnown(&p.a.forms[i], v)
}

func formKnown(f *form, v *vocab) []bool {
	k := make([]bool, len(f.toks))
	for i := range f.toks {
		k[i] = v.known(f.toks[i].c)
	}
	return k
}

func formWeights(f *form, v *vocab) []float64 {
	w := make([]float64, len(f.toks))
	for k := range f.toks {
		w[k] = v.weight(&f.toks[k])
	}
	return w
}

// twoWords reports whether two real words that are one typo apart are
// two words rather than one word and a common misspelling of it: both in
// the lexicon, or seen about as often (a typo is rarer than its word).
func (v *vocab) twoWords(a, b string) bool {
	if v == nil || v.table.lexicon[a] && v.table.lexicon[b] {
		return true
	}
	x, y := v.seen[a], v.seen[b]
	return min(x, y)*4 >= max(x, y)
}

func (v *vocab) known(w string) bool {
	if v == nil {
		return builtinTable.lexicon[w]
	}
	return v.table.lexicon[w] || v.seen[w] >= 3
}

// Explanation says how the aligner read a pair of names: the words it
// matched and how, what it charged for the words it could not match, and,
// once Suggest has assigned the pair, the runner-up and the margin.
type Explanation struct {
	// Org and Account are the two names as compared (canonical words;
	// soft words, annotations and qualifiers, in brackets). Part says
	// which part of a dba name was used ("trade" or "legal"), if any.
	Org     string `json:"org"`
	Account string `json:"account"`
	Part    string `json:"part,omitempty"`
	// Matched are the matched words; Penalties what lowered the score.
	Matched   []TokenMatch `json:"matched"`
	Penalties []Penalty    `json:"penalties,omitempty"`
	// Score is the aligner's score, 0 to 1 (the rule's may differ).
	Score float64 `json:"score"`
	// RunnerUp is the best other account for this organization (or the
	// best other organization wanting this account, when closer), with
	// its score; Margin is Suggestion.Margin.
	RunnerUp      string  `json:"runner_up,omitempty"`
	RunnerUpScore float64 `json:"runner_up_score,omitempty"`
	Margin        float64 `json:"margin"`
}

// TokenMatch is one matched word (or an acronym and the words it stands
// for).
type TokenMatch struct {
	Org     string `json:"org"`
	Account string `json:"account"`
	// How: same, abbreviation, synonym, number, stem, typo, joined,
	// acronym.
	How    string  `json:"how"`
	Weight float64 `json:"weight"`
}

// Penalty is what a word or a rule of the aligner cost.
type Penalty struct {
	Reason string   `json:"reason"`
	Words  []string `json:"words,omitempty"`
	Cost   float64  `json:"cost"`
}

// alignment is the result of comparing two parties.
type alignment struct {
	score    float64
	conflict bool // a word or number the other side contradicts
	fa, fb   int  // the forms used
}

const maxAlignTokens = 24

// compare aligns the forms of a and b and keeps the best; with ex it also
// explains the best.
func compare(a, b *Party, v *vocab, ex *Explanation) alignment {
	if a.a == nil || b.a == nil || len(a.a.forms) == 0 || len(b.a.forms) == 0 {
		return alignment{}
	}
	best := alignment{score: -1}
	for i := range a.a.forms {
		for j := range b.a.forms {
			s, conflict := alignForms(&a.a.forms[i], &b.a.forms[j], a.weights(i, v), b.weights(j, v), a.knownWords(i, v), b.knownWords(j, v), v, nil)
			if i > 0 || j > 0 {
				s *= 0.97 // one part of a dba name
			}
			if i == 0 && j == 0 {
				best.conflict = conflict
			}
			if s > best.score {
				best.score, best.fa, best.fb = s, i, j
			}
		}
	}
	if best.score > 0 && (best.fa > 0 || best.fb > 0) {
		_, best.conflict = alignForms(&a.a.forms[best.fa], &b.a.forms[best.fb], a.weights(best.fa, v), b.weights(best.fb, v), a.knownWords(best.fa, v), b.knownWords(best.fb, v), v, nil)
	}
	if ex != nil {
		fa, fb := &a.a.forms[best.fa], &b.a.forms[best.fb]
		alignForms(fa, fb, a.weights(best.fa, v), b.weights(best.fb, v), a.knownWords(best.fa, v), b.knownWords(best.fb, v), v, ex)
		ex.Part = fb.part
		if fa.part != "" {
			ex.Part = fa.part
		}
		ex.Score = round3(max(best.score, 0))
	}
	best.score = max(best.score, 0)
	return best
}

// alignForms scores how well the words of a and b match, 0 to 1: a
// weighted Dice over matched words, where a word weighs more the rarer it
// is among the accounts, and an unmatched word costs twice its weight —
// less when generic, or when it is an annotation the other side does not
// contradict; more when it marks a separate body. Numbers must agree. It
// also reports a conflict: a number, a real word or a distinct word that
// the other side contradicts.
func alignForms(fa, fb *form, weightsA, weightsB []float64, knownA, knownB []bool, v *vocab, ex *Explanation) (float64, bool) {
	a, b := fa.toks, fb.toks
	if len(a) > maxAlignTokens {
		a = a[:maxAlignTokens]
	}
	if len(b) > maxAlignTokens {
		b = b[:maxAlignTokens]
	}
	var ma, mb [maxAlignTokens]bool
	var wa, wb [maxAlignTokens]float64
	copy(wa[:], weightsA)
	copy(wb[:], weightsB)
	var m, lost float64 // matched weight, and what imperfect matches lost
	note := func(i, j int, how string, w float64, as, bs string) {
		if ex != nil {
			ex.Matched = append(ex.Matched, TokenMatch{Org: as, Account: bs, How: how, Weight: round3(w)})
		}
	}
	// 1. The same word, or an abbreviation's other reading.
	for i := range a {
		for j := range b {
			if mb[j] || a[i].soft != b[j].soft && (a[i].num || b[j].num) {
				continue
			}
			if eq, how := sameWord(&a[i], &b[j]); eq {
				ma[i], mb[j] = true, true
				m += wa[i] + wb[j]
				note(i, j, how, wa[i]+wb[j], a[i].orig, b[j].orig)
				break
			}
		}
	}
	// 2. A word written as two ("Pineford", "Pine Ford"), or split by a
	// stray character and mistyped ("Bro{n").
	joined := func(x []tok, mx *[maxAlignTokens]bool, wx *[maxAlignTokens]float64, y []tok, my *[maxAlignTokens]bool, wy *[maxAlignTokens]float64, swap bool) {
		for i := range x {
			if mx[i] || x[i].num || len(x[i].c) < 5 {
				continue
			}
			for j := 0; j+1 < len(y); j++ {
				if my[j] || my[j+1] || y[j].num || y[j+1].num || y[j].soft != y[j+1].soft {
					continue
				}
				sim := 0.0
				if x[i].c == y[j].c+y[j+1].c || x[i].orig == y[j].orig+y[j+1].orig {
					sim = 1
				} else if typoDistance(x[i].orig, y[j].orig+y[j+1].orig) == 1 && !v.table.lexicon[y[j].c] && !v.table.lexicon[y[j+1].c] {
					sim = 0.85
				}
				if sim == 0 {
					continue
				}
				mx[i], my[j], my[j+1] = true, true, true
				w := wx[i] + (wy[j]+wy[j+1])/2
				m += sim * w
				lost += (1 - sim) * w
				if ex != nil && swap {
					note(j, i, "joined", sim*w, y[j].orig+" "+y[j+1].orig, x[i].orig)
				} else if ex != nil {
					note(i, j, "joined", sim*w, x[i].orig, y[j].orig+" "+y[j+1].orig)
				}
				break
			}
		}
	}
	joined(a, &ma, &wa, b, &mb, &wb, false)
	joined(b, &mb, &wb, a, &ma, &wa, true)
	// 3. Acronyms: a word in capitals that spells the initials of a run
	// of words on the other side ("CRUSD", "FPD"), stop words optional.
	acronyms := func(x []tok, mx *[maxAlignTokens]bool, y []tok, my *[maxAlignTokens]bool, wy *[maxAlignTokens]float64, swap bool) {
		for i := range x {
			// Two letters are too easily initials: only beside other
			// matched words ("Ashford PD").
			if mx[i] || !x[i].acro || len(x[i].orig) < 3 && m == 0 {
				continue
			}
			acr := x[i].orig
			for j := range y {
				end := spells(acr, 0, y, my, j)
				if end < 0 || end-j < 2 {
					continue
				}
				var w float64
				var words []string
				for k := j; k < end; k++ {
					my[k] = true
					w += wy[k]
					words = append(words, y[k].orig)
				}
				mx[i] = true
				m += 0.9 * 2 * w
				lost += 0.1 * 2 * w
				if swap {
					note(j, i, "acronym", 1.8*w, strings.Join(words, " "), acr)
				} else {
					note(i, j, "acronym", 1.8*w, acr, strings.Join(words, " "))
				}
				break
			}
		}
	}
	acronyms(a, &ma, b, &mb, &wb, false)
	acronyms(b, &mb, a, &ma, &wa, true)
	// 4. The same stem, or a typo (not between two real words).
	type cand struct {
		i, j int
		sim  float64
		how  string
	}
	var candBuf [32]cand
	cands := candBuf[:0]
	for i := range a {
		if ma[i] || a[i].num || a[i].stop {
			continue
		}
		for j := range b {
			if mb[j] || b[j].num || b[j].stop {
				continue
			}
			if len(a[i].stem) >= 3 && a[i].stem == b[j].stem && (a[i].stem != a[i].c || b[j].stem != b[j].c) {
				cands = append(cands, cand{i, j, 0.9, "stem"})
				continue
			}
			if d := typoDistance(a[i].c, b[j].c); d > 0 && !(knownA[i] && knownB[j] && v.twoWords(a[i].c, b[j].c)) {
				cands = append(cands, cand{i, j, 1 - 0.15*float64(d), "typo"})
			}
		}
	}
	for x := 1; x < len(cands); x++ { // insertion sort: a handful, no allocation
		for y := x; y > 0 && cands[y].sim > cands[y-1].sim; y-- {
			cands[y], cands[y-1] = cands[y-1], cands[y]
		}
	}
	for _, c := range cands {
		if ma[c.i] || mb[c.j] {
			continue
		}
		ma[c.i], mb[c.j] = true, true
		w := c.sim * (wa[c.i] + wb[c.j])
		m += w
		lost += (1 - c.sim) * (wa[c.i] + wb[c.j])
		note(c.i, c.j, c.how, w, a[c.i].orig, b[c.j].orig)
	}
	// Costs of what is left.
	softLeft := func(x []tok, mx *[maxAlignTokens]bool) bool {
		for i := range x {
			if !mx[i] && x[i].soft && !x[i].stop && !oldMarkers[x[i].c] {
				return true
			}
		}
		return false
	}
	softA, softB := softLeft(a, &ma), softLeft(b, &mb)
	var u float64
	conflict := false
	// real counts unmatched real words; rest marks the unmatched core words.
	var realA, realB int
	var restA, restB uint32
	charge := func(x []tok, kx []bool, mx *[maxAlignTokens]bool, wx *[maxAlignTokens]float64, otherSoft bool, otherLegal string, real *int, rest *uint32) {
		for i := range x {
			if mx[i] {
				continue
			}
			t := &x[i]
			var c float64
			reason := "unmatched word"
			switch {
			case t.stop:
				c, reason = wx[i], "unmatched stop word"
				if !t.soft {
					*rest |= 1 << i
				}
			case t.noise && nearForm(t.orig, otherLegal):
				c, reason = 0.05*wx[i], "a garbled legal form"
			case t.noise:
				c, reason = 0.3*wx[i], "maybe a garbled legal form"
			case t.num:
				c, reason = wx[i], "unmatched number"
			case t.distinct:
				c, reason = 3*max(wx[i], 4), "a word marking a separate body"
				conflict = true
			case t.soft && !otherSoft:
				c, reason = 0.15*wx[i], "annotation on one side"
			case t.soft:
				c, reason = 2*wx[i], "qualifiers differ"
				conflict = true
			case t.generic:
				c, reason = 0.3*wx[i], "generic word"
			default:
				c = 2 * wx[i]
				if len(t.orig) >= 4 && kx[i] {
					*real++
				}
				*rest |= 1 << i
			}
			u += c
			if ex != nil {
				ex.Penalties = append(ex.Penalties, Penalty{Reason: reason, Words: []string{t.orig}, Cost: round3(c)})
			}
		}
	}
	charge(a, knownA, &ma, &wa, softB, fb.legal, &realA, &restA)
	charge(b, knownB, &mb, &wb, softA, fa.legal, &realB, &restB)
	score := 0.0
	if m > 0 {
		score = m / (m + lost + u)
	}
	// Numbers must agree: differing numbers are another customer, and a
	// number on one side only is a warning.
	numsA, numsB, leftA, leftB := 0, 0, 0, 0
	for i := range a {
		if a[i].num && !a[i].soft {
			numsA++
			if !ma[i] {
				leftA++
			}
		}
	}
	for j := range b {
		if b[j].num && !b[j].soft {
			numsB++
			if !mb[j] {
				leftB++
			}
		}
	}
	switch {
	case numsA > 0 && numsB > 0 && leftA+leftB > 0:
		score, conflict = 0, true
		if ex != nil {
			ex.Penalties = append(ex.Penalties, Penalty{Reason: "numbers differ", Cost: 1})
		}
	case leftA+leftB > 0:
		score *= 0.7
		if ex != nil {
			ex.Penalties = append(ex.Penalties, Penalty{Reason: "a number on one side only", Cost: 0.3})
		}
	}
	// Two real words that differ, one on each side, or a real word on one
	// side only ("Teachers"): another body, however alike the letters.
	// Words left on both sides that share few letters are different names
	// ("Falconford", "Clear Glen"), not a garbled one.
	if oneSided := realA > 0 && restB == 0 || realB > 0 && restA == 0; oneSided {
		// A real word more on one side names another body more often
		// than a generic word does ("Teachers", "Elementary").
		score *= 0.9
		if ex != nil {
			ex.Penalties = append(ex.Penalties, Penalty{Reason: "a real word on one side only", Cost: 0.1})
		}
	}
	if realA > 0 && realB > 0 || realA > 0 && restB == 0 || realB > 0 && restA == 0 ||
		restA != 0 && restB != 0 && differ(residue(a, restA), residue(b, restB)) {
		conflict = true
	}
	if ex != nil {
		ex.Org, ex.Account = describe(a), describe(b)
	}
	return score, conflict
}

// sameWord reports whether two words are the same once canonical.
func sameWord(a, b *tok) (bool, string) {
	if a.num != b.num {
		return false, ""
	}
	if a.c == b.c {
		switch {
		case a.num:
			if a.orig == b.orig {
				return true, "same"
			}
			return true, "number"
		case a.orig == b.orig:
			return true, "same"
		case a.c != a.orig && b.c != b.orig:
			return true, "synonym"
		default:
			return true, "abbreviation"
		}
	}
	if a.alt != "" && a.alt == b.c || b.alt != "" && b.alt == a.c || a.alt != "" && a.alt == b.alt {
		return true, "abbreviation"
	}
	return false, ""
}

// spells reports where a run of unmatched words of y starting at j ends
// when their initials spell acr[pos:], or -1. Stop words may be skipped.
func spells(acr string, pos int, y []tok, my *[maxAlignTokens]bool, j int) int {
	if pos == len(acr) {
		return j
	}
	if j >= len(y) || my[j] || y[j].soft || y[j].orig == "" || y[j].num && !isLetter(y[j].orig[0]) {
		return -1
	}
	if y[j].orig[0] == acr[pos] {
		if end := spells(acr, pos+1, y, my, j+1); end >= 0 {
			return end
		}
	}
	if y[j].stop && pos > 0 {
		return spells(acr, pos, y, my, j+1)
	}
	return -1
}

// typoDistance is the optimal-string-alignment distance of a and b when
// it is small enough to be a typo (1 for words of 5 letters or more, 2 for
// 7 or more), else 0.
func typoDistance(a, b string) int {
	la, lb := len(a), len(b)
	if min(la, lb) < 4 || max(la, lb) < 5 || abs(float64(la-lb)) > 2 {
		return 0
	}
	limit := 1
	if min(la, lb) >= 7 {
		limit = 2
	}
	if la > 30 || lb > 30 || abs(float64(la-lb)) > float64(limit) {
		return 0
	}
	// Three rolling rows: the transposition looks two rows back.
	var r0, r1, r2 [32]int
	prev2, prev, cur := &r0, &r1, &r2
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			x := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				x = min(x, prev2[j-2]+1)
			}
			cur[j] = x
			rowMin = min(rowMin, x)
		}
		if rowMin > limit {
			return 0
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if dist := prev[lb]; dist > 0 && dist <= limit {
		return dist
	}
	return 0
}

// describe writes a form's words, soft ones in brackets.
func describe(toks []tok) string {
	var b strings.Builder
	for i, x := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		if x.soft {
			b.WriteString("(" + x.c + ")")
		} else {
			b.WriteString(x.c)
		}
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// residue joins the words of toks marked in mask.
func residue(toks []tok, mask uint32) string {
	var b strings.Builder
	for i := range toks {
		if mask&(1<<i) != 0 {
			b.WriteString(toks[i].orig)
		}
	}
	return b.String()
}

// differ reports whether the words left on the two sides are different
// names rather than one garbled: both of some length, and sharing few
// letters.
func differ(a, b string) bool {
	return len(a) >= 5 && len(b) >= 5 && EditSimilarity(a, b) < 0.5
}

// nearForm reports whether w is a legal form of legal garbled by one
// letter ("LtZ" for "Ltd").
func nearForm(w, legal string) bool {
	for _, f := range strings.Fields(legal) {
		if len(f) == len(w) {
			diff := 0
			for i := 0; i < len(w); i++ {
				if w[i] != f[i] {
					diff++
				}
			}
			if diff <= 1 {
				return true
			}
		}
	}
	return false
}
