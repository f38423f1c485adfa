package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/roosthq/roost/crates"
)

func TestRunEvaluatesInputsConditionsLoopsAndRecordsSteps(t *testing.T) {
	wf := crates.Workflow{Name: "w", Steps: []crates.Step{
		{ID: "client", Action: "psa.get_client", Input: map[string]any{"id": "org.mapping.psa", "limit": 5}},
		{ID: "skip", Action: "psa.never", If: `"gold" in org.tags`},
		{ID: "each", Action: "psa.touch", Foreach: "steps.client.sites", Input: map[string]any{"site": "item", "who": "org.name"}},
		{ID: "flaky", Action: "psa.flaky", Retries: 2},
		{ID: "broken", Action: "psa.broken", OnError: "continue"},
		{ID: "last", Action: "psa.echo", Input: map[string]any{"summary": `vars.prefix + ": " + steps.client.name`}},
	}}
	p, err := Compile(wf)
	if err != nil {
		t.Fatal(err)
	}
	var flaky atomic.Int32
	var mu sync.Mutex
	var seen []string
	call := func(_ context.Context, integ, action string, in json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		seen = append(seen, integ+"."+action+" "+string(in))
		mu.Unlock()
		switch action {
		case "get_client":
			return json.RawMessage(`{"name":"Acme","sites":["HQ","Lab"]}`), nil
		case "flaky":
			if flaky.Add(1) < 3 {
				return nil, errors.New("try again")
			}
			return json.RawMessage(`true`), nil
		case "broken":
			return nil, errors.New("boom")
		}
		return in, nil
	}
	org := &Org{ID: "acme", Name: "Acme Corp", Mapping: map[string]string{"psa": "101"}}
	run := p.Run(context.Background(), org, map[string]any{"prefix": "Review"}, call, Options{Concurrency: 1})
	if run.Status != "succeeded" || len(run.Steps) != 6 {
		t.Fatalf("run: %+v", run)
	}
	if run.Steps[0].Duration <= 0 || run.Duration < run.Steps[0].Duration {
		t.Errorf("timings: step %v, run %v", run.Steps[0].Duration, run.Duration)
	}
	s := run.Steps
	if string(s[0].Input) != `{"id":"101","limit":5}` || !s[1].Skipped || s[2].Items != 2 || s[3].Attempts != 3 || s[4].Error != "boom" {
		t.Errorf("steps: %+v", s)
	}
	if string(s[5].Output) != `{"summary":"Review: Acme"}` {
		t.Errorf("last: %s", s[5].Output)
	}
	if got := strings.Join(seen[1:3], "|"); got != `psa.touch {"site":"HQ","who":"Acme Corp"}|psa.touch {"site":"Lab","who":"Acme Corp"}` {
		t.Errorf("foreach calls: %s", got)
	}
	// A failing step without on_error: continue stops the run.
	wf.Steps[4].OnError = ""
	p, _ = Compile(wf)
	flaky.Store(0)
	run = p.Run(context.Background(), org, map[string]any{"prefix": "x"}, call, Options{})
	if run.Status != "failed" || !strings.Contains(run.Error, "step broken: boom") || len(run.Steps) != 5 {
		t.Errorf("failing run: %+v", run)
	}
}

func TestCompileNamesTheBadExpression(t *testing.T) {
	_, err := Compile(crates.Workflow{Name: "w", Steps: []crates.Step{{ID: "a", Action: "x.y", Input: map[string]any{"id": "org.mapping.["}}}})
	if err == nil || !strings.Contains(err.Error(), "step a: input.id") {
		t.Fatalf("err = %v", err)
	}
}

func TestForeachFanOutIsBounded(t *testing.T) {
	items := make([]any, 1000)
	for i := range items {
		items[i] = i
	}
	p, _ := Compile(crates.Workflow{Name: "w", Steps: []crates.Step{{ID: "all", Action: "x.y", Foreach: "vars.items", Input: map[string]any{"n": "item"}}}})
	var now, peak atomic.Int32
	call := func(context.Context, string, string, json.RawMessage) (json.RawMessage, error) {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		now.Add(-1)
		return json.RawMessage(`1`), nil
	}
	run := p.Run(context.Background(), &Org{ID: "o"}, map[string]any{"items": items}, call, Options{Concurrency: 8})
	if run.Status != "succeeded" || run.Steps[0].Items != 1000 || peak.Load() > 8 {
		t.Fatalf("fan-out: %s, %d items, peak %d", run.Status, run.Steps[0].Items, peak.Load())
	}
}

// BenchmarkStepOverhead is the figure: the engine's own work per
// step (inputs evaluated, the call made, output decoded and recorded),
// with an action that returns at once.
func BenchmarkStepOverhead(b *testing.B) {
	var steps []crates.Step
	for i := range 10 {
		steps = append(steps, crates.Step{ID: fmt.Sprintf("s%d", i), Action: "psa.create_ticket", If: "org.mapping.psa != \"\"",
			Input: map[string]any{"client_id": "org.mapping.psa", "summary": `vars.summary + " for " + org.name`}})
	}
	p, err := Compile(crates.Workflow{Name: "w", Steps: steps})
	if err != nil {
		b.Fatal(err)
	}
	org := &Org{ID: "acme", Name: "Acme", Mapping: map[string]string{"psa": "101"}}
	vars := map[string]any{"summary": "Review"}
	out := json.RawMessage(`{"id":1,"summary":"Review for Acme"}`)
	call := func(context.Context, string, string, json.RawMessage) (json.RawMessage, error) { return out, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.Run(context.Background(), org, vars, call, Options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10/1000, "µs/step")
}

// BenchmarkForeach1000 fans a step out over 1,000 organizations' worth of
// items with the default concurrency: the figure is time and memory per
// fan-out.
func BenchmarkForeach1000(b *testing.B) {
	items := make([]any, 1000)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprint(i), "name": fmt.Sprintf("Org %d", i)}
	}
	p, _ := Compile(crates.Workflow{Name: "w", Steps: []crates.Step{{ID: "all", Action: "psa.create_ticket", Foreach: "vars.items",
		Input: map[string]any{"client_id": "item.id", "summary": `"Review for " + item.name`}}}})
	out := json.RawMessage(`{"id":1}`)
	call := func(context.Context, string, string, json.RawMessage) (json.RawMessage, error) { return out, nil }
	b.ReportAllocs()
	for range b.N {
		if run := p.Run(context.Background(), &Org{ID: "o"}, map[string]any{"items": items}, call, Options{}); run.Status != "succeeded" {
			b.Fatal(run.Error)
		}
	}
}
