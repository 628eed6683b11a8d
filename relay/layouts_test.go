package relay

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestADeadHeadWhoseLetterRetentionTrimsReleasesItsKey(t *testing.T) {
	f := newFixture(t)
	tg, delivered := poisonedTarget(t, "evt_a1")
	cfg := f.config("wp", tg.URL)
	cfg.OrderBy, cfg.OnDead = byCustomer, DeadBlocks
	cfg.Retention, cfg.StreamRetention = time.Second, time.Hour
	cfg.Timeout, cfg.ClaimAfter = 500*time.Millisecond, time.Second
	f.start(t, cfg, nil)
	f.ingestOrdered(t, "wp", orderedEvent("evt_a1", "cus_a"), orderedEvent("evt_a2", "cus_a"))
	waitUntil(t, 10*time.Second, "the dead letter", func() bool { return len(f.deadLetters(t, "wp")) == 1 })
	// Once retention trims the letter nothing could replay or purge it:
	// the key goes on.
	waitUntil(t, 20*time.Second, "the next event of the key delivered", func() bool {
		got := delivered()
		return len(got) == 1 && got[0] == "evt_a2"
	})
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
}

func TestTheEventsOfANewLayoutsPartitionsAreDeliveredFromTheirStart(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Start = StartNew // the default: a new relay sees only what comes after it
	r := f.start(t, cfg, nil)
	waitUntil(t, 10*time.Second, "the relay's group", func() bool {
		ok, err := r.groupExists(context.Background(), f.keys.Stream())
		return err == nil && ok
	})
	// Another process ingests with 4 partitions: the running relay, which
	// knew one, finds the others and reads them from their beginning.
	four := NewPlacement(f.keys, 4, OrderBy{}, time.Hour)
	const n = 20
	for i := range n {
		st := stored(fmt.Sprintf("evt_%02d", i))
		d := Dedupe{Scopes: DefaultScopes, ID: st.ID}
		keys, err := four.Place(context.Background(), f.rdb, st, "", &d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.app.AppendAs(context.Background(), keys, time.Hour, st, d); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 20*time.Second, "every event delivered", func() bool { return len(tg.deliveries()) == n })
	// A relay started afterwards with 4 joins the group and delivers
	// nothing twice; one started anew on the stream begins at its start.
	cfg4 := f.config("wp", tg.URL)
	cfg4.Start, cfg4.Partitions, cfg4.Consumer = StartNew, 4, "test-wp-4"
	f.start(t, cfg4, nil)
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool {
		for p := range 4 {
			pe, err := f.rdb.XPending(context.Background(), f.keys.Partition(p).Stream(), "wp").Result()
			if err != nil || pe.Count > 0 {
				return false
			}
		}
		return true
	})
	if got := len(tg.deliveries()); got != n {
		t.Fatalf("%d deliveries of %d events", got, n)
	}
}
