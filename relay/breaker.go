package relay

import (
	"context"
	"sync"
	"time"
)

// breaker stops a relay from hammering a target that is down: after
// `failures` consecutive retryable failures it opens, nothing is attempted
// (entries wait in Redis, their attempts untouched) until `cooldown` has
// passed, then one probe decides whether it closes or opens again.
type breaker struct {
	failures int
	cooldown time.Duration
	now      func() time.Time

	mu       sync.Mutex
	run      int // consecutive retryable failures
	open     bool
	openedAt time.Time
	probing  bool
	changed  chan struct{} // closed at every state change, for waiters
}

func newBreaker(failures int, cooldown time.Duration, now func() time.Time) *breaker {
	return &breaker{failures: failures, cooldown: cooldown, now: now, changed: make(chan struct{})}
}

// acquire waits until an attempt may be made, or ctx ends. It returns
// whether this attempt is the probe of a half-open breaker.
func (b *breaker) acquire(ctx context.Context) (probe bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		b.mu.Lock()
		if !b.open {
			b.mu.Unlock()
			return false, nil
		}
		wait := b.cooldown - b.now().Sub(b.openedAt)
		if wait <= 0 && !b.probing {
			b.probing = true
			b.mu.Unlock()
			return true, nil
		}
		changed := b.changed
		b.mu.Unlock()
		if wait <= 0 {
			wait = b.cooldown // a probe is out: its result wakes us
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// record reports an attempt's result: ok for a delivery or a permanent
// answer (the target is up), not ok for a retryable failure.
func (b *breaker) record(probe, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.open
	switch {
	case ok:
		b.run, b.open = 0, false
	case probe || !b.open:
		b.run++
		if probe || b.run >= b.failures {
			b.open, b.openedAt = true, b.now()
		}
	}
	if probe {
		b.probing = false
	}
	if was != b.open || probe {
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// cooling waits while the breaker is open and its cooldown runs, so that
// readers take no new work the workers could not attempt.
func (b *breaker) cooling(ctx context.Context) error {
	for {
		b.mu.Lock()
		wait := time.Duration(0)
		if b.open {
			wait = b.cooldown - b.now().Sub(b.openedAt)
		}
		changed := b.changed
		b.mu.Unlock()
		if wait <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// release gives back a probe that made no attempt.
func (b *breaker) release(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	close(b.changed)
	b.changed = make(chan struct{})
}

// Breaker states, as BreakerState reports them.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half-open"
)

// state is the breaker's state now: half-open once the cooldown has passed,
// whether or not the probe has started yet, since the next attempt is it.
func (b *breaker) state() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.open:
		return BreakerClosed
	case b.probing || b.now().Sub(b.openedAt) >= b.cooldown:
		return BreakerHalfOpen
	}
	return BreakerOpen
}
