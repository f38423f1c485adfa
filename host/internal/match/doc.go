// Package match suggests which account in an integrated tool belongs to
// which of the user's organizations.
//
// It has four parts:
//
//   - Normalize turns a company name into the forms matching needs: case,
//     accents, punctuation and "&"/"and" folded; a leading "The", legal
//     forms (Inc, LLC, Ltd, GmbH, Pty Ltd, S.A., …) and site suffixes
//     ("- Main Office", "(HQ)") removed; tokens and a compact form for
//     comparing names that differ only in spacing.
//   - The aligner (analyze.go, align.go, words.go) reads a name as words —
//     account codes dropped, annotations and qualifiers soft, dba names in
//     their parts, numbers as digits, abbreviations and synonyms from a word
//     table (Words) — and aligns two names word by word, weighting words by
//     their rarity among the accounts: name_score and name_conflict in rules.
//   - An Index over the accounts proposes candidates for an organization
//     without looking at every account: accounts sharing a domain, an
//     identifier or attribute value, a rare word, an acronym, or enough
//     character trigrams of the name.
//   - Rules, written in expr and compiled once, score each (organization,
//     candidate) pair; Suggest picks at most one account per organization
//     and never the same account for two, gives each suggestion its margin
//     over the runner-up and a Confidence, explains it on request, and
//     reports the rest as ambiguous or unmatched.
//
// Use:
//
//	orgs := []*match.Party{match.NewParty("acme", "Acme Corp", nil, nil, nil)}
//	accts := []*match.Party{match.NewParty("1042", "ACME Corporation - Main Office", nil, nil, nil)}
//	res, err := match.Suggest(ctx, match.Input{Orgs: orgs, Accounts: accts, Explain: true})
//	// res.Suggestions[0]: Account "1042", Confidence "high", Explanation of the words matched
package match
