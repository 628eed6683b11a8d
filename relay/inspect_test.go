package relay

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// addAt appends the event id at entry id entry, as ingest stores it.
func (f *fixture) addAt(t *testing.T, entry, id string) string {
	t.Helper()
	values, _ := appendFields(nil, stored(id))
	got, err := f.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: f.keys.Stream(), ID: entry, Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readAs reads n new entries of the stream as consumer c of group.
func (f *fixture) readAs(t *testing.T, group, c string, n int64) []redis.XMessage {
	t.Helper()
	res, err := f.rdb.XReadGroup(context.Background(), &redis.XReadGroupArgs{
		Group: group, Consumer: c, Streams: []string{f.keys.Stream(), ">"}, Count: n, Block: -1,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return res[0].Messages
}

func TestReadStatsCountsWhatTheRelayHasLeft(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 6 {
		f.add(t, stored("evt_"+string(rune('a'+i))))
	}
	if err := f.rdb.XGroupCreate(ctx, f.keys.Stream(), "wp", "0").Err(); err != nil {
		t.Fatal(err)
	}
	read := f.readAs(t, "wp", "proc-1", 2) // pending: 2, unread: 4
	m := newMoves(f.rdb, f.keys, "wp", "proc-1")
	j := &job{stream: f.keys.Stream(), id: read[0].ID, values: read[0].Values}
	if err := m.schedule(ctx, j, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	values, _ := appendFields(nil, stored("evt_replayed"))
	f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Replay("wp"), Values: values})
	f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Dead("wp"), Values: values})

	st, err := ReadStats(ctx, f.rdb, f.keys, "wp")
	if err != nil {
		t.Fatal(err)
	}
	if st.Stream != "events" || st.Length != 6 || st.Lag != 4+2+1 || st.Pending != 2 || st.Scheduled != 1 || st.Dead != 1 {
		t.Fatalf("stats %+v, want length 6, lag 7 (4 unread, 2 pending, 1 replayed), pending 2, scheduled 1, dead 1", st)
	}
	if len(st.Consumers) != 1 || st.Consumers[0].Name != "proc-1" || st.Consumers[0].Pending != 2 {
		t.Fatalf("consumers %+v", st.Consumers)
	}

	// A deleted unread entry leaves Redis unable to tell the lag: counted.
	f.rdb.XDel(ctx, f.keys.Stream(), f.rdb.XRevRangeN(ctx, f.keys.Stream(), "+", "-", 1).Val()[0].ID)
	if st, err := ReadStats(ctx, f.rdb, f.keys, "wp"); err != nil || st.Lag != 3+2+1 {
		t.Fatalf("after a deletion: lag %d, %v; want 6", st.Lag, err)
	}

	if st, err := ReadStats(ctx, f.rdb, f.keys, "new"); err != nil || st.Length != 5 || st.Lag != 0 || st.Pending != 0 ||
		st.Dead != 0 || len(st.Consumers) != 0 {
		t.Fatalf("a relay whose group does not exist yet: %+v, %v", st, err)
	}
	if n, err := ReadStreamLength(ctx, f.rdb, f.keys); err != nil || n != 5 {
		t.Fatalf("stream length %d, %v", n, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ReadStats(done, f.rdb, f.keys, "wp"); err == nil {
		t.Fatal("stats read with an ended context")
	}
}

func TestBreakerStateReadsClosedOpenHalfOpen(t *testing.T) {
	c := &clock{t: time.Unix(1700000000, 0)}
	b := newBreaker(2, time.Minute, c.now)
	if s := b.state(); s != BreakerClosed {
		t.Fatalf("new breaker %s", s)
	}
	b.record(false, false)
	b.record(false, false)
	if s := b.state(); s != BreakerOpen {
		t.Fatalf("after the failures %s, want open", s)
	}
	c.advance(time.Minute)
	if s := b.state(); s != BreakerHalfOpen {
		t.Fatalf("after the cooldown %s, want half-open", s)
	}
	b.record(true, true)
	if s := b.state(); s != BreakerClosed {
		t.Fatalf("after a good probe %s, want closed", s)
	}
}
