package registry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSingleFlight: many callers of one key share one load; a slow load
// of one key does not hold up another key.
func TestSingleFlight(t *testing.T) {
	var r Registry[int]
	var loads atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Get(context.Background(), "slow", func() (int, error) {
				loads.Add(1)
				<-release
				return 42, nil
			})
			if err != nil || v != 42 {
				t.Errorf("got %d, %v", v, err)
			}
		}()
	}
	// Another key loads while "slow" is still loading.
	done := make(chan struct{})
	go func() {
		if v, _ := r.Get(context.Background(), "fast", func() (int, error) { return 7, nil }); v != 7 {
			t.Errorf("fast: %d", v)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a load of another key waited for the slow one")
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads of one key, want 1", n)
	}
}

func TestFailedLoadIsRetriedAndWaitersCanLeave(t *testing.T) {
	var r Registry[int]
	if _, err := r.Get(context.Background(), "k", func() (int, error) { return 0, errors.New("broken build") }); err == nil {
		t.Fatal("want the load's error")
	}
	if v, err := r.Get(context.Background(), "k", func() (int, error) { return 2, nil }); err != nil || v != 2 {
		t.Fatalf("retry: %d %v", v, err)
	}
	block := make(chan struct{})
	go r.Get(context.Background(), "blocked", func() (int, error) { <-block; return 1, nil })
	for r.Len() < 2 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Get(ctx, "blocked", func() (int, error) { return 0, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiter whose context ended: %v", err)
	}
	close(block)
	if got := r.Drop(func(k string) bool { return k == "blocked" }); len(got) != 1 || got[0] != 1 {
		t.Errorf("drop: %v", got)
	}
	if r.Len() != 1 {
		t.Errorf("len after drop: %d", r.Len())
	}
}
