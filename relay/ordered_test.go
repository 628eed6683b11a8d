package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// orderedEvent is a Stripe-like event whose customer is its ordering key.
func orderedEvent(id, customer string) *event.Stored {
	st := stored(id)
	st.Body = []byte(`{"id":"` + id + `","type":"invoice.paid","data":{"object":{"customer":"` + customer + `"}}}`)
	return st
}

var byCustomer, _ = ParseOrderBy("data.object.customer")

// ingestOrdered stores events as ingest does for relay name ordered by
// customer: each new entry goes to its key's queue in the same script.
func (f *fixture) ingestOrdered(t *testing.T, name string, events ...*event.Stored) {
	t.Helper()
	ordered := []Ordered{{Relay: name, By: byCustomer}}
	for _, st := range events {
		d := Dedupe{Scopes: DefaultScopes, ID: st.ID, Queues: f.keys.QueuesOf(ordered, st)}
		if _, err := f.app.AppendAs(context.Background(), f.keys, time.Hour, st, d); err != nil {
			t.Fatal(err)
		}
	}
}

// keyLog is a target's view of one ordering key: who is in flight, and
// the events it acknowledged, in the order it did.
type keyLog struct {
	mu       sync.Mutex
	inflight map[string]int
	acked    map[string][]string
	overlap  string // an event that arrived while another of its key was in flight
}

func newKeyLog() *keyLog {
	return &keyLog{inflight: map[string]int{}, acked: map[string][]string{}}
}

func customerOf(t *testing.T, d delivery) (id, customer string) {
	env := envelopeOf(t, d)
	// Stripe's envelope carries data.object.
	var obj struct {
		Customer string `json:"customer"`
	}
	if err := json.Unmarshal(env.Data, &obj); err != nil || obj.Customer == "" {
		t.Errorf("envelope data %s: %v", env.Data, err)
	}
	return env.ID, obj.Customer
}

func TestEachKeysEventsAreDeliveredInIngestOrderAndOneAtATime(t *testing.T) {
	f := newFixture(t)
	log := newKeyLog()
	var rng sync.Mutex
	r := rand.New(rand.NewPCG(1, 2))
	tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
		id, key := customerOf(t, d)
		log.mu.Lock()
		if log.inflight[key] > 0 {
			log.overlap = id
		}
		log.inflight[key]++
		log.mu.Unlock()
		rng.Lock()
		fail, slow := r.IntN(5) == 0, r.IntN(10) == 0
		rng.Unlock()
		if slow {
			time.Sleep(20 * time.Millisecond) // a slow target, not a wait for work
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		log.inflight[key]--
		if fail {
			return 503, nil, ""
		}
		log.acked[key] = append(log.acked[key], id)
		return 200, nil, ""
	})
	cfg := f.config("wp", tg.URL)
	cfg.OrderBy, cfg.Workers, cfg.MaxAttempts = byCustomer, 8, 100
	cfg.BackoffBase, cfg.BackoffCap = 5*time.Millisecond, 20*time.Millisecond
	f.start(t, cfg, nil)

	const keys, perKey = 6, 40
	want := map[string][]string{}
	var events []*event.Stored
	for i := range keys * perKey {
		key := fmt.Sprintf("cus_%d", i%keys)
		id := fmt.Sprintf("evt_%04d", i)
		want[key] = append(want[key], id)
		events = append(events, orderedEvent(id, key))
	}
	f.ingestOrdered(t, "wp", events...)
	waitUntil(t, 60*time.Second, "every event acknowledged", func() bool {
		log.mu.Lock()
		defer log.mu.Unlock()
		n := 0
		for _, ids := range log.acked {
			n += len(ids)
		}
		return n >= keys*perKey
	})
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.overlap != "" {
		t.Errorf("%s was delivered while another event of its key was in flight", log.overlap)
	}
	for key, ids := range want {
		if fmt.Sprint(log.acked[key]) != fmt.Sprint(ids) {
			t.Errorf("key %s acknowledged in the order\n%v\nwant\n%v", key, log.acked[key], ids)
		}
	}
	for key := range want {
		if n := f.rdb.Exists(context.Background(), f.keys.Queue("wp", key)).Val(); n != 0 {
			t.Errorf("queue of %s left behind", key)
		}
	}
}

func TestADeadHeadSkipsOrBlocksOnlyItsKey(t *testing.T) {
	for _, mode := range []OnDead{DeadSkips, DeadBlocks} {
		t.Run(map[OnDead]string{DeadSkips: "skip", DeadBlocks: "block"}[mode], func(t *testing.T) {
			f := newFixture(t)
			var mu sync.Mutex
			poisoned := map[string]bool{"evt_a1": true}
			var got []string
			tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
				id, _ := customerOf(t, d)
				mu.Lock()
				defer mu.Unlock()
				if poisoned[id] {
					return 400, nil, "" // permanent: dead-lettered at once
				}
				got = append(got, id)
				return 200, nil, ""
			})
			delivered := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
			cfg := f.config("wp", tg.URL)
			cfg.OrderBy, cfg.OnDead = byCustomer, mode
			f.start(t, cfg, nil)
			f.ingestOrdered(t, "wp",
				orderedEvent("evt_a1", "cus_a"), orderedEvent("evt_a2", "cus_a"), orderedEvent("evt_b1", "cus_b"),
				orderedEvent("evt_a3", "cus_a"), orderedEvent("evt_b2", "cus_b"))
			waitUntil(t, 10*time.Second, "the dead letter", func() bool { return len(f.deadLetters(t, "wp")) == 1 })
			if mode == DeadSkips {
				waitUntil(t, 10*time.Second, "the rest delivered", func() bool { return len(delivered()) == 4 })
				if fmt.Sprint(onlyKey(delivered(), "evt_a")) != "[evt_a2 evt_a3]" {
					t.Fatalf("key a after its dead head: %v", delivered())
				}
				return
			}
			waitUntil(t, 10*time.Second, "key b delivered", func() bool { return len(onlyKey(delivered(), "evt_b")) == 2 })
			// Blocked: the dead head holds its place, and the rest of key a
			// is parked behind it.
			ctx := context.Background()
			waitUntil(t, 10*time.Second, "key a parked behind its dead head", func() bool {
				head := f.rdb.LIndex(ctx, f.keys.Queue("wp", "cus_a"), 0).Val()
				return len(head) > 0 && head[0] == 'D' && f.rdb.ZCard(ctx, f.keys.Retry("wp")).Val() == 2
			})
			if a := onlyKey(delivered(), "evt_a"); len(a) != 0 {
				t.Fatalf("key a went on past its dead head: %v", a)
			}
			// Replayed: the head goes first, then the rest in order.
			mu.Lock()
			delete(poisoned, "evt_a1")
			mu.Unlock()
			dl := NewDeadLetters(f.rdb, f.keys, "wp")
			if n, err := dl.ReplayAll(context.Background()); err != nil || n != 1 {
				t.Fatalf("replay: %d, %v", n, err)
			}
			waitUntil(t, 10*time.Second, "key a delivered", func() bool { return len(onlyKey(delivered(), "evt_a")) == 3 })
			if a := onlyKey(delivered(), "evt_a"); fmt.Sprint(a) != "[evt_a1 evt_a2 evt_a3]" {
				t.Fatalf("key a after the replay: %v", a)
			}
			waitUntil(t, 10*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
		})
	}
}

func TestPurgingADeadHeadLetsItsKeyGoOn(t *testing.T) {
	f := newFixture(t)
	tg, delivered := poisonedTarget(t, "evt_a1")
	cfg := f.config("wp", tg.URL)
	cfg.OrderBy, cfg.OnDead = byCustomer, DeadBlocks
	f.start(t, cfg, nil)
	f.ingestOrdered(t, "wp", orderedEvent("evt_a1", "cus_a"), orderedEvent("evt_a2", "cus_a"), orderedEvent("evt_a3", "cus_a"))
	waitUntil(t, 10*time.Second, "the dead letter", func() bool { return len(f.deadLetters(t, "wp")) == 1 })
	if n, err := NewDeadLetters(f.rdb, f.keys, "wp").PurgeAll(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	waitUntil(t, 10*time.Second, "the rest of key a", func() bool { return len(delivered()) == 2 })
	if got := delivered(); fmt.Sprint(got) != "[evt_a2 evt_a3]" {
		t.Fatalf("after the purge: %v", got)
	}
}

func TestEntriesWithoutAQueueGoUnorderedAndAStaleHeadIsDropped(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.OrderBy = byCustomer
	// Stored before the relay was ordered: in no queue.
	f.add(t, orderedEvent("evt_old", "cus_a"))
	// A queue whose head is no entry of the group (trimmed, say).
	ctx := context.Background()
	if err := f.rdb.RPush(ctx, f.keys.Queue("wp", "cus_a"), "1-1").Err(); err != nil {
		t.Fatal(err)
	}
	f.start(t, cfg, nil)
	f.ingestOrdered(t, "wp", orderedEvent("evt_new", "cus_a"))
	waitUntil(t, 10*time.Second, "both delivered", func() bool { return len(tg.deliveries()) == 2 })
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
	if n := f.rdb.Exists(ctx, f.keys.Queue("wp", "cus_a")).Val(); n != 0 {
		t.Fatal("the queue was left behind")
	}
}

func TestAnEventWithoutItsKeyIsDeliveredUnordered(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.OrderBy = byCustomer
	f.start(t, cfg, nil)
	f.ingestOrdered(t, "wp", stored("evt_nokey"))
	waitUntil(t, 10*time.Second, "the delivery", func() bool { return len(tg.deliveries()) == 1 })
}

// onlyKey keeps the ids with prefix.
func onlyKey(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			out = append(out, id)
		}
	}
	return out
}

func TestOrderKeys(t *testing.T) {
	st := orderedEvent("evt_1", "cus_1")
	st.Header = http.Header{"X-Shop": {"shop.example"}}
	st.Tenant = "acme"
	long := make([]byte, 100)
	for i := range long {
		long[i] = 'x'
	}
	for _, c := range []struct {
		spec, body, want string
	}{
		{"data.object.customer", "", "cus_1"},
		{"tenant", "", "acme"},
		{"source", "", "stripe"},
		{"header:x-shop", "", "shop.example"},
		{"header:X-Missing", "", ""},
		{"data.object.missing", "", ""},
		{"data.object", "", ""}, // an object is no key
		{"n", `{"n": 42}`, "42"},
		{"n", `{"n": true}`, ""},
		{"n", `not json`, ""},
		{"n", `{"n":"` + string(long) + `"}`, "#"},
		{"n", `{"n":"a b"}`, "#"},
	} {
		o, err := ParseOrderBy(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		s := *st
		if c.body != "" {
			s.Body = []byte(c.body)
		}
		got := o.Key(&s)
		if c.want == "#" {
			if len(got) != 33 || got[0] != '#' {
				t.Errorf("%s on %s: %q, want a hash", c.spec, c.body, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("%s on %s: %q, want %q", c.spec, c.body, got, c.want)
		}
	}
	for _, bad := range []string{"a..b", ".a", "header:", "header:a b"} {
		if _, err := ParseOrderBy(bad); err == nil {
			t.Errorf("order_by %q accepted", bad)
		}
	}
}

func FuzzOrderKey(f *testing.F) {
	for _, s := range []string{`{"data":{"object":{"customer":"cus_1"}}}`, `{"data":{"object":{"customer":12}}}`, `[]`, `{"data":"x"}`, ``} {
		f.Add([]byte(s))
	}
	o, _ := ParseOrderBy("data.object.customer")
	f.Fuzz(func(t *testing.T, body []byte) {
		// The one-walk reading agrees with encoding/json's wherever it answers.
		if fast, ok := o.fast.Value(body); ok {
			if slow := pathValue(body, o.path); fast != slow {
				t.Fatalf("the walk reads %q, encoding/json %q", fast, slow)
			}
		}
		k := o.Key(&event.Stored{Body: body})
		if len(k) > maxKeyLen+1 {
			t.Fatalf("key of %d bytes", len(k))
		}
		for _, r := range k {
			if r <= ' ' || r > '~' {
				t.Fatalf("key %q holds %q", k, r)
			}
		}
	})
}

// poisonedTarget answers 400 (dead-lettered at once) to the event poison
// and 200 to the others, which delivered lists in the order they came.
func poisonedTarget(t *testing.T, poison string) (*target, func() []string) {
	var mu sync.Mutex
	var got []string
	tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
		id, _ := customerOf(t, d)
		if id == poison {
			return 400, nil, ""
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, id)
		return 200, nil, ""
	})
	return tg, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}
