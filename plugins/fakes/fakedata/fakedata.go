// Package fakedata makes deterministic, realistic customer lists for the
// fake tools: company names as an MSP's PSA holds them (with legal forms,
// "&", site suffixes) and their web domains.
package fakedata

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Company is one customer as a tool knows it.
type Company struct {
	Name   string
	Domain string
}

var (
	surnames = []string{"Abbott", "Barnes", "Carver", "Dalton", "Ellison", "Fairbanks", "Garrison", "Holloway",
		"Ingram", "Jennings", "Kessler", "Lindqvist", "Mercer", "Norwood", "Okafor", "Prescott", "Quinlan",
		"Redfield", "Sterling", "Thornton", "Underwood", "Vasquez", "Whitaker", "Yamada", "Zeller", "Müller",
		"Østergaard", "Brennan", "Castellano", "Dubois", "Eriksen", "Fitzgerald", "Gallagher", "Hartmann",
		"Iverson", "Jablonski", "Kowalski", "Lambert", "Moreau", "Nakamura", "O'Brien", "Petrov", "Rossi",
		"Schneider", "Takahashi", "Valdez", "Weber", "Novak", "Horvat", "Silva"}
	words = []string{"Acme", "Apex", "Beacon", "Blue Ridge", "Cedar", "Summit", "Harbor", "Granite", "Pioneer",
		"Evergreen", "Northwind", "Riverside", "Lakeside", "Meridian", "Keystone", "Liberty", "Orchard",
		"Silverline", "Redwood", "Horizon", "Ironwood", "Maple", "Crescent", "Falcon", "Frontier", "Golden Gate",
		"Highland", "Juniper", "Lighthouse", "Magnolia", "Oakridge", "Prairie", "Quarry", "Sandstone", "Tidewater",
		"Vista", "Willow", "Bright", "Clearwater", "Copper", "Stonebridge", "Westfield", "Ashford", "Brookside"}
	trades = []string{"Dental", "Law", "Logistics", "Manufacturing", "Accounting", "Engineering", "Construction",
		"Veterinary", "Medical", "Realty", "Insurance", "Architects", "Consulting", "Plumbing", "Electric",
		"Foods", "Brewing", "Pharmacy", "Clinic", "Motors", "Marine", "Textiles", "Printing", "Analytics"}
	kinds = []string{"Group", "Partners", "Associates", "Services", "Solutions", "Holdings", "Systems", "Works", "Labs", "Studio"}
	forms = []string{"Inc.", "LLC", "Ltd", "GmbH", "Pty Ltd", "Corp.", "LLP", "S.A.", "B.V.", "PLC", "", "", "", ""}
)

// Companies returns n distinct companies, the same for the same seed.
func Companies(n int, seed uint64) []Company {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := make(map[string]bool, n)
	out := make([]Company, 0, n)
	for attempt := 0; len(out) < n; attempt++ {
		var base string
		switch r.IntN(4) {
		case 0:
			base = pick(r, surnames) + " " + pick(r, trades)
		case 1:
			base = pick(r, surnames) + " & " + pick(r, surnames)
		case 2:
			base = pick(r, words) + " " + pick(r, trades) + " " + pick(r, kinds)
		default:
			base = pick(r, words) + " " + pick(r, kinds)
		}
		if attempt > 4*n || seen[strings.ToLower(base)] {
			base = fmt.Sprintf("%s %d", base, len(out)+1)
		}
		if seen[strings.ToLower(base)] {
			continue
		}
		seen[strings.ToLower(base)] = true
		name := base
		if f := pick(r, forms); f != "" {
			name += " " + f
		}
		out = append(out, Company{Name: name, Domain: domainOf(base)})
	}
	return out
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

// domainOf makes a web domain from a company's base name.
func domainOf(base string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(base) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == 'ü':
			b.WriteString("ue")
		case c == 'ø':
			b.WriteString("oe")
		case c == ' ':
			b.WriteByte('-')
		}
	}
	d := strings.Trim(strings.ReplaceAll(b.String(), "--", "-"), "-")
	return d + ".example"
}
