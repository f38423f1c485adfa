package host_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roosthq/roost/host"
	"github.com/roosthq/roost/plugins/fakes/halopsa"
)

// TestReviewAndLearning: a suggestion below high confidence is held for
// review and saved only when asked; a choice that differs from the
// suggestion is learned, used by the next suggest, listed and forgotten.
func TestReviewAndLearning(t *testing.T) {
	ctx := context.Background()
	fake, err := halopsa.Start(halopsa.Options{Clients: []halopsa.Client{
		{ID: 1, Name: "Foxbrook Dental Group"}, {ID: 2, Name: "Cedar Hollow Veterinary Clinic"},
		{ID: 3, Name: "Lindenbrück Logistics GmbH"}, {ID: 4, Name: "Lindenbruck Freight Services"},
		{ID: 5, Name: "Oosterwijk Bakery"}, {ID: 6, Name: "Harbor Point Marina"}, {ID: 7, Name: "Ridgeway Family Dentistry"},
		{ID: 8, Name: "Maple Street Pediatrics - Main Office"}, {ID: 9, Name: "Stonegate Property Mgmt"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	h := openBundled(t, newHome(t))
	for _, n := range []string{"Foxbrook Dental Group", "Cedar Hollow Vet Clinc", "Lindenbrück Logistics", "Oosterwijk Bakery",
		"Harbor Point Marina Services", "Ridgeway Dental", "Maple St Pediatrics", "Stonegate Property Management Group"} {
		if _, err := h.Organizations().Add(ctx, host.OrgInput{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	installHalo(t, h, fake)
	mp := h.Mappings()
	if _, err := mp.Refresh(ctx, "halopsa", host.RefreshOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := mp.Suggest(ctx, "halopsa", host.SuggestOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, s := range rep.Suggestions {
		if s.Confidence == "" || s.Explanation == nil && s.Rule != "same-name" && s.Rule != "learned" {
			t.Errorf("suggestion without confidence or explanation: %+v", s)
		}
		if s.Review {
			held[s.Org] = true
		}
	}
	if len(held) == 0 || rep.Review != len(held) {
		t.Fatalf("nothing held for review among %+v", rep.Suggestions)
	}
	// The user overrides one suggestion (Lindenbrück is the freight
	// company) and refuses another (the bakery is not that account).
	if _, err := mp.Set(ctx, "halopsa", "lindenbruck-logistics", "4"); err != nil {
		t.Fatal(err)
	}
	if err := mp.Unset(ctx, "halopsa", "oosterwijk-bakery"); err != nil {
		t.Fatal(err)
	}
	res, err := mp.Save(ctx, "halopsa")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Held) == 0 || res.Learned != 2 {
		t.Fatalf("save: %+v (held %v)", res, held)
	}
	for _, org := range res.Held {
		if _, err := mp.AccountFor(ctx, "halopsa", org); err == nil {
			t.Errorf("%s was held for review but saved", org)
		}
	}
	if res, err := mp.Save(ctx, "halopsa", host.SaveOptions{IncludeReview: true}); err != nil || res.Saved != len(held) {
		t.Fatalf("save --include-review: %+v %v", res, err)
	}
	aliases, err := mp.Aliases(ctx, "halopsa")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range aliases {
		kinds = append(kinds, a.Org+":"+a.Kind+":"+a.Account)
	}
	if got := strings.Join(kinds, " "); got != "lindenbruck-logistics:same:4 lindenbruck-logistics:never:3 oosterwijk-bakery:never:5" {
		t.Fatalf("aliases: %s", got)
	}
	// The next suggest, even over the saved mapping, keeps the lessons.
	rep, err = mp.Suggest(ctx, "halopsa", host.SuggestOptions{Overwrite: true, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	byOrg := map[string]host.Suggestion{}
	for _, s := range rep.Suggestions {
		byOrg[s.Org] = s
	}
	if s := byOrg["lindenbruck-logistics"]; s.Account != "4" || s.Rule != "learned" || !strings.Contains(s.Why, "you chose") {
		t.Errorf("learned alias not used: %+v", s)
	}
	if _, ok := byOrg["oosterwijk-bakery"]; ok || len(rep.Refused) != 1 {
		t.Errorf("a refused account suggested again: %+v refused %v", byOrg["oosterwijk-bakery"], rep.Refused)
	}
	if n, err := mp.ForgetAlias(ctx, "halopsa", "oosterwijk-bakery", ""); err != nil || n != 1 {
		t.Fatalf("forget: %d %v", n, err)
	}
	rep, _ = mp.Suggest(ctx, "halopsa", host.SuggestOptions{Overwrite: true})
	found := false
	for _, s := range rep.Suggestions {
		found = found || s.Org == "oosterwijk-bakery"
	}
	if !found {
		t.Errorf("after forgetting, the bakery is not suggested again: %+v", rep)
	}
}
