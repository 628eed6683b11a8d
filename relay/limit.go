package relay

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter spaces attempts across a relay's workers, for targets that
// cannot take a burst (a small WordPress host). It reads the relay's clock,
// and a wait given up (at Stop) hands its turn back.
type limiter struct {
	lim *rate.Limiter
	now func() time.Time
	// mu orders reading the clock with reserving: a reservation at a time
	// earlier than the last one moves the limiter's clock back, and the
	// next one is credited the difference, a burst past the rate.
	mu sync.Mutex
}

// newLimiter returns nil for no limit.
func newLimiter(perSecond float64, now func() time.Time) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{lim: rate.NewLimiter(rate.Limit(perSecond), 1), now: now}
}

// wait blocks until the caller's turn or until ctx ends; a nil limiter
// only checks ctx.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.now()
	turn := l.lim.ReserveN(now, 1)
	l.mu.Unlock()
	d := turn.DelayFrom(now)
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		turn.CancelAt(l.now())
		return ctx.Err()
	}
}
