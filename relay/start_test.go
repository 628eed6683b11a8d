package relay

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A new relay is a new consumer group; where it starts decides whether it
// re-sends the whole retained stream to receivers that dedupe for far less.
func TestANewRelayStartsWhereStartSays(t *testing.T) {
	hoursAgo := func(h float64) string {
		return strconv.FormatInt(time.Now().Add(-time.Duration(h*float64(time.Hour))).UnixMilli(), 10) + "-0"
	}
	for _, c := range []struct {
		name     string
		start    Start
		existing bool // the group exists before the relay starts, at 0
		want     []string
	}{
		{"new, the default, skips what was stored before", StartNew, false, []string{"evt_next"}},
		{"all delivers everything retained", StartAll, false, []string{"evt_2h", "evt_30m", "evt_next"}},
		{"a duration delivers what is younger", StartSince(time.Hour), false, []string{"evt_30m", "evt_next"}},
		{"an existing group is never moved", StartNew, true, []string{"evt_2h", "evt_30m", "evt_next"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			for _, e := range [][2]string{{"evt_2h", hoursAgo(2)}, {"evt_30m", hoursAgo(0.5)}} {
				values, _ := appendFields(nil, stored(e[0]))
				if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Stream(), ID: e[1], Values: values}).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if c.existing {
				if err := f.rdb.XGroupCreate(ctx, f.keys.Stream(), "wp", "0").Err(); err != nil {
					t.Fatal(err)
				}
			}
			tg := newTarget(t, ok)
			cfg := f.config("wp", tg.URL)
			cfg.Start = c.start
			f.start(t, cfg, nil)
			waitUntil(t, 5*time.Second, "the group", func() bool {
				groups, err := f.rdb.XInfoGroups(ctx, f.keys.Stream()).Result()
				return err == nil && len(groups) == 1
			})
			f.ingest(t, "evt_next")
			waitUntil(t, 10*time.Second, "evt_next delivered", func() bool {
				for _, d := range tg.deliveries() {
					if envelopeOf(t, d).ID == "evt_next" {
						return f.settled(t, "wp")
					}
				}
				return false
			})
			got := map[string]bool{}
			for _, d := range tg.deliveries() {
				got[envelopeOf(t, d).ID] = true
			}
			if len(got) != len(c.want) {
				t.Fatalf("delivered %v, want %v", got, c.want)
			}
			for _, id := range c.want {
				if !got[id] {
					t.Fatalf("delivered %v, want %v", got, c.want)
				}
			}
		})
	}
}

// A group that disappears while the relay runs (Redis restarted without
// its data) is created again at the start of the stream: what ingest
// stored in between is newer than where the relay was, and "$" would skip
// it.
func TestALostGroupIsCreatedAgainWithoutSkippingEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Start = StartNew
	f.start(t, cfg, nil)
	waitUntil(t, 5*time.Second, "the group", func() bool { return f.rdb.XInfoGroups(ctx, f.keys.Stream()).Err() == nil })
	f.ingest(t, "evt_before")
	waitUntil(t, 10*time.Second, "evt_before delivered", func() bool { return len(tg.deliveries()) == 1 && f.settled(t, "wp") })
	if err := f.rdb.Del(ctx, f.keys.Stream()).Err(); err != nil {
		t.Fatal(err)
	}
	f.add(t, stored("evt_after_loss"))
	waitUntil(t, 10*time.Second, "evt_after_loss delivered", func() bool { return len(tg.deliveries()) == 2 })
	if id := envelopeOf(t, tg.deliveries()[1]).ID; id != "evt_after_loss" {
		t.Fatalf("delivered %s", id)
	}
}

// The group of a new relay is created by its reader, after Start, and
// later still if Redis is down then: events stored in between came after
// the relay started and are delivered.
func TestANewRelayDeliversWhatIsStoredBeforeItsGroupExists(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Start = StartNew
	f.srv.Stop()
	f.start(t, cfg, nil)
	f.srv.Restart()
	f.add(t, stored("evt_while_the_group_was_missing"))
	waitUntil(t, 10*time.Second, "the event delivered", func() bool { return len(tg.deliveries()) == 1 && f.settled(t, "wp") })
}
