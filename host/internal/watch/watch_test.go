package watch

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

// TestDebounceWaitsForQuiet runs in a synctest bubble: the clock only
// moves when every goroutine is blocked, so the timings are exact.
func TestDebounceWaitsForQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in, out, done := make(chan string), make(chan Batch, 4), make(chan struct{})
		go Debounce(in, out, 100*time.Millisecond, done)
		start := time.Now()
		// A burst: events 30 ms apart keep postponing the batch.
		for _, p := range []string{"a", "b", "a", "c"} {
			in <- p
			time.Sleep(30 * time.Millisecond)
		}
		synctest.Wait()
		if len(out) != 0 {
			t.Fatal("a batch left during the burst")
		}
		b := <-out
		if got := time.Since(start); got != 90*time.Millisecond+100*time.Millisecond {
			t.Errorf("batch after %v, want 190ms (last event at 90ms + 100ms quiet)", got)
		}
		if len(b.Paths) != 3 || b.Paths[0] != "a" || b.Paths[2] != "c" || !b.First.Equal(start) {
			t.Errorf("batch %+v", b)
		}
		// Quiet, then one more event: a second batch of one.
		time.Sleep(time.Second)
		in <- "d"
		b = <-out
		if len(b.Paths) != 1 || b.Paths[0] != "d" {
			t.Errorf("second batch %+v", b)
		}
		close(done)
	})
}

func TestDebounceFlushesOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in, out, done := make(chan string), make(chan Batch, 1), make(chan struct{})
		go Debounce(in, out, time.Hour, done)
		in <- "x"
		close(in)
		if b := <-out; len(b.Paths) != 1 {
			t.Errorf("batch %+v", b)
		}
	})
}

// TestEverySaveStyleIsOneBatch writes a file the three ways editors and
// build tools do; each is one batch.
func TestEverySaveStyleIsOneBatch(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "c.wasm")
	os.WriteFile(target, []byte("v0"), 0o644)
	w, err := New(Options{Dirs: []string{dir}, Match: func(p string) bool { return p == target }, Quiet: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	saves := map[string]func(){
		"atomic rename": func() {
			os.WriteFile(target+".tmp", []byte("v1"), 0o644)
			os.Rename(target+".tmp", target)
		},
		"in-place write": func() {
			f, _ := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
			f.Write([]byte("v2"))
			f.Write([]byte("more"))
			f.Close()
		},
		"delete then create": func() {
			os.Remove(target)
			os.WriteFile(target, []byte("v3"), 0o644)
		},
	}
	for _, name := range []string{"atomic rename", "in-place write", "delete then create"} {
		saves[name]()
		select {
		case b := <-w.Batches:
			if len(b.Paths) != 1 || b.Paths[0] != target {
				t.Errorf("%s: batch %+v", name, b)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no batch", name)
		}
		select {
		case b := <-w.Batches:
			t.Errorf("%s: a second batch %+v", name, b)
		case <-time.After(300 * time.Millisecond):
		}
	}
	// Other files in the directory are ignored.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	select {
	case b := <-w.Batches:
		t.Errorf("unrelated file: %+v", b)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestRecursiveWatchSeesNewDirectories(t *testing.T) {
	dir := t.TempDir()
	w, err := New(Options{Dirs: []string{dir}, Recursive: true, Quiet: 50 * time.Millisecond,
		Match: func(p string) bool { return filepath.Ext(p) == ".go" }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sub := filepath.Join(dir, "internal", "api")
	os.MkdirAll(sub, 0o755)
	time.Sleep(200 * time.Millisecond) // let the watcher add the new directories
	os.WriteFile(filepath.Join(sub, "x.go"), []byte("package api"), 0o644)
	select {
	case b := <-w.Batches:
		if b.Paths[len(b.Paths)-1] != filepath.Join(sub, "x.go") {
			t.Errorf("batch %+v", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no batch for a file in a new subdirectory")
	}
}
