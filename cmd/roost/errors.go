package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/roosthq/roost/crates"
	"github.com/roosthq/roost/host"
)

// The CLI's wording of the host's errors: the host says what failed and
// carries the facts; this file says which command fixes it.

// message is the line (or, for lists, the lines) printed for err.
func message(err error) string {
	var unmet *host.UnmetError
	if errors.As(err, &unmet) {
		n := fmt.Sprintf("%d needs are", len(unmet.Unmet))
		if len(unmet.Unmet) == 1 {
			n = "1 need is"
		}
		lines := []string{fmt.Sprintf("crate %s cannot be unpacked: %s unmet:", unmet.Crate, n)}
		for _, u := range unmet.Unmet {
			who := u.Integration
			if who != "" {
				who += ": "
			}
			line := "  " + who + u.Problem
			if fix := fixCommand(u); fix != "" {
				line += " (" + fix + ")"
			}
			lines = append(lines, line)
		}
		return strings.Join(lines, "\n")
	}
	var crateErr *crates.Error
	if errors.As(err, &crateErr) {
		return strings.TrimSpace(err.Error()) // one problem a line
	}
	msg := oneLine(err.Error())
	if flag, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		// The flag package names it with one dash; say it as typed.
		msg = fmt.Sprintf("unknown flag --%s; see the command's --help", strings.TrimPrefix(flag, "-"))
	}
	if topic, ok := strings.CutPrefix(msg, "No help topic for '"); ok {
		msg = fmt.Sprintf("unknown command %q; see the command group's --help", strings.TrimSuffix(topic, "'"))
	}
	if h := hint(err); h != "" {
		msg += "; " + h
	}
	return msg
}

// usageText says whether urfave/cli's error text is a command-line mistake.
func usageText(s string) bool {
	return strings.Contains(s, "flag provided but not defined") || strings.HasPrefix(s, "Required flag") ||
		strings.HasPrefix(s, "No help topic for")
}

// fixCommand words what meets an unmet need.
func fixCommand(u host.Unmet) string {
	switch u.Fix {
	case host.FixInstall:
		if u.Version != "" {
			return fmt.Sprintf("roost integrations install %s, a version %s", u.Integration, u.Version)
		}
		return "roost integrations install " + u.Integration
	case host.FixUpgrade:
		return "install a version of " + u.Integration + " that has them"
	case host.FixConfigure:
		return "roost integrations configure " + u.Integration + " --set …"
	case host.FixMap:
		return fmt.Sprintf("roost mapping refresh %s && roost mapping suggest %s && roost mapping save %s", u.Integration, u.Integration, u.Integration)
	case host.FixOrganization:
		return "see roost orgs list"
	case host.FixAttribute:
		return fmt.Sprintf("roost orgs edit %s --attr %s=…", u.Org, u.Attribute)
	case host.FixVariable:
		return "see the crate's variables with roost crates show"
	}
	return ""
}

// hint is the command that fixes err, or "".
func hint(err error) string {
	var (
		notInstalled *host.NotInstalledError
		noConfig     *host.NoConfigurationError
		noOrg        *host.NoOrganizationError
		notMapped    *host.NotMappedError
		noOptions    *host.NoOptionsError
		noAccount    *host.NoAccountError
		conflict     *host.ConflictError
		noDraft      *host.NoDraftError
		noCap        *host.NoOrganizationsCapabilityError
		needed       *host.NeededByCratesError
		widened      *host.HostsWidenedError
		noCrate      *host.NoCrateError
		noRun        *host.NoRunError
		dup          *host.DuplicateRequestError
		noRequest    *host.NoRequestError
		inUse        *host.HomeInUseError
		newer        *host.NewerStoreError
		gone         *host.ServiceGoneError
		running      *host.ServiceRunningError
		signIn       *host.SignInTimeoutError
		configErr    *host.ConfigError
		call         *host.CallError
		devRunning   *host.DevAlreadyRunningError
	)
	switch {
	case errors.As(err, &notInstalled):
		return "see roost integrations list"
	case errors.As(err, &noConfig):
		if len(noConfig.Missing) > 0 {
			return fmt.Sprintf("set it with: roost integrations configure %s --set %s=…", noConfig.Integration, noConfig.Missing[0])
		}
		if noConfig.Config != "" {
			return "see roost integrations show " + noConfig.Integration
		}
		return fmt.Sprintf("add one with: roost integrations configure %s --set …", noConfig.Integration)
	case errors.As(err, &noOrg):
		return "see roost orgs list"
	case errors.As(err, &notMapped):
		return fmt.Sprintf("see roost mapping show %s --unmapped", notMapped.Integration)
	case errors.As(err, &noOptions):
		return "run: roost mapping refresh " + noOptions.Integration
	case errors.As(err, &noAccount):
		return "refresh with roost mapping refresh " + noAccount.Integration
	case errors.As(err, &conflict):
		return "change one with roost mapping set or unset"
	case errors.As(err, &noDraft):
		return "make one with roost mapping suggest or set"
	case errors.As(err, &noCap):
		return fmt.Sprintf("set each by hand: roost mapping set %s ORG ACCOUNT", noCap.Integration)
	case errors.As(err, &needed):
		return "remove them first (roost crates remove NAME) or force it (--force)"
	case errors.As(err, &widened):
		if widened.Link != "" {
			return "to accept them, run: roost integrations install --link " + widened.Link
		}
		return "reload with new hosts allowed to accept it"
	case errors.As(err, &noCrate):
		if noCrate.Workflow != "" {
			return "see roost crates list; unpack one with roost crates unpack NAME --org ORG"
		}
		return "see roost crates list"
	case errors.As(err, &noRun):
		return "see roost runs list"
	case errors.As(err, &dup):
		return fmt.Sprintf("vote for it with: roost requests vote %d", dup.Existing.ID)
	case errors.As(err, &noRequest):
		return "see roost requests list"
	case errors.As(err, &inUse):
		return "wait for it to finish or stop it, or use another --home (run roost serve to share a home between commands)"
	case errors.As(err, &newer):
		return "upgrade roost, or use another --home"
	case errors.As(err, &gone):
		return "it was stopped or it died; check whether the change was made, then run the command again (with no service running it opens the home itself) or start roost serve again"
	case errors.As(err, &running):
		return "stop it first, or use it: every roost command on this home talks to it"
	case errors.As(err, &signIn):
		return "run roost integrations authorize " + signIn.Integration + " again"
	case errors.As(err, &devRunning):
		return "stop the other roost dev first"
	case errors.As(err, &configErr):
		var secret, plain []string
		for _, p := range configErr.Problems {
			switch {
			case strings.HasPrefix(p.Problem, "is secret"):
				secret = append(secret, p.Field)
			case strings.HasPrefix(p.Problem, "is not secret"):
				plain = append(plain, p.Field)
			}
		}
		var hints []string
		if len(secret) > 0 {
			hints = append(hints, "give secrets with --secret "+strings.Join(secret, " --secret "))
		}
		if len(plain) > 0 {
			hints = append(hints, "set plain values with --set "+strings.Join(plain, "=… --set ")+"=…")
		}
		return strings.Join(hints, "; ")
	case errors.As(err, &call):
		if call.Code == "unauthenticated" && strings.Contains(call.Message, "not signed in") {
			return "run: roost integrations authorize " + call.Connector
		}
	}
	return ""
}

// exitCode is the process's exit code for err.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var (
		ce      *host.CallError
		invalid *host.InvalidInputError
		inUse   *host.HomeInUseError
		gone    *host.ServiceGoneError
		running *host.ServiceRunningError
	)
	switch {
	case errors.As(err, &ce):
		return exitConnector
	case errors.As(err, &invalid):
		return exitUsage
	case errors.As(err, &inUse), errors.As(err, &gone), errors.As(err, &running):
		return exitBusy
	}
	if usageText(err.Error()) {
		return exitUsage
	}
	return exitFailure
}

// errorJSONDoc is an error under --json.
type errorJSONDoc struct {
	Error struct {
		Code     string          `json:"code"`
		Message  string          `json:"message"`
		Hint     string          `json:"hint,omitempty"`
		Details  json.RawMessage `json:"details,omitempty"`
		ExitCode int             `json:"exit_code"`
	} `json:"error"`
}

func errorDocument(err error, code int) errorJSONDoc {
	var d errorJSONDoc
	d.Error.Code = host.ErrorCode(err)
	if code == exitUsage && d.Error.Code == "error" {
		d.Error.Code = "usage"
	}
	d.Error.Message = err.Error()
	d.Error.Hint = hint(err)
	d.Error.Details = host.ErrorDetails(err)
	d.Error.ExitCode = code
	return d
}

// jsonRequested says whether the command line asks for --json.
func jsonRequested(args []string) bool {
	return slices.Contains(args, "--json") || slices.Contains(args, "--json=true")
}
