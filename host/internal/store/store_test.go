package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("ROOST_STORE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := open(t, dir)
	s.update(func(tx *badger.Txn) error { return tx.Set(keySchema, []byte("7")) })
	s.Close()
	_, err := Open(dir, Options{})
	var ne *NewerSchemaError
	if !errors.As(err, &ne) || ne.Have != 7 || !strings.Contains(err.Error(), "upgrade roost") {
		t.Fatalf("open of a newer store: %v", err)
	}
	// The refused open left the store as it was.
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithReadOnly(false))
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *badger.Txn) error {
		item, err := tx.Get(keySchema)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := item.ValueCopy(nil)
		if string(v) != "7" {
			t.Errorf("schema became %q", v)
		}
		return nil
	})
	db.Close()
}

func TestSecondOpenIsRefusedAndTheLockDiesWithTheHolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := open(t, dir)
	_, err := Open(dir, Options{})
	var iu *InUseError
	if !errors.As(err, &iu) || !strings.Contains(iu.Holder, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second open: %v", err)
	}
	s.Close()
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestUninstallKeepsMappingUnlessPurged(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "store"))
	for _, name := range []string{"a", "ab"} { // "ab" shares a's prefix
		s.PutIntegration(Integration{Name: name, SHA256: "x"})
		s.SaveConfiguration(Configuration{Integration: name, Name: "default"}, false)
		s.KV(name).Set(t.Context(), "k", []byte("v"))
		s.PutMapping(Mapping{Integration: name, OrgID: "o1", AccountID: "1"})
	}
	_, r, err := s.Uninstall("a", false)
	if err != nil || r.Configurations != 1 || r.KVKeys != 1 || r.Mappings != 0 {
		t.Fatalf("uninstall: %+v, %v", r, err)
	}
	if m, _ := s.Mappings("a"); len(m) != 1 {
		t.Errorf("mapping of a: %v", m)
	}
	if c, _ := s.Configurations("ab"); len(c) != 1 {
		t.Errorf("uninstalling a touched ab: %v", c)
	}
	if _, _, ok := mustGet(s.KV("ab").Get(t.Context(), "k")); !ok {
		t.Error("uninstalling a deleted ab's KV")
	}
	s.PutIntegration(Integration{Name: "a", SHA256: "x"})
	if _, r, _ := s.Uninstall("a", true); r.Mappings != 1 {
		t.Errorf("purge removed %d mappings", r.Mappings)
	}
	if _, _, err := s.Uninstall("a", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("uninstall of a missing integration: %v", err)
	}
}

func mustGet(v []byte, ok bool, err error) ([]byte, error, bool) { return v, err, ok }

// crashChild installs, configures and uninstalls an integration in a loop,
// printing each finished step, until it is killed.
func crashChild(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		s.PutIntegration(Integration{Name: "acme", SHA256: strconv.Itoa(i)})
		for c := range 3 {
			cfg := Configuration{Integration: "acme", Name: fmt.Sprintf("c%d", c), Values: map[string]any{"gen": i}}
			if err := s.SaveConfiguration(cfg, true); err != nil {
				fmt.Println("save:", err)
				os.Exit(1)
			}
		}
		if _, _, err := s.Uninstall("acme", false); err != nil {
			fmt.Println("uninstall:", err)
			os.Exit(1)
		}
		fmt.Fprintln(out, i)
		out.Flush()
	}
}

// TestKilledMidWriteLeavesTheStoreConsistent kills a process that is
// writing multi-key changes, at a random moment, again and again; each
// time the store must open and hold either all of a change or none of it.
func TestKilledMidWriteLeavesTheStoreConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; slow")
	}
	dir := filepath.Join(t.TempDir(), "store")
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ROOST_STORE_CRASH_CHILD="+dir)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: the child wrote nothing", round)
		}
		if _, err := strconv.Atoi(sc.Text()); err != nil {
			t.Fatalf("round %d: child: %s", round, sc.Text())
		}
		time.Sleep(time.Duration(round*7) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		in, ierr := s.Integration("acme")
		cfgs, err := s.Configurations("acme")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case errors.Is(ierr, ErrNotFound):
			// Uninstall is one transaction: no configuration outlives it.
			if len(cfgs) != 0 {
				t.Fatalf("round %d: configurations %v without their integration", round, cfgs)
			}
		case ierr != nil:
			t.Fatal(ierr)
		default:
			// Each save wrote the configuration and the default together.
			if len(cfgs) > 0 && in.DefaultConfig != cfgs[len(cfgs)-1].Name {
				t.Fatalf("round %d: default is %q but the last saved configuration is %q", round, in.DefaultConfig, cfgs[len(cfgs)-1].Name)
			}
			if len(cfgs) == 0 && in.DefaultConfig != "" {
				t.Fatalf("round %d: default %q names no configuration", round, in.DefaultConfig)
			}
		}
		s.Close()
	}
}
