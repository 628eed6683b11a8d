package relay

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Retention trims by age, but an entry some group has not finished (one
// pending in another relay's group, one waiting for a scheduled retry in
// this one) stays, however old.
func TestRetentionNeverTrimsWhatAGroupHasNotFinished(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stream := f.keys.Stream()
	var ids []string
	for i := range 400 {
		ids = append(ids, f.add(t, stored(fmt.Sprintf("evt_%03d", i))))
	}
	pendingElsewhere, scheduledHere := ids[250], ids[260]
	if err := f.rdb.XGroupCreate(ctx, stream, "other", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "other", Consumer: "ghost", Streams: []string{stream, ">"}, Count: 400}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id != pendingElsewhere {
			f.rdb.XAck(ctx, stream, "other", id)
		}
	}
	tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
		if envelopeOf(t, d).ID == "evt_260" {
			return 503, http.Header{"Retry-After": {"3600"}}, ""
		}
		return 200, nil, ""
	})
	cfg := f.config("wp", tg.URL)
	cfg.Retention = 5 * time.Second // trimmed every second
	f.start(t, cfg, func(r *Relay) {
		// Every entry is far older than retention.
		r.now = func() time.Time { return time.Now().Add(time.Hour) }
	})
	waitUntil(t, 20*time.Second, "the stream trimmed", func() bool {
		return f.rdb.XLen(ctx, stream).Val() < int64(len(ids)) && f.rdb.ZCard(ctx, f.keys.Retry("wp")).Val() == 1
	})
	for what, id := range map[string]string{"pending in another group": pendingElsewhere, "scheduled for a retry": scheduledHere} {
		if got, err := f.rdb.XRange(ctx, stream, id, id).Result(); err != nil || len(got) != 1 {
			t.Errorf("the entry %s was trimmed (%v)", what, err)
		}
	}
}
