//go:build v2

package main

import (
	"context"

	"github.com/roosthq/roost/sdk"
)

const buildVersion = "2.0.0"

var connector = sdk.Connector{
	Name:        "versioned",
	Version:     buildVersion,
	Category:    sdk.CategoryPSA,
	Description: "A test connector for upgrades: version two.",
	Tags:        []string{"test", "tickets"},
	Config: []sdk.Field{
		{Name: "fail", Type: sdk.TypeBoolean, Description: "Make the check fail."},
		{Name: "api_key", Type: sdk.TypeString, Secret: true},
		{Name: "region", Type: sdk.TypeString, Required: true, Enum: []any{"eu", "us"}},
	},
	Auth: &sdk.Auth{Type: sdk.AuthHeader, Name: "X-Api-Key", Secret: "api_key"},
	Actions: []sdk.Action{
		sdk.NewAction("version", "Says which build answers.", version),
		sdk.NewAction("create_ticket", "Creates a ticket.", func(context.Context, struct{ Summary string }) (struct{ ID int }, error) {
			return struct{ ID int }{1}, nil
		}),
	},
	Check: check,
}
