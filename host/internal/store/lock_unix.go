//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// fileLock is an exclusive advisory lock on a file holding the owner's pid
// and program name. The kernel drops it when the process dies, so a crash
// never leaves a stale lock.
type fileLock struct{ f *os.File }

func acquireLock(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &InUseError{Dir: strings.TrimSuffix(path, ".lock"), Holder: strings.TrimSpace(string(holder))}
		}
		return nil, fmt.Errorf("lock store: %w", err)
	}
	f.Truncate(0)
	// Only the pid and program name: the command line may hold a secret.
	fmt.Fprintf(f, "pid %d, %s\n", os.Getpid(), filepath.Base(os.Args[0]))
	return &fileLock{f}, nil
}

func (l *fileLock) release() {
	l.f.Truncate(0)
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
