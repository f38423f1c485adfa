package match

import "strings"

// legalFormList holds legal forms as Normalize spells them (lower case,
// dots and apostrophes dropped, other punctuation a space). It covers the
// forms customers of English-, German-, French-, Spanish-, Italian-,
// Dutch-, Nordic-, Polish-, Czech-, Russian- and Asian-Pacific-speaking
// markets most often carry; ISO 20275 (GLEIF's ELF list) is the full
// reference.
const legalFormList = `
inc incorporated corp corporation co company llc lc ltd limited plc llp lp lllp pllc pc
pty pvt pte bhd
gmbh mbh ag kg kgaa ohg gbr ug eg ev se
sa sas sasu sarl eurl sca snc scs
sl slu srl srls spa sapa
bv nv vof bvba sprl scrl
ab oy oyj asa aps ans hf ehf
sro vos doo ooo oao zao pao ao pjsc ojsc cjsc jsc tov
kk yk gk ltda eireli lda ulc
`

// legalPrefixes are forms written before the name ("AB Volvo").
var legalPrefixes = map[string]bool{"ab": true, "oy": true, "oyj": true, "pt": true, "ooo": true, "oao": true,
	"zao": true, "pao": true, "ao": true, "tov": true, "cv": true, "sc": true, "ud": true}

var legalForms, maxLegalWords = func() (map[string]bool, int) {
	m := map[string]bool{}
	longest := 0
	for _, w := range strings.Fields(legalFormList) {
		m[w] = true
	}
	// Multi-word forms, spelled out.
	for _, f := range []string{"l l c", "co ltd", "co inc", "co llc", "and co", "and company", "and co ltd",
		"and co inc", "and co kg", "pty ltd", "proprietary limited", "pvt ltd", "private limited", "pte ltd",
		"sdn bhd", "gmbh and co kg", "gmbh co kg", "ag and co kg", "s a", "s a s", "s a r l", "sa de cv",
		"s a de c v", "sab de cv", "s r l", "s p a", "s l", "ab publ", "a s", "sp z oo", "spolka z oo", "sp k",
		"sp j", "sp zoo", "s r o", "spol s r o", "d o o", "d d", "kabushiki kaisha", "co kg", "limited company",
		"public limited company", "limited liability company", "limited partnership", "llc co"} {
		m[f] = true
		longest = max(longest, len(strings.Fields(f)))
	}
	return m, longest
}()
