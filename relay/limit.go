package relay

import (
	"context"
	"sync"
	"time"
)

// limiter spaces attempts to at most one per interval across a relay's
// workers, for targets that cannot take a burst (a small WordPress host).
type limiter struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
}

func newLimiter(perSecond float64) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the caller's turn; a nil limiter never waits.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	turn := l.next
	l.next = l.next.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(turn)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
