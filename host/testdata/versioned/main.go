// Command versioned is a test connector built in two versions (the build
// tag v2 selects the second) to exercise upgrades and reloads: v2 adds an
// action, drops one, and adds a required config field.
package main

import (
	"context"

	"github.com/roosthq/roost/sdk"
)

func init() { sdk.Serve(&connector) }

func main() {}

type versionOut struct {
	Version string `json:"version"`
}

func version(context.Context, struct{}) (versionOut, error) { return versionOut{buildVersion}, nil }

func check(ctx context.Context) (sdk.CheckResult, error) {
	var cfg struct {
		Fail bool `json:"fail"`
	}
	if err := sdk.DecodeConfig(ctx, &cfg); err != nil {
		return sdk.CheckResult{}, err
	}
	if cfg.Fail {
		return sdk.CheckResult{}, sdk.Errorf(sdk.CodeUnauthenticated, "the tool refused the credentials")
	}
	return sdk.CheckResult{Message: "checked " + buildVersion}, nil
}
