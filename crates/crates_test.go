package crates

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBundledCratesParse(t *testing.T) {
	all, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if c := all["psa-ticket-for-orgs"]; c == nil || len(c.Workflows) != 1 || c.Needs[0].Name != "halopsa" {
		t.Fatalf("bundled: %+v", all)
	}
}

func TestParseReportsEveryProblemWithLineAndField(t *testing.T) {
	src := `name: Bad Name
version: one
description: ""
maturity: shiny
integrations:
  - name: halopsa
    version: "at least 1"
    actions: [create_ticket]
workflows:
  - name: w
    steps:
      - id: a
        action: halopsa.delete_everything
      - id: a
        action: nope
        on_error: explode
triggers:
  - workflow: missing
    cron: "every day"
colour: blue
`
	_, err := Parse("crate.yaml", []byte(src))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"crate.yaml:1: name", "crate.yaml:2: version", "crate.yaml:3: description", "crate.yaml:4: maturity",
		"crate.yaml:7: integrations[0].version", "crate.yaml:13: workflows[0].steps[0].action", "crate.yaml:14: workflows[0].steps[1].id",
		"crate.yaml:15: workflows[0].steps[1].action", "crate.yaml:16: workflows[0].steps[1].on_error", "crate.yaml:18: triggers[0].workflow",
		"crate.yaml:19: triggers[0].cron", "crate.yaml:20: colour"}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("no %q in:\n%v", w, err)
		}
	}
	if _, err := Parse("c.yaml", []byte("name: [unclosed")); err == nil || !strings.Contains(err.Error(), "c.yaml:1") {
		t.Errorf("bad yaml: %v", err)
	}
}

func TestSatisfies(t *testing.T) {
	for _, c := range []struct {
		v, r string
		ok   bool
	}{{"1.2.0", ">=1.0.0 <2.0.0", true}, {"2.0.0", ">=1.0.0 <2.0.0", false}, {"1.4.2", "^1.2", true}, {"2.0.0", "^1.2", false},
		{"1.2.9", "~1.2.0", true}, {"1.3.0", "~1.2.0", false}, {"3.1.0", "", true}, {"1.0.0", "1.0.0", true}} {
		if Satisfies(c.v, c.r) != c.ok {
			t.Errorf("Satisfies(%s, %q) != %v", c.v, c.r, c.ok)
		}
	}
}

const goodCrate = "name: tiny\nversion: 1.0.0\ndescription: d\nintegrations: [{name: x}]\nworkflows: [{name: w, steps: [{id: a, action: x.y}]}]\n"

func tgz(t *testing.T, entries ...*tar.Header) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		body := []byte(goodCrate)
		if h.Size == 0 && h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			if h.Size > int64(len(body)) {
				tw.Write(make([]byte, h.Size)) // zeros compress very well
			} else {
				tw.Write(body)
			}
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestArchivesAreOpenedSafely(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	ok := write("ok.tar.gz", tgz(t, &tar.Header{Name: "tiny/crate.yaml", Typeflag: tar.TypeReg, Mode: 0o644}))
	if c, _, err := Open(ok, Limits{}); err != nil || c.Name != "tiny" {
		t.Fatalf("good archive: %v", err)
	}
	for name, data := range map[string][]byte{
		"traversal.tar.gz": tgz(t, &tar.Header{Name: "../../etc/crate.yaml", Typeflag: tar.TypeReg, Mode: 0o644}),
		"absolute.tar.gz":  tgz(t, &tar.Header{Name: "/etc/crate.yaml", Typeflag: tar.TypeReg, Mode: 0o644}),
		"symlink.tar.gz":   tgz(t, &tar.Header{Name: "crate.yaml", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		"device.tar.gz":    tgz(t, &tar.Header{Name: "dev", Typeflag: tar.TypeChar, Mode: 0o644}),
		"bomb.tar.gz":      tgz(t, &tar.Header{Name: "big.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3 << 20}),
	} {
		_, _, err := Open(write(name, data), Limits{})
		var ue *UnsafeError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// zip: traversal and a link are refused too.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("../crate.yaml")
	w.Write([]byte(goodCrate))
	zw.Close()
	if _, _, err := Open(write("traversal.zip", buf.Bytes()), Limits{}); !errors.As(err, new(*UnsafeError)) {
		t.Errorf("zip traversal: %v", err)
	}
	buf.Reset()
	zw = zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "crate.yaml"}
	h.SetMode(os.ModeSymlink | 0o777)
	w, _ = zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()
	if _, _, err := Open(write("link.zip", buf.Bytes()), Limits{}); !errors.As(err, new(*UnsafeError)) {
		t.Errorf("zip link: %v", err)
	}
}
