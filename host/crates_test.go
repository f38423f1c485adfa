package host_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins/fakes/fakedata"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

func TestCrateUnpackAndRunAgainstHaloPSA(t *testing.T) {
	ctx := context.Background()
	companies := fakedata.Companies(5, 4)
	fake, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	h := openBundled(t, newHome(t))
	var orgs []host.Organization
	for _, c := range companies[:3] {
		o, err := h.Organizations().Add(ctx, host.OrgInput{Name: c.Name})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	cr := h.Crates()
	// Two unmet needs, both reported; nothing unpacked.
	_, err = cr.Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: []string{orgs[0].ID}, Vars: map[string]string{"colour": "red"}})
	var ue *host.UnmetError
	if !errors.As(err, &ue) || len(ue.Unmet) != 2 || !strings.Contains(err.Error(), "halopsa: not installed") || !strings.Contains(err.Error(), "no variable colour") {
		t.Fatalf("unmet: %v", err)
	}
	list, _ := cr.List(ctx)
	if len(list) != 2 || list[0].Unpacked || list[0].Needs[0].Status != "not installed" {
		t.Fatalf("list after a refused unpack: %+v", list)
	}
	installHalo(t, h, fake)
	// Installed and configured, but not mapped: unmet again, with the fix.
	_, err = cr.Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: []string{orgs[0].ID, orgs[1].ID}})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "2 organizations are not mapped") || ue.Unmet[0].Fix != host.FixMap || ue.Unmet[0].Integration != "halopsa" {
		t.Fatalf("unmapped: %v", err)
	}
	mp := h.Mappings()
	if _, err := mp.Refresh(ctx, "halopsa", host.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Suggest(ctx, "halopsa", host.SuggestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mp.Save(ctx, "halopsa"); err != nil {
		t.Fatal(err)
	}
	plan, err := cr.Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: []string{orgs[0].ID, orgs[1].ID}, Plan: true})
	if err != nil || !plan.Planned || len(plan.Triggers) != 3 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	if l, _ := cr.List(ctx); l[0].Unpacked {
		t.Fatal("--plan unpacked")
	}
	res, err := cr.Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: []string{orgs[0].ID, orgs[1].ID}, Vars: map[string]string{"summary": "Check-in"}})
	if err != nil || strings.Join(res.Orgs, ",") != orgs[0].ID+","+orgs[1].ID {
		t.Fatalf("unpack: %+v %v", res, err)
	}
	// Uninstalling the integration is refused while the crate needs it.
	if _, err := h.Integrations().Uninstall(ctx, "halopsa", host.UninstallOptions{}); err == nil {
		t.Error("uninstalled an integration an unpacked crate needs")
	}

	// A run makes exactly the expected requests for the org's mapped account.
	acct, _ := mp.AccountFor(ctx, "halopsa", orgs[1].ID)
	fake.ResetRequests()
	var live []string
	rec, run, err := cr.Run(ctx, "open-review-ticket", orgs[1].ID, host.RunOptions{OnStep: func(s host.StepRecord) { live = append(live, s.ID) }})
	if err != nil || run.Status != "succeeded" || rec.ID != 1 {
		t.Fatalf("run: %+v %+v %v", rec, run, err)
	}
	var got []string
	for _, r := range fake.Requests() {
		got = append(got, r.Method+" "+r.Path+"?"+r.Query)
	}
	want := "GET /api/Client/" + acct.AccountID + "?|GET /api/Tickets?client_id=" + acct.AccountID + "|POST /api/Tickets?"
	if strings.Join(got, "|") != want {
		t.Errorf("requests:\n got %v\nwant %s", got, want)
	}
	tickets := fake.Tickets()
	if len(tickets) != 1 || tickets[0].Summary != "Check-in — "+companies[1].Name {
		t.Errorf("tickets: %+v", tickets)
	}
	if strings.Join(live, ",") != "client,tickets,ticket" {
		t.Errorf("live steps: %v", live)
	}
	_, stored, err := cr.RunByID(ctx, rec.ID)
	if err != nil || len(stored.Steps) != 3 || string(stored.Steps[0].Input) != `{"id":"`+acct.AccountID+`"}` || stored.Steps[2].Output == nil {
		t.Errorf("stored run: %+v %v", stored, err)
	}
	// Not unpacked for the third organization.
	if _, _, err := cr.Run(ctx, "open-review-ticket", orgs[2].ID, host.RunOptions{}); err == nil || !strings.Contains(err.Error(), "not for") {
		t.Errorf("run for another org: %v", err)
	}
	if err := cr.Remove(ctx, "psa-ticket-for-orgs"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Integrations().Uninstall(ctx, "halopsa", host.UninstallOptions{}); err != nil {
		t.Errorf("uninstall after the crate was removed: %v", err)
	}
}

func TestSyncCrateCreatesAndMapsOrganizations(t *testing.T) {
	ctx := context.Background()
	companies := fakedata.Companies(6, 8)
	fake, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	h := openBundled(t, newHome(t))
	installHalo(t, h, fake)
	orgs := h.Organizations()
	if _, err := orgs.Add(ctx, host.OrgInput{Name: "Roost MSP", ID: "msp", Own: true}); err != nil {
		t.Fatal(err)
	}
	existing, _ := orgs.Add(ctx, host.OrgInput{Name: companies[2].Name})
	if _, err := h.Crates().Unpack(ctx, "sync-psa-customers", host.UnpackOptions{Orgs: []string{"msp"}}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		_, run, err := h.Crates().Run(ctx, "sync-customers", "msp", host.RunOptions{})
		if err != nil || run.Status != "succeeded" {
			t.Fatalf("round %d: %+v %v", round, run, err)
		}
	}
	all, _ := orgs.List(ctx)
	if len(all) != 7 { // the MSP and one per client, the existing one reused
		t.Fatalf("%d organizations after two syncs", len(all))
	}
	maps, _ := h.Mappings().List(ctx, "halopsa")
	if len(maps) != 6 {
		t.Fatalf("%d mappings", len(maps))
	}
	if a, err := h.Mappings().AccountFor(ctx, "halopsa", existing.ID); err != nil || a.AccountID != "102" {
		t.Errorf("the existing organization: %+v %v", a, err)
	}
}

// TestServeRunsWebhookAndCronTriggers runs the trigger server: a webhook
// is answered 202 and its run happens; a cron minute queues runs for the
// crate's organizations, once per minute.
func TestServeRunsWebhookAndCronTriggers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	companies := fakedata.Companies(4, 5)
	fake, err := halopsa.Start(halopsa.Options{Clients: halopsa.MakeClients(companies)})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	h := openBundled(t, newHome(t))
	installHalo(t, h, fake)
	var ids []string
	for _, c := range companies[:2] {
		o, _ := h.Organizations().Add(ctx, host.OrgInput{Name: c.Name})
		ids = append(ids, o.ID)
	}
	mp := h.Mappings()
	mp.Refresh(ctx, "halopsa", host.RefreshOptions{})
	mp.Suggest(ctx, "halopsa", host.SuggestOptions{})
	mp.Save(ctx, "halopsa")
	cr := h.Crates()
	if _, err := cr.Unpack(ctx, "psa-ticket-for-orgs", host.UnpackOptions{Orgs: ids}); err != nil {
		t.Fatal(err)
	}
	runs := make(chan string, 16)
	addr := make(chan string, 1)
	srv := h.NewServer(host.ServeOptions{Addr: "127.0.0.1:0", Listening: func(a string) { addr <- a },
		OnRun: func(j host.Job, org string, run *host.WorkflowRun, err error) {
			status := "error"
			if err == nil {
				status = run.Status
			}
			runs <- j.Trigger + " " + org + " " + status
		}})
	go srv.Serve(ctx)
	base := "http://" + <-addr
	resp, err := http.Post(base+"/hooks/psa-ticket-for-orgs/review?org="+ids[1], "application/json", strings.NewReader(`{"reason":"test"}`))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	if got := <-runs; got != "webhook review "+ids[1]+" succeeded" {
		t.Errorf("webhook run: %s", got)
	}
	if resp, _ := http.Post(base+"/hooks/psa-ticket-for-orgs/nope", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown webhook: %d", resp.StatusCode)
	}
	srv.Tick(ctx, time.Date(2027, 1, 1, 8, 0, 30, 0, time.UTC)) // "0 8 1 */3 *"
	got := []string{<-runs, <-runs}
	if got[0] != "cron 0 8 1 */3 * "+ids[0]+" succeeded" || got[1] != "cron 0 8 1 */3 * "+ids[1]+" succeeded" {
		t.Errorf("cron runs: %v", got)
	}
	srv.Tick(ctx, time.Date(2027, 1, 1, 8, 0, 50, 0, time.UTC)) // the same minute: nothing more
	select {
	case extra := <-runs:
		t.Errorf("a second cron run in one minute: %s", extra)
	case <-time.After(300 * time.Millisecond):
	}
	if n := len(fake.Tickets()); n != 3 {
		t.Errorf("%d tickets, want 3", n)
	}
	if list, _ := cr.Runs(ctx, 0); len(list) != 3 {
		t.Errorf("%d runs recorded", len(list))
	}
}
