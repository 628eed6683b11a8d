package relay

import (
	"testing"
	"time"
)

// Through a long outage every attempt of an event can be a probe of the
// open breaker; spending attempts on them would dead-letter events that
// never had one fair try.
func TestBreakerProbesDoNotSpendAttempts(t *testing.T) {
	f := newFixture(t)
	tg, targetBack := newOutageTarget(t)
	cfg := f.config("wp", tg.URL)
	cfg.MaxAttempts = 2
	cfg.Failures, cfg.Cooldown = 1, 30*time.Millisecond
	cfg.BackoffBase, cfg.BackoffCap = 10*time.Millisecond, 20*time.Millisecond
	f.start(t, cfg, nil)
	f.ingest(t, "evt_outage")
	waitUntil(t, 10*time.Second, "probes well past max_attempts", func() bool { return len(tg.deliveries()) >= 3*cfg.MaxAttempts })
	if letters := f.deadLetters(t, "wp"); len(letters) != 0 {
		t.Fatalf("dead-lettered after %d attempts, every one after the first a probe: %+v", letters[0].Attempts, letters[0])
	}
	targetBack()
	waitUntil(t, 10*time.Second, "the event delivered once the target is back", func() bool { return f.settled(t, "wp") })
	if letters := f.deadLetters(t, "wp"); len(letters) != 0 {
		t.Fatalf("dead-lettered: %+v", letters[0])
	}
}
