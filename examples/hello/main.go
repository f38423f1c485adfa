// Command hello is the smallest useful Roost connector: one action that
// greets, one that fetches a URL through the host, a configuration check,
// and the organizations capability over a fixed list. Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hello.wasm .
package main

import (
	"context"
	"strconv"

	"github.com/roosthq/roost/sdk"
)

// Connector is the hello connector; its test drives it with sdktest.
var Connector = sdk.Connector{
	Name:        "hello",
	Version:     "0.1.0",
	Category:    sdk.CategoryOther,
	Description: "The smallest Roost connector: greets, echoes, and fetches a status page.",
	Tags:        []string{"example"},
	Config: []sdk.Field{
		{Name: "greeting", Type: sdk.TypeString, Default: "Hello", Description: "The word to greet with."},
		{Name: "base_url", Type: sdk.TypeURL, Description: "Where status fetches the status page from."},
		{Name: "token", Type: sdk.TypeString, Secret: true, Description: "Sent as a bearer token by the host."},
	},
	Auth:  &sdk.Auth{Type: sdk.AuthBearer, Secret: "token"},
	Hosts: []string{"{config.base_url}"},
	Actions: []sdk.Action{
		sdk.NewAction("greet", "Greets someone by name.", greet),
		sdk.NewAction("echo", "Returns its input unchanged.", echo),
		sdk.NewAction("status", "Fetches GET {base_url}/status through the host.", status),
		sdk.NewAction("noop", "Does nothing; used to measure call overhead.", noop),
	},
	Check:         check,
	Organizations: organizations,
}

func init() { sdk.Serve(&Connector) }

func main() {}

type config struct {
	Greeting string `json:"greeting"`
	BaseURL  string `json:"base_url"`
}

// GreetInput is the input of greet.
type GreetInput struct {
	Name string `json:"name" desc:"Who to greet."`
}

// GreetOutput is the output of greet.
type GreetOutput struct {
	Greeting string `json:"greeting"`
}

func greet(ctx context.Context, in GreetInput) (GreetOutput, error) {
	if in.Name == "" {
		return GreetOutput{}, sdk.Errorf(sdk.CodeInvalidInput, "name is required")
	}
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return GreetOutput{}, err
	}
	if cfg.Greeting == "" {
		cfg.Greeting = "Hello"
	}
	sdk.Log(ctx).Info("greeting", "name", in.Name)
	return GreetOutput{Greeting: cfg.Greeting + ", " + in.Name + "!"}, nil
}

// EchoMessage is the input and output of echo.
type EchoMessage struct {
	Data string `json:"data"`
}

func echo(_ context.Context, in EchoMessage) (EchoMessage, error) { return in, nil }

func noop(context.Context, struct{}) (struct{}, error) { return struct{}{}, nil }

// StatusOutput is the output of status.
type StatusOutput struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
}

func status(ctx context.Context, _ struct{}) (StatusOutput, error) {
	var cfg config
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return StatusOutput{}, err
	}
	if cfg.BaseURL == "" {
		return StatusOutput{}, sdk.Errorf(sdk.CodeInvalidInput, "base_url is not configured")
	}
	var body map[string]any
	if err := sdk.HTTP(ctx).GetJSON(cfg.BaseURL+"/status", &body); err != nil {
		return StatusOutput{}, err
	}
	return StatusOutput{Status: 200, Body: body}, nil
}

func check(ctx context.Context) (sdk.CheckResult, error) {
	if _, err := status(ctx, struct{}{}); err != nil {
		return sdk.CheckResult{}, err
	}
	return sdk.CheckResult{Message: "status page answered"}, nil
}

// accounts is a fixed list so the organizations capability can be shown
// without a real tool.
var accounts = []sdk.Account{
	{ID: "1", Name: "Acme Corporation", Domains: []string{"acme.example"}},
	{ID: "2", Name: "Globex LLC", Domains: []string{"globex.example"}},
	{ID: "3", Name: "Initech GmbH"},
	{ID: "4", Name: "Umbrella Ltd."},
	{ID: "5", Name: "Stark Industries"},
}

func organizations(_ context.Context, page sdk.PageRequest) (sdk.OrganizationPage, error) {
	size := page.Size
	if size <= 0 {
		size = 2
	}
	start := 0
	if page.Cursor != "" {
		n, err := strconv.Atoi(page.Cursor)
		if err != nil || n < 0 || n > len(accounts) {
			return sdk.OrganizationPage{}, sdk.Errorf(sdk.CodeInvalidInput, "bad cursor %q", page.Cursor)
		}
		start = n
	}
	end := min(start+size, len(accounts))
	out := sdk.OrganizationPage{Accounts: accounts[start:end], Total: len(accounts)}
	if end < len(accounts) {
		out.Next = strconv.Itoa(end)
	}
	return out, nil
}
