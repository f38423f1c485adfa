// Package crates will hold the crate format — manifest types, parsing,
// validation and safe unpacking — and the bundled crates as data. It is
// empty until the crates issue; see ../shared/DESIGN.md for what it owns.
package crates
