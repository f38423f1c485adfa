package host

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/store"
	"github.com/roosthq/roost/sdk/abi"
)

// BundleIndex is the index.json at the root of Config.Bundled. It carries
// each bundled module's digest and manifest, so that listing the
// catalogue reads no module.
type BundleIndex struct {
	Connectors []BundleEntry `json:"connectors"`
}

// BundleEntry is one bundled connector.
type BundleEntry struct {
	// File is the module's path in the bundle, NAME.wasm or NAME.wasm.gz.
	File string `json:"file"`
	// SHA256 and Size are of the uncompressed module.
	SHA256   string          `json:"sha256"`
	Size     int64           `json:"size"`
	Manifest json.RawMessage `json:"manifest"`
	// Sources is a digest of the sources the module was built from, so a
	// test can tell when the bundle is stale. The host does not use it.
	Sources string `json:"sources,omitempty"`
}

// SourceBundled is the Source of a connector that ships with Roost.
const SourceBundled = "bundled"

// Available is a connector in the catalogue: bundled with Roost or found
// in a catalogue directory.
type Available struct {
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Category     string   `json:"category"`
	Description  string   `json:"description"`
	Tags         []string `json:"tags,omitempty"`
	Actions      []string `json:"actions"`
	Capabilities []string `json:"capabilities,omitempty"`
	// Source is "bundled" or the module's path.
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`

	bundleFile string
}

// CatalogProblem is a catalogue file that is not a usable connector.
type CatalogProblem struct {
	Path    string `json:"path"`
	Problem string `json:"problem"`
}

func newAvailable(m *abi.Manifest, source, sha string, size int64) Available {
	a := Available{Name: m.Name, Version: m.Version, Category: string(m.Category), Description: m.Description,
		Tags: m.Tags, Source: source, SHA256: sha, Size: size, Actions: []string{}}
	for _, act := range m.Actions {
		a.Actions = append(a.Actions, act.Name)
	}
	for _, c := range m.Capabilities {
		a.Capabilities = append(a.Capabilities, string(c))
	}
	return a
}

// catalogue lists every available connector: the bundled ones, then each
// catalogue directory's .wasm files in name order. A module is described
// (run) only the first time its bytes are seen; after that its manifest
// comes from the store.
func (h *Host) catalogue(ctx context.Context, st *store.Store) ([]Available, []CatalogProblem, error) {
	var out []Available
	var problems []CatalogProblem
	if h.cfg.Bundled != nil {
		bundled, err := h.bundled()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, bundled...)
	}
	for _, dir := range catalogsOf(ctx, h.cfg.Catalogs) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			problems = append(problems, CatalogProblem{Path: dir, Problem: "cannot read catalogue directory: " + errText(err)})
			continue
		}
		for _, de := range entries {
			if de.IsDir() || !strings.HasSuffix(de.Name(), ".wasm") {
				continue
			}
			path, _ := filepath.Abs(filepath.Join(dir, de.Name()))
			a, problem, err := h.catalogueFile(ctx, st, path)
			if err != nil {
				return nil, nil, err
			}
			if problem != "" {
				problems = append(problems, CatalogProblem{Path: path, Problem: problem})
				continue
			}
			out = append(out, a)
		}
	}
	return out, problems, nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// catalogueFile returns the catalogue entry of one file, hashing it only
// when its size or time changed and describing it only when its digest is
// new.
func (h *Host) catalogueFile(ctx context.Context, st *store.Store, path string) (Available, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Available{}, errText(err), nil
	}
	stamp, err := st.FileStamp(path)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Available{}, "", err
	}
	var wasm []byte
	if err != nil || stamp.Size != info.Size() || !stamp.ModTime.Equal(info.ModTime()) {
		if wasm, err = os.ReadFile(path); err != nil {
			return Available{}, errText(err), nil
		}
		stamp = store.FileStamp{Size: info.Size(), ModTime: info.ModTime(), SHA256: digest(wasm)}
		if err := st.PutFileStamp(path, stamp); err != nil {
			return Available{}, "", err
		}
	}
	entry, err := st.CatalogEntry(stamp.SHA256)
	if errors.Is(err, store.ErrNotFound) {
		if wasm == nil {
			if wasm, err = os.ReadFile(path); err != nil {
				return Available{}, errText(err), nil
			}
		}
		entry, err = h.describeModule(ctx, st, path, wasm)
	}
	if err != nil {
		return Available{}, "", err
	}
	if entry.Problem != "" {
		return Available{}, entry.Problem, nil
	}
	var m abi.Manifest
	if err := json.Unmarshal(entry.Manifest, &m); err != nil {
		return Available{}, "cached manifest is damaged: " + err.Error(), nil
	}
	return newAvailable(&m, path, entry.SHA256, entry.Size), "", nil
}

// describeModule loads a module once to read its manifest and caches the
// result (or why it is not a connector) by digest.
func (h *Host) describeModule(ctx context.Context, st *store.Store, source string, wasm []byte) (store.CatalogEntry, error) {
	entry := store.CatalogEntry{SHA256: digest(wasm), Size: int64(len(wasm)), SeenAt: time.Now().UTC()}
	mod, err := h.engine.Load(ctx, source, wasm)
	if err != nil {
		if ctx.Err() != nil {
			return entry, ctx.Err()
		}
		// The cause only: the same bytes may sit at other paths.
		var le *LoadError
		if errors.As(err, &le) {
			err = le.Err
		}
		entry.Problem = err.Error()
	} else {
		entry.Manifest = mod.ManifestJSON()
		mod.Close(ctx)
	}
	return entry, st.PutCatalogEntry(entry)
}

func readBundleIndex(fsys fs.FS) (*BundleIndex, error) {
	raw, err := fs.ReadFile(fsys, "index.json")
	if errors.Is(err, fs.ErrNotExist) {
		return &BundleIndex{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bundled connectors: %w", err)
	}
	var idx BundleIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("bundled connectors: index.json: %w", err)
	}
	return &idx, nil
}

// readAvailable returns the module bytes of a catalogue entry, checking
// they are still the bytes the catalogue described.
func (h *Host) readAvailable(a Available) ([]byte, error) {
	var wasm []byte
	var err error
	if a.Source == SourceBundled {
		wasm, err = fs.ReadFile(h.cfg.Bundled, a.bundleFile)
		if err == nil && strings.HasSuffix(a.bundleFile, ".gz") {
			wasm, err = gunzip(wasm)
		}
	} else {
		wasm, err = os.ReadFile(a.Source)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", a.Source, err)
	}
	if got := digest(wasm); got != a.SHA256 {
		return nil, fmt.Errorf("%s changed while installing (sha256 %s, catalogue said %s); try again", a.Source, got[:12], a.SHA256[:12])
	}
	return wasm, nil
}

// readFileSHA reads a module file and checks its digest.
func readFileSHA(path, sha string) ([]byte, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	if got := digest(wasm); got != sha {
		return nil, fmt.Errorf("module %s is damaged (sha256 %s)", path, got[:12])
	}
	return wasm, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newest picks, for each name, the highest version in the catalogue
// (bundled first on a tie).
func newest(all []Available) map[string]Available {
	out := map[string]Available{}
	for _, a := range all {
		if old, ok := out[a.Name]; !ok || compareVersions(a.Version, old.Version) > 0 {
			out[a.Name] = a
		}
	}
	return out
}

// compareVersions orders semantic versions MAJOR.MINOR.PATCH[-pre]; a
// pre-release sorts before its release.
func compareVersions(a, b string) int {
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	as, bs := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			fmt.Sscan(as[i], &x)
		}
		if i < len(bs) {
			fmt.Sscan(bs[i], &y)
		}
		if x != y {
			return x - y
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return strings.Compare(apre, bpre)
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// catalogsKey carries a caller's own catalogue directories (the CLI's
// --catalog and ROOST_CATALOG) in a request's context.
type catalogsKey struct{}

// catalogsOf is the host's catalogue directories and the caller's.
func catalogsOf(ctx context.Context, own []string) []string {
	extra, _ := ctx.Value(catalogsKey{}).([]string)
	out := slices.Clone(own)
	for _, d := range extra {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// bundled lists the bundled connectors, read once: Config.Bundled does not
// change while the host runs, and a service lists them on every page.
func (h *Host) bundled() ([]Available, error) {
	h.bundledOnce.Do(func() {
		idx, err := readBundleIndex(h.cfg.Bundled)
		if err != nil {
			h.bundledErr = err
			return
		}
		for _, e := range idx.Connectors {
			var m abi.Manifest
			if err := json.Unmarshal(e.Manifest, &m); err != nil {
				h.bundledErr = fmt.Errorf("bundled connector %s: manifest: %w", e.File, err)
				return
			}
			a := newAvailable(&m, SourceBundled, e.SHA256, e.Size)
			a.bundleFile = e.File
			h.bundledList = append(h.bundledList, a)
		}
	})
	return slices.Clone(h.bundledList), h.bundledErr
}
