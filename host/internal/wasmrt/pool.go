package wasmrt

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// pool hands out instances, one call at a time each, at most size at once.
// Idle instances are reused last-in first-out so the warmest one serves.
type pool struct {
	size    int
	slots   chan struct{} // a token per instance in use or being made
	create  func(context.Context) (*instance, error)
	retired atomic.Int64

	mu     sync.Mutex
	idle   []*instance
	live   int
	closed bool
}

func newPool(size int, create func(context.Context) (*instance, error)) *pool {
	return &pool{size: size, slots: make(chan struct{}, size), create: create}
}

// get returns an instance, making one if none is idle, or waits for one
// until ctx is done.
func (p *pool) get(ctx context.Context, deadline time.Time) (*instance, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, errClosed()
	}
	select {
	case p.slots <- struct{}{}:
	default:
		// Full: wait, but no longer than the call may last.
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, &CallError{Code: "pool_unavailable", Fault: FaultPoolUnavailable, Retryable: true,
				Message: fmt.Sprintf("all %d instances stayed busy until the deadline (%v)", p.size, context.Cause(ctx))}
		}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errClosed()
	}
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.live++
	p.mu.Unlock()
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	inst, err := p.create(ctx)
	if err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		<-p.slots
		return nil, err
	}
	return inst, nil
}

// put returns an instance after a call; keep false discards it.
func (p *pool) put(inst *instance, keep bool) {
	p.mu.Lock()
	if keep && !p.closed {
		p.idle = append(p.idle, inst)
		p.mu.Unlock()
	} else {
		p.live--
		p.mu.Unlock()
		p.retired.Add(1)
		inst.close(context.Background())
	}
	<-p.slots
}

func (p *pool) stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{Instances: p.live, Idle: len(p.idle), Retired: p.retired.Load()}
	for _, inst := range p.idle {
		st.IdleMemoryBytes += uint64(inst.mem.Size())
	}
	return st
}

// close refuses new calls, waits for calls in flight to return their
// instances (until ctx is done), and closes the idle ones.
func (p *pool) close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	var err error
	for i := 0; i < p.size; i++ {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			err = fmt.Errorf("close connector: %d calls still in flight: %w", p.size-i, ctx.Err())
			i = p.size
		}
	}
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.live -= len(idle)
	p.mu.Unlock()
	for _, inst := range idle {
		inst.close(context.Background())
	}
	return err
}

func errClosed() *CallError {
	return &CallError{Code: "closed", Fault: FaultClosed, Message: "the connector was closed"}
}
