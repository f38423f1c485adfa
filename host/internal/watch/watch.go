// Package watch turns file-system events into quiet batches: it watches
// directories (editors and `go build` replace files, so watching a file
// loses it at the first save), keeps the paths a filter accepts, and emits
// them once no event has come for a quiet period. One goroutine owns all
// of the watcher's state.
package watch

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultQuiet is how long a batch waits for more events.
const DefaultQuiet = 100 * time.Millisecond

// Batch is the paths that changed during one burst of events.
type Batch struct {
	Paths []string
	// First is when the burst's first event arrived, so a caller can tell
	// the debounce delay apart from its own work.
	First time.Time
}

// Debounce reads paths from in and sends a Batch on out once quiet has
// passed with no new path. It returns when in is closed (after sending
// what it holds) or done is closed.
func Debounce(in <-chan string, out chan<- Batch, quiet time.Duration, done <-chan struct{}) {
	var (
		pending = map[string]bool{}
		first   time.Time
		timer   *time.Timer
		fire    <-chan time.Time
	)
	flush := func() bool {
		if len(pending) == 0 {
			return true
		}
		b := Batch{First: first}
		for p := range pending {
			b.Paths = append(b.Paths, p)
		}
		sort.Strings(b.Paths)
		pending = map[string]bool{}
		select {
		case out <- b:
			return true
		case <-done:
			return false
		}
	}
	for {
		select {
		case p, ok := <-in:
			if !ok {
				flush()
				return
			}
			if len(pending) == 0 {
				first = time.Now()
			}
			pending[p] = true
			if timer == nil {
				timer = time.NewTimer(quiet)
			} else {
				timer.Reset(quiet)
			}
			fire = timer.C
		case <-fire:
			fire = nil
			if !flush() {
				return
			}
		case <-done:
			if timer != nil {
				timer.Stop()
			}
			return
		}
	}
}

// Watcher watches directories and sends batches of changed paths.
type Watcher struct {
	// Batches receives each quiet burst of changes.
	Batches <-chan Batch
	// Errors receives watcher errors (a full event queue, a directory that
	// cannot be watched); watching goes on.
	Errors <-chan error

	fsw  *fsnotify.Watcher
	done chan struct{}
	exit chan struct{}
}

// Options configure a Watcher.
type Options struct {
	// Dirs are watched; with Recursive, with their subdirectories (and
	// those created later), skipping hidden ones and testdata.
	Dirs      []string
	Recursive bool
	// Match keeps the paths that matter; nil keeps every path.
	Match func(path string) bool
	// Quiet is the debounce period; 0 means DefaultQuiet.
	Quiet time.Duration
}

// New starts watching.
func New(o Options) (*Watcher, error) {
	if o.Quiet <= 0 {
		o.Quiet = DefaultQuiet
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &Watcher{fsw: fsw, done: make(chan struct{}), exit: make(chan struct{})}
	for _, d := range o.Dirs {
		if err := w.add(d, o.Recursive); err != nil {
			fsw.Close()
			return nil, err
		}
	}
	paths := make(chan string)
	batches := make(chan Batch)
	errs := make(chan error, 8)
	w.Batches, w.Errors = batches, errs
	go func() {
		Debounce(paths, batches, o.Quiet, w.done)
	}()
	go func() {
		defer close(w.exit)
		defer close(paths)
		for {
			select {
			case ev, ok := <-fsw.Events:
				if !ok {
					return
				}
				if o.Recursive && ev.Has(fsnotify.Create) {
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() && !skipDir(ev.Name) {
						if err := w.add(ev.Name, true); err != nil {
							sendErr(errs, err)
						}
					}
				}
				if ev.Op == fsnotify.Chmod {
					continue // attribute changes are not edits
				}
				if o.Match != nil && !o.Match(ev.Name) {
					continue
				}
				select {
				case paths <- ev.Name:
				case <-w.done:
					return
				}
			case err, ok := <-fsw.Errors:
				if !ok {
					return
				}
				sendErr(errs, err)
			case <-w.done:
				return
			}
		}
	}()
	return w, nil
}

func sendErr(errs chan error, err error) {
	select {
	case errs <- err:
	default: // nobody is reading; drop rather than block the watcher
	}
}

func skipDir(path string) bool {
	base := filepath.Base(path)
	return base != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules")
}

func (w *Watcher) add(dir string, recursive bool) error {
	if !recursive {
		return w.fsw.Add(dir)
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && skipDir(p) {
			return filepath.SkipDir
		}
		return w.fsw.Add(p)
	})
}

// Close stops watching.
func (w *Watcher) Close() error {
	select {
	case <-w.done:
		return nil
	default:
	}
	close(w.done)
	err := w.fsw.Close()
	<-w.exit
	return err
}
