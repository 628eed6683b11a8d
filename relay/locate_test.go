package relay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestLocateFindsTheEntryWithinItsBound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pipe := f.rdb.Pipeline()
	for i := range 1200 { // more than two scan batches
		values, _ := appendFields(nil, stored(fmt.Sprintf("evt_%04d", i)))
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Stream(), Values: values})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.rdb.XRangeN(ctx, f.keys.Stream(), "-", "+", 1).Val()[0].ID
	for _, c := range []struct {
		name    string
		ref     EventRef
		limit   int
		found   bool
		scanned int
	}{
		{"the oldest entry is found past several batches", EventRef{"stripe", "default", "evt_0000"}, DefaultLocateLimit, true, 1200},
		{"a newer entry is found early", EventRef{"stripe", "default", "evt_1190"}, DefaultLocateLimit, true, 10},
		{"another tenant's event of that id is not it", EventRef{"stripe", "acme", "evt_0000"}, DefaultLocateLimit, false, 1200},
		{"an unknown id is looked for in the whole stream", EventRef{"stripe", "default", "evt_x"}, DefaultLocateLimit, false, 1200},
		{"the bound stops the scan", EventRef{"stripe", "default", "evt_0000"}, 700, false, 700},
	} {
		t.Run(c.name, func(t *testing.T) {
			at, found, scanned, err := Locate(ctx, f.rdb, f.keys, c.ref, c.limit)
			if err != nil || found != c.found || scanned != c.scanned {
				t.Fatalf("found %v after %d entries (%v), want %v after %d", found, scanned, err, c.found, c.scanned)
			}
			if c.name == "the oldest entry is found past several batches" &&
				(at.Entry != first || at.Stream != "events" || !at.ReceivedAt.Equal(stored("x").ReceivedAt)) {
				t.Fatalf("stored at %+v, want entry %s", at, first)
			}
		})
	}
}

func TestLocateInTellsEachState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := map[string]string{}
	for _, id := range []string{"evt_delivered", "evt_pending", "evt_scheduled", "evt_dead", "evt_unread"} {
		ids[id] = f.add(t, stored(id))
	}
	if err := f.rdb.XGroupCreate(ctx, f.keys.Stream(), "wp", "0").Err(); err != nil {
		t.Fatal(err)
	}
	m := newMoves(f.rdb, f.keys, "wp", "proc-1")
	jobs := map[string]*job{}
	for _, msg := range f.readAs(t, "wp", "proc-1", 4) {
		st, _ := Decode(msg.Values)
		jobs[st.ID] = &job{stream: f.keys.Stream(), id: msg.ID, values: msg.Values}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := m.ack(ctx, jobs["evt_delivered"]); err != nil {
		t.Fatal(err)
	}
	s := jobs["evt_scheduled"]
	s.record = attempts{count: 2, first: now, last: now, status: 503, err: "target answered 503"}
	if err := m.schedule(ctx, s, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d := jobs["evt_dead"]
	d.record = attempts{count: 1, first: now, last: now, status: 400, err: "target answered 400"}
	if err := m.deadLetter(ctx, d); err != nil {
		t.Fatal(err)
	}
	deadID := f.rdb.XRangeN(ctx, f.keys.Dead("wp"), "-", "+", 1).Val()[0].ID

	for _, c := range []struct {
		id   string
		want EventState
	}{
		{"evt_delivered", EventState{Relay: "wp", State: StateDelivered}},
		{"evt_pending", EventState{Relay: "wp", State: StatePending}},
		{"evt_unread", EventState{Relay: "wp", State: StatePending}},
		{"evt_scheduled", EventState{Relay: "wp", State: StateScheduled, NextAttempt: now.Add(time.Minute), Attempts: 2, Status: 503, Error: "target answered 503"}},
		{"evt_dead", EventState{Relay: "wp", State: StateDead, Attempts: 1, Status: 400, Error: "target answered 400", DeadID: deadID}},
	} {
		t.Run(c.id, func(t *testing.T) {
			st, found, err := LocateIn(ctx, f.rdb, f.keys, "wp", EventRef{"stripe", "default", c.id}, ids[c.id], 1000)
			if err != nil || !found || st != c.want {
				t.Fatalf("state %+v (found %v, %v), want %+v", st, found, err, c.want)
			}
		})
	}
	t.Run("a redelivered copy in the replay stream is pending", func(t *testing.T) {
		if n, err := RedeliverIDs(ctx, f.rdb, f.keys, "wp", []string{ids["evt_delivered"]}); err != nil || n != 1 {
			t.Fatalf("redeliver: %d, %v", n, err)
		}
		st, found, err := LocateIn(ctx, f.rdb, f.keys, "wp", EventRef{"stripe", "default", "evt_delivered"}, ids["evt_delivered"], 1000)
		if err != nil || !found || st.State != StatePending {
			t.Fatalf("state %+v (found %v, %v), want pending", st, found, err)
		}
	})
	t.Run("an event no longer stored is found as a dead letter, or not at all", func(t *testing.T) {
		st, found, err := LocateIn(ctx, f.rdb, f.keys, "wp", EventRef{"stripe", "default", "evt_dead"}, "", 1000)
		if err != nil || !found || st.State != StateDead {
			t.Fatalf("state %+v (found %v, %v), want dead", st, found, err)
		}
		if _, found, err := LocateIn(ctx, f.rdb, f.keys, "wp", EventRef{"stripe", "default", "evt_gone"}, "", 1000); err != nil || found {
			t.Fatalf("found %v, %v; want not found", found, err)
		}
	})
}
