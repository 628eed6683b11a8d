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
	replayKeys, _ := rdb.Keys(ctx, "*:once:*").Result()
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

// What an attacker who captured a sender's traffic could do with a value
// the script let pass unspent, or scoped too narrowly.
func TestAReplayValueIsSpentWhateverTheOutcome(t *testing.T) {
	srv := redistest.Start(t)
	a, _ := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	d := func(id, replay string, scopes ...string) Dedupe {
		return Dedupe{Scopes: scopes, ID: id, Replay: replay, ReplayTTL: time.Minute}
	}
	steps := []struct {
		name string
		id   string
		d    Dedupe
		want Outcome
	}{
		{"an event is stored under its value", "e1", d("e1", "jti-a", "s-new"), Accepted},
		{"the sender's retry under a fresh value is a duplicate", "e1", d("e1", "jti-b", "s-new"), Duplicate},
		{"and spends that value: another event under it is a replay", "e2", d("e2", "jti-b", "s-new"), Replayed},
		{"a value spent on one signer's scope is spent on a rotation route's too", "e3", d("e3", "jti-a", "s-old", "s-new"), Replayed},
		{"and on a route of other secrets trusting the same issuer", "e4", d("e4", "jti-a", "s-other"), Replayed},
		{"no replay value: ReplayTTL 0 takes the dedupe TTL, not 1s", "e5", Dedupe{Scopes: []string{"s-new"}, ID: "e5", Replay: "jti-c"}, Accepted},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if got, err := a.AppendAs(ctx, keys, time.Hour, stored(st.id), st.d); err != nil || got != st.want {
				t.Fatalf("%v, %v; want %v", got, err, st.want)
			}
		})
	}
}

func TestABatchValueNamesTheWholeBatch(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	withValue := func(owner string, ids ...string) ([]Outcome, error) {
		events, d := batchOf(ids...)
		d[0].Replay, d[0].ReplayTTL, d[0].ReplayOwner = "tok", time.Minute, owner
		return a.AppendBatch(ctx, keys, time.Hour, events, d)
	}
	if got, err := withValue("batch:1", "b1", "b2"); err != nil || got[0] != Accepted || got[1] != Accepted {
		t.Fatalf("the batch: %v %v", got, err)
	}
	if got, err := withValue("batch:1", "b1", "b2"); err != nil || got[0] != Duplicate || got[1] != Duplicate {
		t.Fatalf("the same batch again: %v %v, want duplicates", got, err)
	}
	if got, err := withValue("batch:2", "b1", "b3"); err != nil || got[0] != Replayed || got[1] != Replayed {
		t.Fatalf("its first element with a new one under the value: %v %v, want a replay", got, err)
	}
	if n, _ := rdb.XLen(ctx, keys.Stream()).Result(); n != 2 {
		t.Fatalf("stream holds %d entries, want 2", n)
	}
}
