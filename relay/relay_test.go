package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.uber.org/zap/zaptest"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

const relaySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// delivery is one request the target received.
type delivery struct {
	at     time.Time
	path   string
	header http.Header
	body   []byte
}

// target is a real HTTP server on loopback whose answers a test scripts.
type target struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int, d delivery) (int, http.Header, string) // n counts from 1
}

func newTarget(t *testing.T, answer func(n int, d delivery) (int, http.Header, string)) *target {
	t.Helper()
	tg := &target{answer: answer}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d := delivery{at: time.Now(), path: r.URL.Path, header: r.Header.Clone(), body: body}
		tg.mu.Lock()
		tg.got = append(tg.got, d)
		n := len(tg.got)
		answer := tg.answer
		tg.mu.Unlock()
		code, h, reply := answer(n, d)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) deliveries() []delivery {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]delivery(nil), tg.got...)
}

func (tg *target) setAnswer(f func(n int, d delivery) (int, http.Header, string)) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.answer = f
}

func ok(int, delivery) (int, http.Header, string) { return 200, nil, "" }

// fixture is a redis-server, the ingest appender and a relay config.
type fixture struct {
	srv  *redistest.Server
	rdb  *redis.Client
	app  *Appender
	keys Keys
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	app, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	return &fixture{srv: srv, rdb: rdb, app: app, keys: keys}
}

func (f *fixture) config(name, to string) Config {
	return Config{
		Name: name, Keys: f.keys, To: to, Secret: relaySecret, Consumer: "test-" + name,
		Workers: 4, Timeout: 2 * time.Second, MaxAttempts: 5,
		BackoffBase: 50 * time.Millisecond, BackoffCap: time.Second,
		Failures: 100, Cooldown: time.Second, ClaimAfter: time.Minute, Retention: time.Hour,
		// The tests ingest right after Start, maybe before the group exists.
		Start: StartAll,
	}
}

func (f *fixture) start(t *testing.T, cfg Config, tune func(*Relay)) *Relay {
	t.Helper()
	r, err := New(f.rdb, cfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(r)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	return r
}

func (f *fixture) ingest(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := f.app.Append(context.Background(), f.keys, time.Hour, stored(id)); err != nil {
			t.Fatal(err)
		}
	}
}

// settled reports whether relay name holds nothing pending or scheduled.
func (f *fixture) settled(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	pending, err := f.rdb.XPending(ctx, f.keys.Stream(), name).Result()
	if err != nil {
		t.Fatal(err)
	}
	return pending.Count == 0 && f.rdb.ZCard(ctx, f.keys.Retry(name)).Val() == 0 &&
		f.rdb.HLen(ctx, f.keys.Attempts(name)).Val() == 0
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEveryEventIsDeliveredOnceSignedInTheEnvelope(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	f.start(t, f.config("wp", tg.URL+"/wp-json/hookgate/v1/events"), nil)
	const n = 50
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%03d", i)
	}
	f.ingest(t, ids...)
	waitUntil(t, 10*time.Second, "every event delivered", func() bool { return len(tg.deliveries()) >= n })
	waitUntil(t, 5*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })

	wh, err := standardwebhooks.NewWebhook(relaySecret)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range tg.deliveries() {
		if err := wh.Verify(d.body, d.header); err != nil {
			t.Fatalf("the official library rejects our signature: %v", err)
		}
		var env event.Envelope
		if err := json.Unmarshal(d.body, &env); err != nil {
			t.Fatalf("delivery is not an envelope: %v", err)
		}
		if env.Source != "stripe" || env.Type != "invoice.paid" || env.Tenant != "default" {
			t.Fatalf("envelope %+v", env)
		}
		if d.header.Get("Idempotency-Key") != "stripe:default:"+env.ID || d.header.Get("X-Request-Id") == "" ||
			d.header.Get("Traceparent") == "" || d.header.Get("User-Agent") != UserAgent ||
			d.header.Get("Content-Type") != "application/json" {
			t.Fatalf("delivery headers %v", d.header)
		}
		seen[env.ID]++
	}
	if len(seen) != n {
		t.Fatalf("%d distinct events delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("%s delivered %d times", id, c)
		}
	}
}

func TestRetriesBackOffWithJitterThenDeliver(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, func(n int, _ delivery) (int, http.Header, string) {
		if n <= 2 {
			return 503, nil, "busy"
		}
		return 200, nil, ""
	})
	cfg := f.config("wp", tg.URL)
	cfg.BackoffBase, cfg.BackoffCap = 200*time.Millisecond, 10*time.Second
	var mu sync.Mutex
	var draws []float64
	f.start(t, cfg, func(r *Relay) {
		// The top of the jitter range, so each wait is the full ceiling.
		r.backoff.rand = func() float64 { mu.Lock(); defer mu.Unlock(); draws = append(draws, 0.999); return 0.999 }
	})
	f.ingest(t, "evt_retry")
	waitUntil(t, 10*time.Second, "the third attempt", func() bool { return len(tg.deliveries()) >= 3 })
	waitUntil(t, 5*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
	d := tg.deliveries()
	if len(d) != 3 {
		t.Fatalf("%d attempts, want 3", len(d))
	}
	gap1, gap2 := d[1].at.Sub(d[0].at), d[2].at.Sub(d[1].at)
	// Ceilings 200ms then 400ms, times 0.999; the scheduler ticks every 50ms.
	if gap1 < 199*time.Millisecond || gap1 > 199*time.Millisecond+time.Second {
		t.Errorf("first gap %v, want about 200ms", gap1)
	}
	if gap2 < 399*time.Millisecond || gap2 <= gap1 {
		t.Errorf("second gap %v, want about 400ms and longer than the first (%v)", gap2, gap1)
	}
	if len(draws) != 2 {
		t.Errorf("%d jitter draws, want one per retry (2)", len(draws))
	}
}

func TestFullJitterStaysWithinTheCeiling(t *testing.T) {
	for _, c := range []struct {
		name    string
		attempt int
		r       float64
		want    time.Duration
	}{
		{"no wait at the bottom of the range", 3, 0, 0},
		{"half the ceiling in the middle", 3, 0.5, 2 * time.Second},
		{"first retry is bounded by base", 1, 0.999, 999 * time.Millisecond},
		{"late retries are bounded by the cap", 40, 0.5, 5 * time.Second},
		{"huge attempt counts do not overflow", 1000, 0.5, 5 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := backoff{base: time.Second, cap: 10 * time.Second, rand: func() float64 { return c.r }}
			if got := b.delay(c.attempt); got != c.want {
				t.Fatalf("delay(%d) = %v, want %v", c.attempt, got, c.want)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, func(n int, _ delivery) (int, http.Header, string) {
		if n == 1 {
			return 429, http.Header{"Retry-After": {"2"}}, "slow down"
		}
		return 200, nil, ""
	})
	f.start(t, f.config("wp", tg.URL), nil)
	f.ingest(t, "evt_ra")
	waitUntil(t, 10*time.Second, "the second attempt", func() bool { return len(tg.deliveries()) >= 2 })
	d := tg.deliveries()
	if gap := d[1].at.Sub(d[0].at); gap < 2*time.Second {
		t.Fatalf("retried after %v despite Retry-After: 2", gap)
	}
}

func TestPermanentFailureIsDeadLetteredAtOnceAndReplays(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, func(int, delivery) (int, http.Header, string) { return 400, nil, `{"code":"bad_envelope"}` })
	f.start(t, f.config("wp", tg.URL), nil)
	f.ingest(t, "evt_bad")
	dl := NewDeadLetters(f.rdb, f.keys, "wp")
	var letters []DeadLetter
	waitUntil(t, 10*time.Second, "a dead letter", func() bool {
		var err error
		letters, err = dl.List(context.Background(), "", 10)
		return err == nil && len(letters) == 1
	})
	l := letters[0]
	if l.Attempts != 1 || l.Status != 400 || l.Body != `{"code":"bad_envelope"}` || l.Event.ID != "evt_bad" ||
		l.Error == "" || l.FirstAttempt.IsZero() || l.LastAttempt.Before(l.FirstAttempt) {
		t.Fatalf("dead letter %+v", l)
	}
	if got := len(tg.deliveries()); got != 1 {
		t.Fatalf("%d attempts for a 400, want 1", got)
	}
	waitUntil(t, 5*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })

	tg.setAnswer(ok)
	if n, err := dl.Replay(context.Background(), l.ID); err != nil || n != 1 {
		t.Fatalf("replay: %d, %v", n, err)
	}
	waitUntil(t, 10*time.Second, "the replayed event delivered", func() bool {
		d := tg.deliveries()
		return len(d) == 2
	})
	waitUntil(t, 5*time.Second, "the replay stream to empty", func() bool {
		return f.rdb.XLen(context.Background(), f.keys.Replay("wp")).Val() == 0
	})
	if letters, _ := dl.List(context.Background(), "", 10); len(letters) != 0 {
		t.Fatalf("dead letters left after replay: %v", letters)
	}
}

func TestExhaustedAttemptsAreDeadLetteredLeavingNothingBehind(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, func(int, delivery) (int, http.Header, string) { return 500, nil, "down" })
	cfg := f.config("wp", tg.URL)
	cfg.MaxAttempts = 3
	cfg.BackoffBase, cfg.BackoffCap = 20*time.Millisecond, 50*time.Millisecond
	f.start(t, cfg, nil)
	f.ingest(t, "evt_tired")
	dl := NewDeadLetters(f.rdb, f.keys, "wp")
	waitUntil(t, 10*time.Second, "a dead letter", func() bool {
		letters, err := dl.List(context.Background(), "", 10)
		return err == nil && len(letters) == 1 && letters[0].Attempts == 3 && letters[0].Status == 500
	})
	waitUntil(t, 5*time.Second, "nothing pending or scheduled", func() bool { return f.settled(t, "wp") })
	if got := len(tg.deliveries()); got != 3 {
		t.Fatalf("%d attempts, want 3", got)
	}
}

func TestBreakerHoldsBackWhileTheTargetIsDown(t *testing.T) {
	f := newFixture(t)
	tg, targetBack := newOutageTarget(t)
	cfg := f.config("wp", tg.URL)
	cfg.Workers, cfg.MaxAttempts = 8, 50
	cfg.Failures, cfg.Cooldown = 3, 500*time.Millisecond
	cfg.BackoffBase, cfg.BackoffCap = 10*time.Millisecond, 20*time.Millisecond
	f.start(t, cfg, nil)
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%02d", i)
	}
	f.ingest(t, ids...)
	// Down for 3 s: without a breaker, 8 workers retrying every 20 ms
	// would send hundreds of requests.
	time.Sleep(3 * time.Second)
	if got := len(tg.deliveries()); got > 3+8+8 {
		t.Fatalf("target down for 3s saw %d requests, want a handful", got)
	}
	targetBack()
	waitUntil(t, 15*time.Second, "every event delivered after recovery", func() bool {
		seen := map[string]bool{}
		for _, d := range tg.deliveries() {
			if d.header.Get("Webhook-Id") != "" && len(d.body) > 0 {
				var env event.Envelope
				_ = json.Unmarshal(d.body, &env)
				seen[env.ID] = true
			}
		}
		return len(seen) == len(ids) && f.settled(t, "wp")
	})
	if letters, _ := NewDeadLetters(f.rdb, f.keys, "wp").List(context.Background(), "", 100); len(letters) != 0 {
		t.Fatalf("%d events dead-lettered while the breaker was open", len(letters))
	}
}

func TestTwoRelaysFanOutAndOneGroupSharesWithoutDoubles(t *testing.T) {
	f := newFixture(t)
	a, b := newTarget(t, ok), newTarget(t, ok)
	f.start(t, f.config("a", a.URL), nil)
	// Two consumers of group b, as two Caddy processes would be.
	cfgB := f.config("b", b.URL)
	f.start(t, cfgB, nil)
	cfgB.Consumer = "other-process"
	f.start(t, cfgB, nil)
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%02d", i)
	}
	f.ingest(t, ids...)
	for name, tg := range map[string]*target{"a": a, "b": b} {
		waitUntil(t, 10*time.Second, "relay "+name+" to deliver every event", func() bool {
			return len(tg.deliveries()) >= len(ids) && f.settled(t, name)
		})
		seen := map[string]int{}
		for _, d := range tg.deliveries() {
			seen[d.header.Get("Idempotency-Key")]++
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("relay %s delivered %s %d times", name, k, c)
			}
		}
		if len(seen) != len(ids) {
			t.Fatalf("relay %s delivered %d distinct events, want %d", name, len(seen), len(ids))
		}
	}
}

func TestFilterAcksOtherTypesAndRoutesPickTheTarget(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL+"/wp-json/hookgate/v1/events")
	cfg.Filter = []string{"invoice.*"}
	cfg.Routes = []Route{{Glob: "invoice.paid", URL: "/wp-json/hookgate/v1/order-event"}}
	f.start(t, cfg, nil)
	other := stored("evt_other")
	other.Type = "customer.created"
	if _, err := f.app.Append(context.Background(), f.keys, time.Hour, other); err != nil {
		t.Fatal(err)
	}
	f.ingest(t, "evt_paid")
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool {
		return len(tg.deliveries()) == 1 && f.settled(t, "wp")
	})
	if p := tg.deliveries()[0]; p.header.Get("Idempotency-Key") != "stripe:default:evt_paid" ||
		p.path != "/wp-json/hookgate/v1/order-event" {
		t.Fatalf("delivered %s to %s", p.header.Get("Idempotency-Key"), p.path)
	}
}

func TestRateSpacesAttempts(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Rate = 20 // one every 50 ms
	f.start(t, cfg, nil)
	f.ingest(t, "evt_1", "evt_2", "evt_3", "evt_4", "evt_5", "evt_6")
	waitUntil(t, 10*time.Second, "every event delivered", func() bool { return len(tg.deliveries()) == 6 })
	d := tg.deliveries()
	// Five intervals of 50 ms, less one for the first request's dial, which
	// under load arrives late; the limiter's unit test checks turns exactly.
	if span := d[5].at.Sub(d[0].at); span < 200*time.Millisecond {
		t.Fatalf("6 deliveries at 20/s took %v, want about 250ms", span)
	}
}

func TestEntriesHeldBehindAnOpenBreakerAreNotDeliveredTwice(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	down := true
	delivered := map[string]int{}
	tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return 503, nil, ""
		}
		delivered[d.header.Get("Idempotency-Key")]++
		return 200, nil, ""
	})
	cfg := f.config("wp", tg.URL)
	// claim_after far below the outage, so held entries go idle past it.
	cfg.Workers, cfg.MaxAttempts = 8, 100
	cfg.Failures, cfg.Cooldown = 1, 300*time.Millisecond
	cfg.Timeout, cfg.ClaimAfter = 100*time.Millisecond, 200*time.Millisecond
	cfg.BackoffBase, cfg.BackoffCap = 10*time.Millisecond, 20*time.Millisecond
	f.start(t, cfg, nil)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%03d", i)
	}
	f.ingest(t, ids...)
	waitUntil(t, 10*time.Second, "the breaker to open", func() bool { return len(tg.deliveries()) >= 1 })
	time.Sleep(2 * time.Second) // the outage: held entries idle past claim_after
	mu.Lock()
	down = false
	mu.Unlock()
	waitUntil(t, 20*time.Second, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(delivered) == len(ids)
	})
	waitUntil(t, 5*time.Second, "the relay to settle", func() bool { return f.settled(t, "wp") })
	mu.Lock()
	defer mu.Unlock()
	for k, n := range delivered {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
}

// newOutageTarget is a target that answers 503 until back is called,
// then 200.
func newOutageTarget(t *testing.T) (tg *target, back func()) {
	t.Helper()
	var down atomic.Bool
	down.Store(true)
	tg = newTarget(t, func(int, delivery) (int, http.Header, string) {
		if down.Load() {
			return 503, nil, ""
		}
		return 200, nil, ""
	})
	return tg, func() { down.Store(false) }
}
