// Package crates is the crate format: a crate is a package of prebuilt
// automations (workflows) that declares which integrations it needs. This
// package reads crate.yaml (Parse, reporting every problem with file, line
// and field), opens crates from directories and .tar.gz/.zip archives
// safely (Open refuses path traversal, absolute paths, links, devices and
// size or ratio bombs), and holds the bundled crates as data (Bundled).
//
// docs/crate-format.md describes the format; the host checks a crate's
// needs against installed integrations and mappings, and runs its
// workflows.
package crates
