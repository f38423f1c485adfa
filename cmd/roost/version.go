package main

import (
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/roosthq/roost/sdk/abi"
)

// version is set at release time with -ldflags "-X main.version=…".
var version = ""

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the Roost version, the connector ABI it speaks, and its runtime",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			info := map[string]string{
				"version": buildVersion(),
				"abi":     abi.Version,
				"go":      runtime.Version(),
				"wazero":  moduleVersion("github.com/tetratelabs/wazero"),
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, info)
			}
			return printf(c.App.Writer, "roost %s\nconnector ABI v%s\n%s, wazero %s\n", info["version"], info["abi"], info["go"], info["wazero"])
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}
