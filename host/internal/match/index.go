package match

import (
	"sort"
)

// Party is one side of a pair as rules see it: an organization or an
// account. Rules read its fields by their expr names.
type Party struct {
	ID         string            `expr:"id"`
	Name       string            `expr:"name"`
	Domains    []string          `expr:"domains"`
	Tags       []string          `expr:"tags"`
	Attributes map[string]string `expr:"attributes"`
	// Norm is the normalized name (Name.Base); Legal the legal form that
	// normalization removed.
	Norm  string `expr:"norm"`
	Legal string `expr:"legal"`

	name    Name
	domains []string // normalized
	a       *analysis
	// Set on Suggest's own copies: the run's vocabulary, and the last
	// alignment of this organization (one worker scores an organization).
	run      *vocab
	wts      [][]float64 // word weights per form in run
	kn       [][]bool    // which words are real, per form, in run
	lastAcct *Party
	last     alignment
}

// align compares p with account q, reusing the last result: the rules of
// one pair usually ask twice.
func (p *Party) align(q *Party) alignment {
	if p.lastAcct == q && p.run != nil {
		return p.last
	}
	r := compare(p, q, p.run, nil)
	if p.run != nil {
		p.lastAcct, p.last = q, r
	}
	return r
}

// NewParty prepares an organization or account for matching.
func NewParty(id, name string, domains, tags []string, attrs map[string]string) *Party {
	p := &Party{ID: id, Name: name, Domains: domains, Tags: tags, Attributes: attrs}
	if p.Attributes == nil {
		p.Attributes = map[string]string{}
	}
	p.name = Normalize(name)
	p.Norm, p.Legal = p.name.Base, p.name.Legal
	p.a = analyze(name, builtinTable)
	for _, d := range domains {
		if d = Domain(d); d != "" {
			p.domains = append(p.domains, d)
		}
	}
	return p
}

// Index finds candidate accounts for an organization without comparing it
// with every account.
type Index struct {
	accounts []*Party
	byDomain map[string][]int32
	byIdent  map[string][]int32
	byName   map[string][]int32 // compact name
	byGram   map[uint32][]int32
	byToken  map[string][]int32 // canonical words (analysis), acronyms included
	byInits  map[string][]int32 // the initials a name may be written as
	grams    []uint16           // distinct trigram count per account
	ntoks    []uint8            // words of the shortest form per account
	maxPost  int
}

// NewIndex indexes accounts.
func NewIndex(accounts []*Party) *Index {
	ix := &Index{accounts: accounts, byDomain: map[string][]int32{}, byIdent: map[string][]int32{},
		byName: map[string][]int32{}, byGram: make(map[uint32][]int32, len(accounts)), byToken: make(map[string][]int32, len(accounts)), grams: make([]uint16, len(accounts)),
		byInits: make(map[string][]int32, len(accounts)), ntoks: make([]uint8, len(accounts))}
	var gs []uint32
	var words []string
	for i, a := range accounts {
		id := int32(i)
		for _, d := range a.domains {
			ix.byDomain[d] = appendOnce(ix.byDomain[d], id)
		}
		for _, v := range identifiers(a) {
			ix.byIdent[v] = appendOnce(ix.byIdent[v], id)
		}
		if a.name.Compact != "" {
			ix.byName[a.name.Compact] = append(ix.byName[a.name.Compact], id)
		}
		words = indexWords(a, words[:0])
		for _, w := range words {
			ix.byToken[w] = appendOnce(ix.byToken[w], id)
		}
		ix.ntoks[i] = uint8(min(shortestForm(a), 255))
		for k := range a.a.forms {
			a.a.forms[k].initials(func(b []byte) {
				if post, ok := ix.byInits[string(b)]; ok {
					ix.byInits[string(b)] = appendOnce(post, id)
				} else {
					ix.byInits[string(b)] = []int32{id}
				}
			})
		}
		gs = trigrams(a.name.Compact, gs[:0])
		ix.grams[i] = uint16(min(len(gs), 65535))
		for _, g := range gs {
			ix.byGram[g] = append(ix.byGram[g], id)
		}
	}
	// A trigram shared by very many accounts ("ing", "and") says little and
	// costs much; it is skipped unless the name has nothing rarer.
	ix.maxPost = max(200, len(accounts)/15)
	return ix
}

func appendOnce(s []int32, id int32) []int32 {
	if len(s) > 0 && s[len(s)-1] == id {
		return s
	}
	return append(s, id)
}

// identifiers are the values of a party that identify it exactly: its id
// and its attribute values, canonicalized.
func identifiers(p *Party) []string {
	out := make([]string, 0, 1+len(p.Attributes))
	if c := canonicalID(p.ID); c != "" {
		out = append(out, c)
	}
	for _, v := range p.Attributes {
		if c := canonicalID(v); len(c) >= 2 {
			out = append(out, c)
		}
	}
	return out
}

// trigrams appends the distinct character trigrams of s, padded so short
// names have some.
func trigrams(s string, out []uint32) []uint32 {
	if s == "" {
		return out
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, 1)
	b = append(b, s...)
	b = append(b, 2)
	for i := 0; i+3 <= len(b); i++ {
		g := uint32(b[i])<<16 | uint32(b[i+1])<<8 | uint32(b[i+2])
		dup := false
		for _, h := range out {
			if h == g {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, g)
		}
	}
	return out
}

// scratch is one worker's reusable memory for Candidates.
type scratch struct {
	counts  []uint16
	tcounts []uint16
	touched []int32
	grams   []uint32
	out     []int32
	words   []string
}

func (ix *Index) newScratch() *scratch {
	return &scratch{counts: make([]uint16, len(ix.accounts)), tcounts: make([]uint16, len(ix.accounts))}
}

// nameCandidates is how many accounts with the most similar trigram sets
// an organization gets.
const nameCandidates = 6

// candidates returns the indexes of accounts worth scoring against org.
func (ix *Index) candidates(org *Party, sc *scratch) []int32 {
	out := sc.out[:0]
	add := func(ids []int32) {
		for _, id := range ids {
			out = append(out, id)
		}
	}
	for _, d := range org.domains {
		add(ix.byDomain[d])
	}
	for _, v := range identifiers(org) {
		add(ix.byIdent[v])
	}
	add(ix.byName[org.name.Compact])

	sc.grams = trigrams(org.name.Compact, sc.grams[:0])
	used := 0
	for _, g := range sc.grams {
		post := ix.byGram[g]
		if len(post) > ix.maxPost {
			continue
		}
		used++
		for _, id := range post {
			if sc.counts[id] == 0 {
				sc.touched = append(sc.touched, id)
			}
			sc.counts[id]++
		}
	}
	if used == 0 {
		// Only common trigrams: use the three rarest.
		gs := append([]uint32(nil), sc.grams...)
		sort.Slice(gs, func(i, j int) bool { return len(ix.byGram[gs[i]]) < len(ix.byGram[gs[j]]) })
		for _, g := range gs[:min(3, len(gs))] {
			for _, id := range ix.byGram[g] {
				if sc.counts[id] == 0 {
					sc.touched = append(sc.touched, id)
				}
				sc.counts[id]++
			}
		}
	}
	// Keep the best few by Dice coefficient of trigram sets.
	var top best
	og := float32(len(sc.grams))
	for _, id := range sc.touched {
		d := 2 * float32(sc.counts[id]) / (og + float32(ix.grams[id]))
		sc.counts[id] = 0
		if d >= 0.25 {
			top.offer(id, d)
		}
	}
	sc.touched = sc.touched[:0]
	out = top.appendTo(out)
	// Accounts sharing most of the organization's rarer words, whatever
	// their order: "Senvor Feyvat" for "Feyvat Senvor".
	out = ix.tokenCandidates(org, sc, out)
	// Drop duplicates (a domain hit may also be a name hit).
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	uniq := out[:0]
	for i, id := range out {
		if i == 0 || id != out[i-1] {
			uniq = append(uniq, id)
		}
	}
	sc.out = uniq
	return uniq
}

// tokenCandidates appends the accounts that share at least half of the
// organization's words (by Dice), the best few, counting only words that
// are not too common.
func (ix *Index) tokenCandidates(org *Party, sc *scratch, out []int32) []int32 {
	sc.words = indexWords(org, sc.words[:0])
	for _, w := range sc.words {
		post := ix.byToken[w]
		if len(post) > ix.maxPost {
			continue
		}
		for _, id := range post {
			if sc.tcounts[id] == 0 {
				sc.touched = append(sc.touched, id)
			}
			sc.tcounts[id]++
		}
	}
	n := float32(shortestForm(org))
	var top best
	for _, id := range sc.touched {
		d := min(1, 2*float32(sc.tcounts[id])/(n+float32(ix.ntoks[id])))
		sc.tcounts[id] = 0
		if d >= 0.5 {
			top.offer(id, d)
		}
	}
	sc.touched = sc.touched[:0]
	out = top.appendTo(out)
	// Acronyms: the organization's capitals spell an account's initials
	// ("CRUSD"), or its initials are an account's word ("ATCA").
	if org.a != nil {
		for _, x := range org.a.forms[0].toks {
			if x.acro {
				if post := ix.byInits[x.orig]; len(post) <= nameCandidates {
					out = append(out, post...)
				}
			}
		}
		for k := range org.a.forms {
			org.a.forms[k].initials(func(b []byte) {
				if post := ix.byToken[string(b)]; len(post) <= nameCandidates {
					for _, id := range post {
						if hasAcronym(ix.accounts[id], b) {
							out = append(out, id)
						}
					}
				}
			})
		}
	}
	return out
}

// indexWords appends p's distinct canonical words and their second
// readings, without stop words.
func indexWords(p *Party, out []string) []string {
	if p.a == nil {
		return append(out, p.name.Tokens...)
	}
	start := len(out)
	add := func(w string) {
		for _, x := range out[start:] {
			if x == w {
				return
			}
		}
		out = append(out, w)
	}
	for _, x := range p.a.forms[0].toks {
		if x.stop {
			continue
		}
		add(x.c)
		if x.alt != "" {
			add(x.alt)
		}
	}
	return out
}

// shortestForm is the number of words, without stop words, of p's
// shortest form (a dba name's trading part may be much shorter).
func shortestForm(p *Party) int {
	if p.a == nil {
		return len(p.name.Tokens)
	}
	n := 1 << 30
	for _, f := range p.a.forms {
		k := 0
		for _, x := range f.toks {
			if !x.stop {
				k++
			}
		}
		n = min(n, k)
	}
	return max(n, 1)
}

func hasAcronym(p *Party, w []byte) bool {
	for _, x := range p.a.forms[0].toks {
		if x.acro && x.orig == string(w) {
			return true
		}
	}
	return false
}

// best keeps the nameCandidates highest-scoring accounts offered to it.
type best struct {
	ids    [nameCandidates]int32
	scores [nameCandidates]float32
	n      int
}

func (b *best) offer(id int32, score float32) {
	if b.n < nameCandidates {
		b.ids[b.n], b.scores[b.n] = id, score
		b.n++
		return
	}
	worst := 0
	for k := 1; k < b.n; k++ {
		if b.scores[k] < b.scores[worst] {
			worst = k
		}
	}
	if score > b.scores[worst] {
		b.ids[worst], b.scores[worst] = id, score
	}
}

func (b *best) appendTo(out []int32) []int32 { return append(out, b.ids[:b.n]...) }
