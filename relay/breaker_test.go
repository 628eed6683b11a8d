package relay

import (
	"context"
	"errors"
	"testing"
	"time"
)

// clock is a test's hand-moved time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// cancelled is a context that is already done: an acquire that would
// wait returns at once with its error instead.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestBreaker(t *testing.T) {
	const cooldown = 30 * time.Second
	open := func(c *clock) *breaker {
		b := newBreaker(3, cooldown, c.now)
		for range 3 {
			b.record(false, false)
		}
		return b
	}
	mayAttempt := func(t *testing.T, b *breaker) (probe bool) {
		t.Helper()
		probe, err := b.acquire(context.Background())
		if err != nil {
			t.Fatalf("acquire: %v, want an attempt allowed", err)
		}
		return probe
	}
	mustWait := func(t *testing.T, b *breaker) {
		t.Helper()
		if _, err := b.acquire(cancelled()); !errors.Is(err, context.Canceled) {
			t.Fatalf("acquire: %v, want it to wait", err)
		}
	}
	for _, c := range []struct {
		name string
		run  func(t *testing.T, c *clock)
	}{
		{"a closed breaker lets attempts through, not probes", func(t *testing.T, c *clock) {
			b := newBreaker(3, cooldown, c.now)
			b.record(false, false)
			b.record(false, false)
			if mayAttempt(t, b) {
				t.Fatal("an attempt of a closed breaker is a probe")
			}
		}},
		{"a stopping relay gets no attempt even from a closed breaker", func(t *testing.T, c *clock) {
			mustWait(t, newBreaker(3, cooldown, c.now))
		}},
		{"consecutive failures open it and it holds for the cooldown", func(t *testing.T, c *clock) {
			b := open(c)
			mustWait(t, b)
			c.advance(cooldown - time.Millisecond)
			mustWait(t, b)
		}},
		{"a success between failures resets the count", func(t *testing.T, c *clock) {
			b := newBreaker(3, cooldown, c.now)
			b.record(false, false)
			b.record(false, false)
			b.record(false, true)
			b.record(false, false)
			b.record(false, false)
			mayAttempt(t, b)
		}},
		{"after the cooldown one probe goes, the others wait for it", func(t *testing.T, c *clock) {
			b := open(c)
			c.advance(cooldown)
			if !mayAttempt(t, b) {
				t.Fatal("first attempt after the cooldown is not the probe")
			}
			mustWait(t, b)
		}},
		{"a probe that succeeds closes it", func(t *testing.T, c *clock) {
			b := open(c)
			c.advance(cooldown)
			b.record(mayAttempt(t, b), true)
			if mayAttempt(t, b) {
				t.Fatal("an attempt after recovery is a probe")
			}
		}},
		{"a probe that fails opens it for another full cooldown", func(t *testing.T, c *clock) {
			b := open(c)
			c.advance(cooldown)
			b.record(mayAttempt(t, b), false)
			c.advance(cooldown - time.Millisecond)
			mustWait(t, b)
			c.advance(time.Millisecond)
			if !mayAttempt(t, b) {
				t.Fatal("no probe after the second cooldown")
			}
		}},
		{"a failure of an attempt begun before it opened does not extend the cooldown", func(t *testing.T, c *clock) {
			b := open(c)
			c.advance(cooldown / 2)
			b.record(false, false)
			c.advance(cooldown / 2)
			if !mayAttempt(t, b) {
				t.Fatal("no probe after the cooldown")
			}
		}},
		{"a probe given back unused lets the next attempt probe", func(t *testing.T, c *clock) {
			b := open(c)
			c.advance(cooldown)
			b.release(mayAttempt(t, b))
			if !mayAttempt(t, b) {
				t.Fatal("the probe was not given back")
			}
		}},
		{"readers cool while it is open and read again after the cooldown", func(t *testing.T, c *clock) {
			b := open(c)
			if err := b.cooling(cancelled()); !errors.Is(err, context.Canceled) {
				t.Fatalf("cooling: %v, want it to wait", err)
			}
			c.advance(cooldown)
			if err := b.cooling(context.Background()); err != nil {
				t.Fatalf("cooling after the cooldown: %v", err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, &clock{t: time.Unix(1700000000, 0)}) })
	}
}

func TestLimiterSpacesTurnsOnTheRelaysClockAndGivesBackACancelledOne(t *testing.T) {
	c := &clock{t: time.Unix(1700000000, 0)}
	l := newLimiter(10, c.now) // one turn per 100 ms
	if err := l.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.wait(cancelled()); !errors.Is(err, context.Canceled) {
		t.Fatalf("second turn within 100 ms: %v, want a wait", err)
	}
	// The cancelled turn was given back: 100 ms on, the next is free at once,
	// where a kept one would push it 100 ms further.
	c.advance(100 * time.Millisecond)
	if err := l.wait(cancelled()); err != nil {
		t.Fatalf("turn after 100 ms: %v, want it at once", err)
	}
	var none *limiter
	if err := none.wait(cancelled()); !errors.Is(err, context.Canceled) {
		t.Fatalf("no limit while stopping: %v, want the context's error", err)
	}
}
