// Package match suggests which account in an integrated tool belongs to
// which of the user's organizations.
//
// It has three parts:
//
//   - Normalize turns a company name into the forms matching needs: case,
//     accents, punctuation and "&"/"and" folded; a leading "The", legal
//     forms (Inc, LLC, Ltd, GmbH, Pty Ltd, S.A., …) and site suffixes
//     ("- Main Office", "(HQ)") removed; tokens and a compact form for
//     comparing names that differ only in spacing.
//   - An Index over the accounts proposes candidates for an organization
//     without looking at every account: accounts sharing a domain, an
//     identifier or attribute value, a rare word, or enough character
//     trigrams of the name.
//   - Rules, written in expr and compiled once, score each (organization,
//     candidate) pair; Suggest picks at most one account per organization
//     and never the same account for two, and reports the rest as
//     ambiguous or unmatched.
package match
