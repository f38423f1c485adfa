// Package workflow runs a crate's workflow for one organization: each
// step's inputs, condition and foreach list are expr expressions over the
// run context, compiled once; steps call integration actions through a
// function the host gives; every step's input, output, error and timing
// is recorded.
package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/roosthq/roost/crates"
)

// Call runs one integration action for the run's organization.
type Call func(ctx context.Context, integration, action string, input json.RawMessage) (json.RawMessage, error)

// Org is the organization a run is for, as expressions see it.
type Org struct {
	ID         string            `expr:"id" json:"id"`
	Name       string            `expr:"name" json:"name"`
	Domains    []string          `expr:"domains" json:"domains,omitempty"`
	Tags       []string          `expr:"tags" json:"tags,omitempty"`
	Attributes map[string]string `expr:"attributes" json:"attributes,omitempty"`
	// Mapping is the org's account id in each integration.
	Mapping map[string]string `expr:"mapping" json:"mapping,omitempty"`
}

// Program is a workflow compiled once, run for many organizations.
type Program struct {
	wf    crates.Workflow
	steps []*step
}

type step struct {
	def         crates.Step
	integration string
	action      string
	cond        *vm.Program
	foreach     *vm.Program
	inputs      map[string]*vm.Program
	literals    map[string]any
	keys        []string
}

// StepRecord is what one step did.
type StepRecord struct {
	ID       string          `json:"id"`
	Action   string          `json:"action"`
	Skipped  bool            `json:"skipped,omitempty"`
	Input    json.RawMessage `json:"input,omitempty"`
	Output   json.RawMessage `json:"output,omitempty"`
	Error    string          `json:"error,omitempty"`
	Attempts int             `json:"attempts,omitempty"`
	Items    int             `json:"items,omitempty"`
	Duration time.Duration   `json:"duration_ns"`
}

// Run is a workflow run's record.
type Run struct {
	Workflow  string         `json:"workflow"`
	Org       string         `json:"org"`
	Vars      map[string]any `json:"vars,omitempty"`
	Status    string         `json:"status"` // succeeded, failed
	Error     string         `json:"error,omitempty"`
	StartedAt time.Time      `json:"started_at"`
	Duration  time.Duration  `json:"duration_ns"`
	Steps     []StepRecord   `json:"steps"`
}

// env is the expression context. Fields are what expressions name.
type env struct {
	Org   *Org           `expr:"org"`
	Vars  map[string]any `expr:"vars"`
	Steps map[string]any `expr:"steps"`
	Item  any            `expr:"item"`
}

func options() []expr.Option {
	return []expr.Option{expr.Env(env{}), expr.Function("now", func(...any) (any, error) { return time.Now().UTC(), nil }, new(func() time.Time))}
}

// Compile compiles every expression of a workflow; the error names the
// step and field of each that does not compile.
func Compile(wf crates.Workflow) (*Program, error) {
	p := &Program{wf: wf}
	var probs []string
	for _, s := range wf.Steps {
		st := &step{def: s, inputs: map[string]*vm.Program{}, literals: map[string]any{}}
		st.integration, st.action, _ = strings.Cut(s.Action, ".")
		comp := func(field, src string) *vm.Program {
			prog, err := expr.Compile(src, options()...)
			if err != nil {
				probs = append(probs, fmt.Sprintf("step %s: %s: %v", s.ID, field, oneLine(err.Error())))
				return nil
			}
			return prog
		}
		if s.If != "" {
			st.cond = comp("if", s.If)
		}
		if s.Foreach != "" {
			st.foreach = comp("foreach", s.Foreach)
		}
		for k, v := range s.Input {
			st.keys = append(st.keys, k)
			if src, ok := v.(string); ok {
				st.inputs[k] = comp("input."+k, src)
			} else {
				st.literals[k] = v
			}
		}
		sort.Strings(st.keys)
		p.steps = append(p.steps, st)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("workflow %s:\n  %s", wf.Name, strings.Join(probs, "\n  "))
	}
	return p, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Options change a run.
type Options struct {
	// Concurrency bounds a foreach's parallel calls. Default 4.
	Concurrency int
	// OnStep, if set, is called after each step (for live output).
	OnStep func(StepRecord)
}

// Run runs the workflow for org.
func (p *Program) Run(ctx context.Context, org *Org, vars map[string]any, call Call, o Options) *Run {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	run := &Run{Workflow: p.wf.Name, Org: org.ID, Vars: vars, StartedAt: time.Now().UTC(), Status: "succeeded", Steps: make([]StepRecord, 0, len(p.steps))}
	e := &env{Org: org, Vars: vars, Steps: map[string]any{}}
	var machine vm.VM
	for _, s := range p.steps {
		rec := p.step(ctx, s, e, &machine, call, o)
		run.Steps = append(run.Steps, rec)
		if o.OnStep != nil {
			o.OnStep(rec)
		}
		if rec.Error != "" && s.def.OnError != "continue" {
			run.Status, run.Error = "failed", fmt.Sprintf("step %s: %s", s.def.ID, rec.Error)
			break
		}
	}
	run.Duration = time.Since(run.StartedAt)
	return run
}

func (p *Program) step(ctx context.Context, s *step, e *env, machine *vm.VM, call Call, o Options) (rec StepRecord) {
	start := time.Now()
	rec = StepRecord{ID: s.def.ID, Action: s.def.Action}
	defer func() { rec.Duration = time.Since(start) }()
	if s.cond != nil {
		v, err := machine.Run(s.cond, e)
		if err != nil {
			rec.Error = "if: " + oneLine(err.Error())
			return rec
		}
		if b, _ := v.(bool); !b {
			rec.Skipped = true
			e.Steps[s.def.ID] = nil
			return rec
		}
	}
	if s.foreach == nil {
		in, err := p.input(s, e, machine)
		if err != nil {
			rec.Error = err.Error()
			return rec
		}
		rec.Input = in
		out, attempts, err := attempt(ctx, s, call, in)
		rec.Attempts = attempts
		if err != nil {
			rec.Error = err.Error()
			e.Steps[s.def.ID] = nil
			return rec
		}
		rec.Output = out
		e.Steps[s.def.ID] = decode(out)
		return rec
	}
	v, err := machine.Run(s.foreach, e)
	if err != nil {
		rec.Error = "foreach: " + oneLine(err.Error())
		return rec
	}
	items, ok := v.([]any)
	if !ok {
		rec.Error = fmt.Sprintf("foreach: %T is not a list", v)
		return rec
	}
	rec.Items = len(items)
	outs := make([]any, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	for i, item := range items {
		// Each item gets its own context copy; inputs are computed here,
		// one at a time (the VM is not shared across goroutines).
		ie := &env{Org: e.Org, Vars: e.Vars, Steps: e.Steps, Item: item}
		in, err := p.input(s, ie, machine)
		if err != nil {
			errs[i] = err
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, _, err := attempt(ctx, s, call, in)
			if err != nil {
				errs[i] = err
				return
			}
			outs[i] = decode(out)
		}()
	}
	wg.Wait()
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Sprintf("item %d: %v", i, err))
		}
	}
	if len(failed) > 0 {
		rec.Error = fmt.Sprintf("%d of %d items failed; first: %s", len(failed), len(items), failed[0])
	}
	out, _ := json.Marshal(outs)
	rec.Output = out
	e.Steps[s.def.ID] = outs
	return rec
}

func (p *Program) input(s *step, e *env, machine *vm.VM) (json.RawMessage, error) {
	in := make(map[string]any, len(s.keys))
	for _, k := range s.keys {
		if prog := s.inputs[k]; prog != nil {
			v, err := machine.Run(prog, e)
			if err != nil {
				return nil, fmt.Errorf("input.%s: %s", k, oneLine(err.Error()))
			}
			in[k] = v
		} else {
			in[k] = s.literals[k]
		}
	}
	return json.Marshal(in)
}

func attempt(ctx context.Context, s *step, call Call, in json.RawMessage) (json.RawMessage, int, error) {
	var err error
	for n := 0; n <= s.def.Retries; n++ {
		if n > 0 {
			select {
			case <-time.After(time.Duration(n*n) * 100 * time.Millisecond):
			case <-ctx.Done():
				return nil, n, ctx.Err()
			}
		}
		var out json.RawMessage
		if out, err = call(ctx, s.integration, s.action, in); err == nil {
			return out, n + 1, nil
		}
		if errors.Is(err, context.Canceled) {
			return nil, n + 1, err
		}
	}
	return nil, s.def.Retries + 1, err
}

func decode(out json.RawMessage) any {
	var v any
	if len(out) > 0 {
		_ = json.Unmarshal(out, &v)
	}
	return v
}
