package host_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestPublicAPIMentionsNoInternalPackage keeps host's surface its own: no
// store record, matcher, runtime or other internal type crosses out, not
// even as an alias, in any exported name go doc shows.
func TestPublicAPIMentionsNoInternalPackage(t *testing.T) {
	entries, err := os.ReadDir("internal")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, regexp.QuoteMeta(e.Name()))
		}
	}
	out, err := exec.Command("go", "doc", "-all", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go doc unavailable: %v: %s", err, out)
	}
	qualified := regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\.[A-Z]\w*`)
	for i, line := range strings.Split(string(out), "\n") {
		if m := qualified.FindString(line); m != "" {
			t.Errorf("go doc line %d mentions %s: %s", i+1, m, strings.TrimSpace(line))
		}
	}
	if regexp.MustCompile(`(?m)^\s+Sealed\b`).Match(out) {
		t.Errorf("go doc shows a Sealed field: sealed secrets never leave the host")
	}
	if strings.Contains(string(out), "host/internal/") {
		t.Errorf("go doc mentions an internal package path")
	}
}
