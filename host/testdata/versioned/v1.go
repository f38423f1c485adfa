//go:build !v2

package main

import (
	"context"

	"github.com/roosthq/roost/sdk"
)

const buildVersion = "1.0.0"

var connector = sdk.Connector{
	Name:        "versioned",
	Version:     buildVersion,
	Category:    sdk.CategoryPSA,
	Description: "A test connector for upgrades: version one.",
	Tags:        []string{"test", "tickets"},
	Config: []sdk.Field{
		{Name: "fail", Type: sdk.TypeBoolean, Description: "Make the check fail."},
		{Name: "api_key", Type: sdk.TypeString, Secret: true},
	},
	Auth: &sdk.Auth{Type: sdk.AuthHeader, Name: "X-Api-Key", Secret: "api_key"},
	Actions: []sdk.Action{
		sdk.NewAction("version", "Says which build answers.", version),
		sdk.NewAction("list_tickets", "Lists tickets.", func(context.Context, struct{}) ([]string, error) { return []string{}, nil }),
	},
	Check: check,
}
