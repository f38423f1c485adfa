// Package secrets seals configuration secrets with AES-256-GCM under a key
// kept outside the store: a 0600 key file in the Roost home, or the
// ROOST_SECRET_KEY environment variable. Plaintext never reaches the store.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeySize is the size of a key in bytes.
const KeySize = 32

// EnvKey is the environment variable that may hold the key, as 64 hex
// digits or base64 of 32 bytes.
const EnvKey = "ROOST_SECRET_KEY"

// Box seals and opens secrets.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes; want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a key written as 64 hex digits or as base64.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("a secret key must be %d bytes written as %d hex digits or base64", KeySize, 2*KeySize)
}

// LoadOrCreate returns the key from envValue when it is set, else from the
// file at path, creating the file (mode 0600, 64 hex digits) with a new
// random key when it does not exist. A key file readable by others is
// refused.
func LoadOrCreate(path, envValue string) ([]byte, error) {
	if envValue != "" {
		k, err := ParseKey(envValue)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return k, nil
	}
	info, err := os.Stat(path)
	switch {
	case err == nil:
		if info.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("secret key file %s is readable by other users (mode %v); run: chmod 600 %s", path, info.Mode().Perm(), path)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read secret key: %w", err)
		}
		k, err := ParseKey(string(raw))
		if err != nil {
			return nil, fmt.Errorf("secret key file %s: %w", path, err)
		}
		return k, nil
	case errors.Is(err, fs.ErrNotExist):
		k := make([]byte, KeySize)
		rand.Read(k)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first: use theirs.
			return LoadOrCreate(path, "")
		}
		if err != nil {
			return nil, fmt.Errorf("create secret key: %w", err)
		}
		_, err = f.WriteString(hex.EncodeToString(k) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("write secret key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("secret key: %w", err)
	}
}

// ErrWrongKey means sealed data does not open with this key: the key file
// was replaced or ROOST_SECRET_KEY differs from the key that sealed it.
var ErrWrongKey = errors.New("secrets do not open with this key (was the key file replaced, or is ROOST_SECRET_KEY different?); set the secrets again")

// Seal encrypts plaintext, binding it to context (such as
// "integration/config") so a sealed value cannot be moved to another
// record.
func (b *Box) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts what Seal returned for the same context.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrWrongKey
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrWrongKey
	}
	return out, nil
}
