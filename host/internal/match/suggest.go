package match

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Input is what Suggest matches.
type Input struct {
	Integration string
	// Orgs are the organizations that want an account.
	Orgs []*Party
	// Accounts are the accounts free to suggest.
	Accounts []*Party
	Rules    *Rules
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
	// Explain fills in each suggestion's Why.
	Explain bool
}

// Suggestion pairs an organization with one account.
type Suggestion struct {
	Org         string  `json:"org"`
	Account     string  `json:"account"`
	AccountName string  `json:"account_name"`
	Rule        string  `json:"rule"`
	Score       float64 `json:"score"`
	// Margin is how far Score is ahead of the closest competitor: the
	// organization's best other free account (RunnerUp) or the best other
	// organization wanting this account (Rival). A competitor proposed
	// only by a later rule counts as 0; with none, Margin is Score.
	Margin   float64 `json:"margin"`
	RunnerUp string  `json:"runner_up,omitempty"` // account id
	Rival    string  `json:"rival,omitempty"`     // organization id
	// Confidence is high, review or low, from Score and Margin.
	Confidence Confidence `json:"confidence"`
	// Why is a one-line account of the suggestion and Explanation the
	// aligner's reading of the two names; both only with Input.Explain.
	Why         string       `json:"why,omitempty"`
	Explanation *Explanation `json:"explanation,omitempty"`
}

// Confidence grades a suggestion for review.
type Confidence string

const (
	// ConfidenceHigh: a score near 1 well ahead of any competitor.
	ConfidenceHigh Confidence = "high"
	// ConfidenceReview: a good score or a fair margin; worth a look.
	ConfidenceReview Confidence = "review"
	// ConfidenceLow: a score just over the rule's min, or a competitor
	// close behind; check it before saving.
	ConfidenceLow Confidence = "low"
)

// Thresholds of Confidence.
const (
	highScore, highMargin = 0.95, 0.15
	lowMargin, lowOverMin = 0.05, 0.03
)

func confidence(score, margin, ruleMin float64) Confidence {
	switch {
	case margin < lowMargin || ruleMin < 1 && score < ruleMin+lowOverMin:
		return ConfidenceLow
	case score >= highScore && margin >= highMargin:
		return ConfidenceHigh
	}
	return ConfidenceReview
}

// Result is what Suggest decided.
type Result struct {
	Suggestions []Suggestion `json:"suggestions"`
	// Ambiguous maps an organization to the accounts it could not choose
	// between (equally good, or wanted equally by another organization).
	Ambiguous map[string][]string `json:"ambiguous"`
	// Unmatched are organizations no rule proposed any free account for.
	Unmatched []string `json:"unmatched"`
	Stats     Stats    `json:"stats"`
}

// Stats say how much work a suggestion took.
type Stats struct {
	Orgs        int           `json:"orgs"`
	Accounts    int           `json:"accounts"`
	Candidates  int           `json:"candidates"`
	Evaluations int           `json:"evaluations"`
	Index       time.Duration `json:"index_ns"`
	Score       time.Duration `json:"score_ns"`
	Assign      time.Duration `json:"assign_ns"`
}

// proposal is a pair a rule accepted.
type proposal struct {
	org, acct int32
	tier      int16
	score     float64
}

// tie is how close two scores must be to count as equally good.
const tie = 0.02

// Suggest proposes at most one account per organization and never one
// account for two organizations. A rule failing on a pair stops it with a
// *RuleError naming the rule and the pair.
func Suggest(ctx context.Context, in Input) (*Result, error) {
	res := &Result{Ambiguous: map[string][]string{}, Stats: Stats{Orgs: len(in.Orgs), Accounts: len(in.Accounts)}}
	if in.Rules == nil {
		in.Rules = DefaultRules()
	}
	t0 := time.Now()
	// Suggest works on its own copies of the parties, which carry this
	// run's vocabulary (word rarity among these accounts).
	table := in.Rules.wordTable()
	in.Orgs, in.Accounts = prepare(in.Orgs, table), prepare(in.Accounts, table)
	voc := newVocab(in.Orgs, in.Accounts, table)
	for _, ps := range [][]*Party{in.Orgs, in.Accounts} {
		for _, p := range ps {
			p.run = voc
			p.wts, p.kn = make([][]float64, len(p.a.forms)), make([][]bool, len(p.a.forms))
			for i := range p.a.forms {
				p.wts[i], p.kn[i] = formWeights(&p.a.forms[i], voc), formKnown(&p.a.forms[i], voc)
			}
		}
	}
	ix := NewIndex(in.Accounts)
	res.Stats.Index = time.Since(t0)

	t1 := time.Now()
	workers := in.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(in.Orgs)/64+1))
	perOrg := make([][]proposal, len(in.Orgs))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     int
		cands    int
		evals    int
	)
	const batch = 256
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := ix.newScratch()
			var machine vm.VM
			env := &Env{Integration: in.Integration}
			nc, ne := 0, 0
			defer func() { mu.Lock(); cands += nc; evals += ne; mu.Unlock() }()
			for {
				mu.Lock()
				lo := next
				next += batch
				stop := firstErr != nil
				mu.Unlock()
				if stop || lo >= len(in.Orgs) || ctx.Err() != nil {
					return
				}
				for oi := lo; oi < min(lo+batch, len(in.Orgs)); oi++ {
					org := in.Orgs[oi]
					env.Org = org
					cs := ix.candidates(org, sc)
					nc += len(cs)
					var props []proposal
					for _, ai := range cs {
						env.Account = ix.accounts[ai]
						for tier, r := range in.Rules.Rules {
							ne++
							s, err := r.eval(&machine, env)
							if err != nil {
								mu.Lock()
								if firstErr == nil {
									firstErr = err
								}
								mu.Unlock()
								return
							}
							if s >= r.Min {
								props = append(props, proposal{org: int32(oi), acct: ai, tier: int16(tier), score: s})
								break
							}
						}
					}
					perOrg[oi] = props
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Stats.Candidates, res.Stats.Evaluations = cands, evals
	res.Stats.Score = time.Since(t1)

	t2 := time.Now()
	assign(in, perOrg, res)
	res.Stats.Assign = time.Since(t2)
	return res, nil
}

// prepare copies parties for one run, analysing their names with the
// run's word table when it is not the built-in one.
func prepare(ps []*Party, t *wordTable) []*Party {
	out := make([]*Party, len(ps))
	copies := make([]Party, len(ps))
	for i, p := range ps {
		copies[i] = *p
		q := &copies[i]
		if q.a == nil || t != builtinTable {
			q.a = analyze(q.Name, t)
		}
		q.lastAcct, q.wts, q.kn = nil, nil, nil
		out[i] = q
	}
	return out
}

// better orders proposals: earlier rule, then higher score.
func better(a, b proposal) bool {
	if a.tier != b.tier {
		return a.tier < b.tier
	}
	return a.score > b.score
}

func equallyGood(a, b proposal) bool { return a.tier == b.tier && abs(a.score-b.score) < tie }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// assign picks pairs greedily, best first. An organization whose best
// free accounts are equally good, or whose best account another
// organization wants equally, is ambiguous and gets none; otherwise the
// best wins, with its margin over the closest competitor.
func assign(in Input, perOrg [][]proposal, res *Result) {
	var all []proposal
	byAcct := map[int32][]proposal{}
	for _, ps := range perOrg {
		sort.Slice(ps, func(i, j int) bool { return better(ps[i], ps[j]) })
		all = append(all, ps...)
		for _, p := range ps {
			byAcct[p.acct] = append(byAcct[p.acct], p)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if better(all[i], all[j]) {
			return true
		}
		if better(all[j], all[i]) {
			return false
		}
		return in.Orgs[all[i].org].ID < in.Orgs[all[j].org].ID
	})
	orgDone := make([]bool, len(in.Orgs))
	taken := make([]bool, len(in.Accounts))
	// gap is how far p is ahead of q: a later rule's proposal counts 0.
	gap := func(p, q proposal) float64 {
		if q.tier > p.tier {
			return p.score
		}
		return p.score - q.score
	}
	for _, p := range all {
		if orgDone[p.org] || taken[p.acct] {
			continue
		}
		margin := p.score
		runnerUp, rival := int32(-1), int32(-1)
		// Another free account just as good for this organization?
		var rivals []int32
		for _, q := range perOrg[p.org] {
			if q.acct == p.acct || taken[q.acct] {
				continue
			}
			if equallyGood(p, q) {
				rivals = append(rivals, q.acct)
			}
			if g := gap(p, q); g < margin || runnerUp < 0 {
				margin, runnerUp = min(margin, g), q.acct
			}
		}
		// Another organization wanting this account just as much?
		var contenders []int32
		for _, q := range byAcct[p.acct] {
			if q.org == p.org || orgDone[q.org] {
				continue
			}
			if equallyGood(p, q) && isBest(perOrg[q.org], q, taken) {
				contenders = append(contenders, q.org)
			}
			if g := gap(p, q); g < margin {
				margin, runnerUp, rival = g, -1, q.org
			} else if rival < 0 && runnerUp < 0 {
				rival = q.org
			}
		}
		if len(rivals) > 0 {
			orgDone[p.org] = true
			ids := []string{in.Accounts[p.acct].ID}
			for _, a := range rivals {
				ids = append(ids, in.Accounts[a].ID)
			}
			res.Ambiguous[in.Orgs[p.org].ID] = ids
			continue
		}
		if len(contenders) > 0 {
			for _, o := range append(contenders, p.org) {
				orgDone[o] = true
				res.Ambiguous[in.Orgs[o].ID] = append(res.Ambiguous[in.Orgs[o].ID], in.Accounts[p.acct].ID)
			}
			taken[p.acct] = true // wanted equally by two: suggested to neither
			continue
		}
		orgDone[p.org], taken[p.acct] = true, true
		org, acct := in.Orgs[p.org], in.Accounts[p.acct]
		rule := in.Rules.Rules[p.tier]
		s := Suggestion{Org: org.ID, Account: acct.ID, AccountName: acct.Name, Rule: rule.Name, Score: round3(p.score),
			Margin: round3(max(margin, 0)), Confidence: confidence(p.score, margin, rule.Min)}
		var competitor string
		var competitorScore float64
		if runnerUp >= 0 {
			s.RunnerUp = in.Accounts[runnerUp].ID
			competitor = fmt.Sprintf("account %q", in.Accounts[runnerUp].Name)
			competitorScore = p.score - margin
		}
		if rival >= 0 {
			s.Rival = in.Orgs[rival].ID
			competitor = fmt.Sprintf("organization %q", in.Orgs[rival].Name)
			competitorScore = p.score - margin
		}
		if in.Explain {
			ex := &Explanation{}
			compare(org, acct, org.run, ex)
			ex.Margin, ex.RunnerUpScore = s.Margin, round3(max(competitorScore, 0))
			ex.RunnerUp = s.RunnerUp
			if s.Rival != "" {
				ex.RunnerUp = "org:" + s.Rival
			}
			s.Explanation = ex
			s.Why = explain(rule, org, acct, p.score, s, competitor, ex)
		}
		res.Suggestions = append(res.Suggestions, s)
	}
	for i, o := range in.Orgs {
		if !orgDone[i] {
			res.Unmatched = append(res.Unmatched, o.ID)
		}
	}
	sort.Slice(res.Suggestions, func(i, j int) bool { return res.Suggestions[i].Org < res.Suggestions[j].Org })
	sort.Strings(res.Unmatched)
}

// isBest reports whether q is its organization's best proposal among free
// accounts.
func isBest(ps []proposal, q proposal, taken []bool) bool {
	for _, p := range ps {
		if taken[p.acct] {
			continue
		}
		return equallyGood(p, q)
	}
	return false
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }

func explain(r *Rule, org, acct *Party, score float64, s Suggestion, competitor string, ex *Explanation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule %s (score %.3f, min %.2f): %q [%s] ~ %q [%s]; confidence %s, margin %.3f", r.Name, score, r.Min,
		org.Name, ex.Org, acct.Name, ex.Account, s.Confidence, s.Margin)
	if competitor != "" {
		fmt.Fprintf(&b, " over %s", competitor)
	}
	if ex.Part != "" {
		fmt.Fprintf(&b, "; the %s part of a dba name", ex.Part)
	}
	var how []string
	for _, m := range ex.Matched {
		if m.How != "same" {
			how = append(how, fmt.Sprintf("%s=%s (%s)", m.Org, m.Account, m.How))
		}
	}
	if len(how) > 0 {
		b.WriteString("; " + strings.Join(how, ", "))
	}
	for _, p := range ex.Penalties {
		fmt.Fprintf(&b, "; %s %s", p.Reason, strings.Join(p.Words, " "))
	}
	return b.String()
}
