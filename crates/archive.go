package crates

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
)

// Limits bound what an archive may unpack to.
type Limits struct {
	MaxFiles    int   // default 1,000
	MaxFileSize int64 // default 4 MiB
	MaxTotal    int64 // default 16 MiB
	MaxRatio    int64 // uncompressed/compressed, default 100
}

func (l Limits) withDefaults() Limits {
	if l.MaxFiles <= 0 {
		l.MaxFiles = 1000
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = 4 << 20
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = 16 << 20
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 100
	}
	return l
}

// UnsafeError is an archive entry refused for safety.
type UnsafeError struct{ Archive, Entry, Why string }

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s: refused %q: %s; the crate was not unpacked", e.Archive, e.Entry, e.Why)
}

// Open reads a crate from a directory, a .tar.gz/.tgz or a .zip archive,
// into memory, and parses its crate.yaml.
func Open(p string, limits Limits) (*Crate, fs.FS, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	var files fs.FS
	switch {
	case fi.IsDir():
		files = os.DirFS(p)
	case strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz"):
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		if files, err = untar(filepath.Base(p), data, limits.withDefaults()); err != nil {
			return nil, nil, err
		}
	case strings.HasSuffix(p, ".zip"):
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		if files, err = unzip(filepath.Base(p), data, limits.withDefaults()); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("%s: a crate is a directory, a .tar.gz or a .zip", p)
	}
	c, err := Load(files, p)
	return c, files, err
}

// Load parses crate.yaml at the root of files (or in its only directory).
func Load(files fs.FS, where string) (*Crate, error) {
	name := "crate.yaml"
	data, err := fs.ReadFile(files, name)
	if errors.Is(err, fs.ErrNotExist) {
		entries, _ := fs.ReadDir(files, ".")
		if len(entries) == 1 && entries[0].IsDir() {
			name = entries[0].Name() + "/crate.yaml"
			data, err = fs.ReadFile(files, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: no crate.yaml: %w", where, err)
	}
	return Parse(path.Join(filepath.Base(where), name), data)
}

// safeName checks an archive entry's name.
func safeName(archive, name string) (string, error) {
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || filepath.VolumeName(name) != "" || strings.Contains(name, ":") {
		return "", &UnsafeError{archive, name, "an absolute path"}
	}
	clean := path.Clean(strings.ReplaceAll(name, `\`, "/"))
	if clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(clean, "/../") {
		return "", &UnsafeError{archive, name, "a path leaving the crate (..)"}
	}
	return clean, nil
}

func untar(archive string, data []byte, l Limits) (fs.FS, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip archive: %w", archive, err)
	}
	tr := tar.NewReader(zr)
	out := fstest.MapFS{}
	var total int64
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", archive, err)
		}
		if n >= l.MaxFiles {
			return nil, &UnsafeError{archive, h.Name, fmt.Sprintf("more than %d entries", l.MaxFiles)}
		}
		name, err := safeName(archive, h.Name)
		if err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, &UnsafeError{archive, h.Name, "a link (crates hold plain files only)"}
		default:
			return nil, &UnsafeError{archive, h.Name, "a device, pipe or other special file"}
		}
		b, err := readCapped(archive, h.Name, tr, l, &total, int64(len(data)))
		if err != nil {
			return nil, err
		}
		out[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return out, nil
}

func unzip(archive string, data []byte, l Limits) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a zip archive: %w", archive, err)
	}
	if len(zr.File) > l.MaxFiles {
		return nil, &UnsafeError{archive, zr.File[l.MaxFiles].Name, fmt.Sprintf("more than %d entries", l.MaxFiles)}
	}
	out := fstest.MapFS{}
	var total int64
	for _, f := range zr.File {
		name, err := safeName(archive, f.Name)
		if err != nil {
			return nil, err
		}
		mode := f.Mode()
		if mode.IsDir() {
			continue
		}
		if mode&fs.ModeSymlink != 0 {
			return nil, &UnsafeError{archive, f.Name, "a link (crates hold plain files only)"}
		}
		if !mode.IsRegular() {
			return nil, &UnsafeError{archive, f.Name, "a device, pipe or other special file"}
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", archive, f.Name, err)
		}
		b, err := readCapped(archive, f.Name, rc, l, &total, int64(len(data)))
		rc.Close()
		if err != nil {
			return nil, err
		}
		out[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return out, nil
}

// readCapped reads one entry, refusing it past the size and ratio limits.
func readCapped(archive, name string, r io.Reader, l Limits, total *int64, compressed int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, l.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", archive, name, err)
	}
	if int64(len(b)) > l.MaxFileSize {
		return nil, &UnsafeError{archive, name, fmt.Sprintf("larger than %d bytes", l.MaxFileSize)}
	}
	*total += int64(len(b))
	if *total > l.MaxTotal {
		return nil, &UnsafeError{archive, name, fmt.Sprintf("the crate unpacks to more than %d bytes", l.MaxTotal)}
	}
	if compressed > 0 && *total > 1<<20 && *total/compressed > l.MaxRatio {
		return nil, &UnsafeError{archive, name, fmt.Sprintf("it expands more than %d times (a compression bomb)", l.MaxRatio)}
	}
	return b, nil
}

//go:embed bundled
var bundled embed.FS

// Bundled returns the crates that ship with Roost, by name.
func Bundled() (map[string]*Crate, error) {
	entries, err := fs.ReadDir(bundled, "bundled")
	if err != nil {
		return nil, err
	}
	out := map[string]*Crate{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub, _ := fs.Sub(bundled, "bundled/"+e.Name())
		c, err := Load(sub, "crates/bundled/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[c.Name] = c
	}
	return out, nil
}
