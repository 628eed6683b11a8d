package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/hookgate/caddy-hookgate/event"
)

// A normalizer's bug must not take Caddy down, nor come back forever.
func TestAPanicWhilePreparingIsDeadLetteredAndTheRelayGoesOn(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	f.start(t, f.config("wp", tg.URL), func(r *Relay) {
		r.normalize = func(st event.Stored) (event.Envelope, error) {
			if st.ID == "evt_boom" {
				panic("a normalizer bug")
			}
			return event.Normalize(st)
		}
	})
	f.ingest(t, "evt_before", "evt_boom", "evt_after")
	waitUntil(t, 10*time.Second, "the others delivered and the faulty one dead-lettered", func() bool {
		return len(tg.deliveries()) == 2 && len(f.deadLetters(t, "wp")) == 1 && f.settled(t, "wp")
	})
	if l := f.deadLetters(t, "wp")[0]; l.Event.ID != "evt_boom" || !strings.Contains(l.Error, "panic") || l.Attempts != 0 {
		t.Fatalf("dead letter %+v", l)
	}
}

// A bug in a background loop (read, schedule, reclaim, maintain) restarts
// that loop instead of ending the process or leaving the relay half alive.
func TestAPanickingLoopIsRestarted(t *testing.T) {
	r := &Relay{logger: zaptest.NewLogger(t)}
	r.ctx, r.stop = context.WithCancel(context.Background())
	defer r.stop()
	runs := 0
	r.guard("test", func() {
		runs++
		if runs == 1 {
			panic("a loop bug")
		}
	})
	if runs != 2 {
		t.Fatalf("the loop ran %d times, want once more after its panic", runs)
	}
}
