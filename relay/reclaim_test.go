package relay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A consumer that died holding entries, behind a backlog of entries that
// only wait for a scheduled retry: the scan must reach the dead
// consumer's entries, and leave the scheduled ones where they are.
func TestReclaimReachesADeadConsumersEntriesBehindARetryBacklog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Timeout, cfg.ClaimAfter = 100*time.Millisecond, 300*time.Millisecond
	stream := f.keys.Stream()
	if err := f.rdb.XGroupCreateMkStream(ctx, stream, "wp", "0").Err(); err != nil {
		t.Fatal(err)
	}
	readAs := func(n int) {
		t.Helper()
		err := f.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "wp", Consumer: "dead", Streams: []string{stream, ">"}, Count: int64(n)}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	var backlog []string
	for i := range 40 {
		backlog = append(backlog, f.add(t, stored(fmt.Sprintf("evt_later_%02d", i))))
	}
	readAs(len(backlog))
	due := float64(time.Now().Add(time.Hour).UnixMilli())
	for _, id := range backlog {
		member := stream + "|" + id
		f.rdb.ZAdd(ctx, f.keys.Retry("wp"), redis.Z{Score: due, Member: member})
		f.rdb.HSet(ctx, f.keys.Attempts("wp"), member, "1|1700000000000|1700000000000|503|503 Service Unavailable")
	}
	var lost []string
	for i := range 5 {
		lost = append(lost, fmt.Sprintf("evt_lost_%d", i))
		f.add(t, stored(lost[i]))
	}
	readAs(len(lost))
	waitUntil(t, 5*time.Second, "the dead consumer's entries to idle past claim_after", func() bool {
		p, err := f.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "wp", Start: "-", End: "+", Count: 100, Idle: cfg.ClaimAfter}).Result()
		return err == nil && len(p) == len(backlog)+len(lost)
	})

	f.start(t, cfg, nil)
	waitUntil(t, 10*time.Second, "the dead consumer's entries delivered", func() bool {
		seen := map[string]bool{}
		for _, d := range tg.deliveries() {
			seen[envelopeOf(t, d).ID] = true
		}
		for _, id := range lost {
			if !seen[id] {
				return false
			}
		}
		return true
	})
	if n := len(tg.deliveries()); n != len(lost) {
		t.Errorf("%d deliveries, want %d: a scheduled retry was sent before it was due", n, len(lost))
	}
	// Acks are batched: the delivered entries are finished a moment later.
	var p []redis.XPendingExt
	waitUntil(t, 5*time.Second, "the delivered entries acked", func() bool {
		var err error
		p, err = f.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "wp", Start: "-", End: "+", Count: 100}).Result()
		return err == nil && len(p) <= len(backlog)
	})
	for _, e := range p {
		if e.Consumer != "dead" || e.RetryCount != 1 {
			t.Fatalf("scheduled entry %s was claimed (consumer %s, %d deliveries); it should wait for its retry untouched", e.ID, e.Consumer, e.RetryCount)
		}
	}
	if len(p) != len(backlog) {
		t.Fatalf("%d entries pending, want the %d scheduled", len(p), len(backlog))
	}
}
