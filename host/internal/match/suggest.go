package match

import (
	"context"
	"fmt"
	"runtime"
	"sort"
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
	Why         string  `json:"why,omitempty"`
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
const tie = 0.005

// Suggest proposes at most one account per organization and never one
// account for two organizations. A rule failing on a pair stops it with a
// *RuleError naming the rule and the pair.
func Suggest(ctx context.Context, in Input) (*Result, error) {
	res := &Result{Ambiguous: map[string][]string{}, Stats: Stats{Orgs: len(in.Orgs), Accounts: len(in.Accounts)}}
	if in.Rules == nil {
		in.Rules = DefaultRules()
	}
	t0 := time.Now()
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
// organization wants equally, is ambiguous and gets none.
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
	for _, p := range all {
		if orgDone[p.org] || taken[p.acct] {
			continue
		}
		// Another free account just as good for this organization?
		var rivals []int32
		for _, q := range perOrg[p.org] {
			if q.acct != p.acct && !taken[q.acct] && equallyGood(p, q) {
				rivals = append(rivals, q.acct)
			}
		}
		// Another organization wanting this account just as much?
		var contenders []int32
		for _, q := range byAcct[p.acct] {
			if q.org != p.org && !orgDone[q.org] && equallyGood(p, q) && isBest(perOrg[q.org], q, taken) {
				contenders = append(contenders, q.org)
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
		s := Suggestion{Org: org.ID, Account: acct.ID, AccountName: acct.Name, Rule: rule.Name, Score: round3(p.score)}
		if in.Explain {
			s.Why = explain(rule, org, acct, p.score)
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

func explain(r *Rule, org, acct *Party, score float64) string {
	return fmt.Sprintf("rule %s (score %.3f, min %.2f): %q [%s] ~ %q [%s]", r.Name, score, r.Min,
		org.Name, org.Norm, acct.Name, acct.Norm)
}
