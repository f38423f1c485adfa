package host

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roosthq/roost/sdk/abi"
)

// ErrClosed is returned by a Host after Close.
var ErrClosed = errors.New("host is closed")

// InvalidInputError says one input to a service is wrong.
type InvalidInputError struct {
	Field   string `json:"field"`
	Value   string `json:"value,omitempty"`
	Problem string `json:"problem"`
}

func (e *InvalidInputError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Problem)
	}
	return e.Field + ": " + e.Problem
}

// ConfigError lists every problem with a configuration, each naming its
// field.
type ConfigError struct {
	Connector string         `json:"connector"`
	Problems  []FieldProblem `json:"problems"`
}

// FieldProblem is one bad configuration field.
type FieldProblem = abi.ConfigProblem

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = fmt.Sprintf("%s: %s", p.Field, p.Problem)
	}
	return fmt.Sprintf("configuration of %s: %s", e.Connector, strings.Join(parts, "; "))
}

// NoConfigurationError says an integration lacks the configuration a call
// needs: none at all, the named one (Config), or fields in it (Missing).
type NoConfigurationError struct {
	Integration string   `json:"integration"`
	Config      string   `json:"config,omitempty"`
	Missing     []string `json:"missing,omitempty"`
}

func (e *NoConfigurationError) Error() string {
	switch {
	case len(e.Missing) > 0:
		return fmt.Sprintf("integration %s: %s is not set", e.Integration, strings.Join(e.Missing, ", "))
	case e.Config != "":
		return fmt.Sprintf("integration %s has no configuration %q", e.Integration, e.Config)
	}
	return fmt.Sprintf("integration %s has no configuration yet", e.Integration)
}

// SignInTimeoutError says nobody completed a sign-in in time.
type SignInTimeoutError struct {
	Integration string        `json:"integration"`
	Waited      time.Duration `json:"waited_ns"`
}

func (e *SignInTimeoutError) Error() string {
	return fmt.Sprintf("no sign-in to %s within %v", e.Integration, e.Waited)
}

// NoCrateError says no crate (or, with Workflow, no workflow of an
// unpacked crate) has the name; Unpacked says only unpacked ones were
// searched.
type NoCrateError struct {
	Name     string `json:"name,omitempty"`
	Workflow string `json:"workflow,omitempty"`
	Unpacked bool   `json:"unpacked,omitempty"`
}

func (e *NoCrateError) Error() string {
	switch {
	case e.Workflow != "":
		return fmt.Sprintf("no workflow %q among unpacked crates", e.Workflow)
	case e.Unpacked:
		return fmt.Sprintf("crate %s is not unpacked", e.Name)
	}
	return fmt.Sprintf("no crate %q", e.Name)
}

// NoRunError says no run has the ID.
type NoRunError struct {
	ID int `json:"id"`
}

func (e *NoRunError) Error() string { return fmt.Sprintf("no run %d", e.ID) }

// NoOrganizationsCapabilityError says a connector cannot list its tool's
// accounts, so its mapping is set by hand.
type NoOrganizationsCapabilityError struct {
	Integration string `json:"integration"`
}

func (e *NoOrganizationsCapabilityError) Error() string {
	return fmt.Sprintf("the %s connector cannot list its accounts (it has no organizations capability), so its mapping is set by hand", e.Integration)
}

// NoDraftError says a mapping has no draft to save.
type NoDraftError struct {
	Integration string `json:"integration"`
}

func (e *NoDraftError) Error() string { return fmt.Sprintf("%s has no draft to save", e.Integration) }

// NoAccountError says no pulled account matches what was named.
type NoAccountError struct {
	Integration string    `json:"integration"`
	Account     string    `json:"account"`
	Accounts    int       `json:"accounts"`
	RefreshedAt time.Time `json:"refreshed_at"`
}

func (e *NoAccountError) Error() string {
	return fmt.Sprintf("no account %q among the %d accounts of %s pulled on %s", e.Account, e.Accounts, e.Integration, e.RefreshedAt.Local().Format("2006-01-02 15:04"))
}
