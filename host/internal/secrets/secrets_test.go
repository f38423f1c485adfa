package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	k1, err := LoadOrCreate(path, "")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	k2, err := LoadOrCreate(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Error("second load gave another key")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreate(path, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file: got %v, want a refusal saying chmod 600", err)
	}
}

func TestEnvironmentKeyWins(t *testing.T) {
	hexKey := strings.Repeat("ab", KeySize)
	k, err := LoadOrCreate(filepath.Join(t.TempDir(), "none"), hexKey)
	if err != nil || len(k) != KeySize || k[0] != 0xab {
		t.Fatalf("got %x, %v", k, err)
	}
	if _, err := LoadOrCreate("", "short"); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Errorf("bad env key: %v", err)
	}
}

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	b, _ := New(key)
	sealed := b.Seal([]byte(`{"token":"hunter2"}`), "hello/default")
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("plaintext visible in sealed bytes")
	}
	if bytes.Equal(sealed, b.Seal([]byte(`{"token":"hunter2"}`), "hello/default")) {
		t.Error("two seals of one plaintext are equal: nonce reused")
	}
	got, err := b.Open(sealed, "hello/default")
	if err != nil || string(got) != `{"token":"hunter2"}` {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "hello/other"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("open under another context: %v, want ErrWrongKey", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed, "hello/default"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("open with another key: %v, want ErrWrongKey", err)
	}
	if _, err := b.Open([]byte("x"), "hello/default"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("open of garbage: %v", err)
	}
}
