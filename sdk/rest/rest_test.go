package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBuildRequest(t *testing.T) {
	e := &Endpoint{Name: "create", Method: "post", Path: "/orgs/{org}/tickets",
		Params: []Param{{Name: "org", In: "path", Required: true}, {Name: "tag", In: "query"}, {Name: "X-Trace", In: "header"}},
		Body:   json.RawMessage(`{"type":"object"}`), Retry: true}
	r, err := BuildRequest("https://api.example.com/v1/", map[string]string{"X-Client": "roost"}, e,
		json.RawMessage(`{"org":"a b/c","tag":["x","y"],"X-Trace":7,"body":{"s":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.URL != "https://api.example.com/v1/orgs/a%20b%2Fc/tickets?tag=x&tag=y" ||
		r.Header["X-Trace"] != "7" || r.Header["X-Client"] != "roost" || string(r.Body) != `{"s":1}` || !r.Retry {
		t.Fatalf("request %+v", r)
	}
	for in, want := range map[string]string{
		`{}`:                      `path parameter "org" is required`,
		`{"org":"a","extra":1}`:   "unknown input extra",
		`{"org":{"nested":true}}`: `parameter "org"`,
		`[1]`:                     "must be a JSON object",
	} {
		if _, err := BuildRequest("https://x", nil, e, json.RawMessage(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v (want %q)", in, err, want)
		}
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	d := &Definition{Name: "Bad Name", BaseURL: "ftp://x", Auth: Auth{Kind: "magic"}, Endpoints: []Endpoint{
		{Name: "a", Method: "GET", Path: "/a", Organizations: &OrgFields{}},
		{Name: "a", Method: "FETCH", Path: "b", Organizations: &OrgFields{}, Pagination: &Pagination{Kind: "cursor"}},
		{Name: "c", Method: "GET", Path: "/c", Params: []Param{{Name: "id", In: "path"}}},
	}}
	err := d.Validate()
	if err == nil {
		t.Fatal("valid")
	}
	for _, want := range []string{"name \"Bad Name\"", "base_url", "auth.kind \"magic\"", "second endpoint named \"a\"", "method \"FETCH\"",
		"path \"b\"", "cursor pagination needs", "path parameter \"id\" is not in the path", "2 endpoints are marked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in:\n%v", want, err)
		}
	}
}

func TestLookup(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"data":{"items":[1,2]},"next":null}`), &v)
	if got, ok := Lookup(v, "data.items"); !ok || len(got.([]any)) != 2 {
		t.Errorf("data.items: %v %v", got, ok)
	}
	if _, ok := Lookup(v, "data.missing"); ok {
		t.Error("missing key found")
	}
}
