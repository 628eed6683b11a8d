package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// A replay value (a JWT's jti) names one event: that event again is a
// duplicate, another event under it is refused and stores nothing.
func TestAReplayValueNamesOneEvent(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	under := func(id, replay string) Dedupe {
		return Dedupe{Scopes: []string{"s-a", "s-b"}, ID: id, Replay: replay, ReplayTTL: time.Hour}
	}
	single := func(id, replay string) Dedupe {
		return Dedupe{Scopes: DefaultScopes, ID: id, Replay: replay, ReplayTTL: 90 * time.Second}
	}
	cases := []struct {
		name string
		id   string
		d    Dedupe
		want Outcome
		xlen int64
	}{
		{"the first event under a value is stored", "e1", under("e1", "jti-1"), Accepted, 1},
		{"the same event under it again is a duplicate", "e1", under("e1", "jti-1"), Duplicate, 1},
		{"another event under it is a replay", "e2", under("e2", "jti-1"), Replayed, 1},
		{"that event under a value of its own is stored", "e2", under("e2", "jti-2"), Accepted, 2},
		{"one dedupe scope works the same", "e3", single("e3", "jti-3"), Accepted, 3},
		{"and refuses another event the same", "e4", single("e4", "jti-3"), Replayed, 3},
		{"an event without a value is untouched", "e5", Dedupe{Scopes: DefaultScopes, ID: "e5"}, Accepted, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.AppendAs(ctx, keys, time.Hour, stored(tc.id), tc.d)
			if err != nil || got != tc.want {
				t.Fatalf("AppendAs(%s, %s) = %v, %v; want %v", tc.id, tc.d.Replay, got, err, tc.want)
			}
			if n, _ := rdb.XLen(ctx, keys.Stream()).Result(); n != tc.xlen {
				t.Fatalf("stream holds %d entries, want %d", n, tc.xlen)
			}
		})
	}
	// A replay left no dedupe key behind: e4 is still new.
	if got, _ := a.AppendAs(ctx, keys, time.Hour, stored("e4"), single("e4", "jti-4")); got != Accepted {
		t.Errorf("e4 after its replay was refused: %v", got)
	}
	replayKeys, _ := rdb.Keys(ctx, "*:replay:*").Result()
	if len(replayKeys) != 4 {
		t.Fatalf("replay keys %v, want one per value", replayKeys)
	}
	for _, k := range replayKeys {
		if strings.Contains(k, "jti") {
			t.Errorf("replay key %q holds the value itself, not its hash", k)
		}
		ttl, _ := rdb.TTL(ctx, k).Result()
		if ttl <= 0 || ttl > time.Hour {
			t.Errorf("replay key %s has TTL %v", k, ttl)
		}
	}
}

func TestABatchHonoursReplayValues(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	events, d := batchOf("b1", "b2")
	d[0].Replay, d[0].ReplayTTL = "tok", time.Minute
	if got, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err != nil || got[0] != Accepted || got[1] != Accepted {
		t.Fatalf("first batch: %v %v", got, err)
	}
	events, d = batchOf("b3", "b4")
	d[0].Replay, d[0].ReplayTTL = "tok", time.Minute
	if got, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err != nil || got[0] != Replayed || got[1] != Replayed {
		t.Fatalf("a batch reusing the value: %v %v, want it refused whole", got, err)
	}
	if n, _ := rdb.XLen(ctx, keys.Stream()).Result(); n != 2 {
		t.Fatalf("stream holds %d entries after a replayed batch, want 2", n)
	}
	// Without a replay value, batches are unchanged: b3 and b4 are new.
	events, d = batchOf("b3", "b4")
	if got, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err != nil || got[0] != Accepted || got[1] != Accepted {
		t.Fatalf("the batch without a value: %v %v", got, err)
	}
}
