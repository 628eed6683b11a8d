package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

func newAppender(t *testing.T, url string) (*Appender, *redis.Client) {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	rdb := redis.NewClient(opt)
	// A bound well above a script call on a loaded machine: these tests are
	// about outcomes, not how long Redis may take.
	a := NewAppender(rdb, 5*time.Second, 2, 64)
	t.Cleanup(func() { a.Close(); rdb.Close() })
	return a, rdb
}

func stored(id string) *event.Stored {
	return &event.Stored{
		ID: id, Source: "stripe", Tenant: "default", Type: "invoice.paid",
		ReceivedAt:  time.UnixMilli(1700000000123).UTC(),
		Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		Header:      http.Header{"User-Agent": {"Stripe/1.0"}},
		Body:        []byte(`{"id":"` + id + `","type":"invoice.paid"}`),
	}
}

func TestAppendStoresOnceAndRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()

	want := stored("evt_1")
	for i, expect := range []Outcome{Accepted, Duplicate, Duplicate} {
		got, err := a.Append(ctx, keys, time.Hour, want)
		if err != nil || got != expect {
			t.Fatalf("append %d: got %v, %v; want %v", i, got, err, expect)
		}
	}
	msgs, err := rdb.XRange(ctx, keys.Stream(), "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("stream holds %d entries (%v), want 1", len(msgs), err)
	}
	got, err := Decode(msgs[0].Values)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != want.ID || got.Source != want.Source || got.Tenant != want.Tenant || got.Type != want.Type ||
		!got.ReceivedAt.Equal(want.ReceivedAt) || got.Traceparent != want.Traceparent ||
		string(got.Body) != string(want.Body) || got.Header.Get("User-Agent") != "Stripe/1.0" {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	ttl, err := rdb.TTL(ctx, keys.Seen("stripe", DefaultScopes[0], "evt_1")).Result()
	if err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("dedupe key ttl %v (%v), want about 1h", ttl, err)
	}
}

func TestConcurrentAppendsOfOneEventStoreOne(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	other, _ := NewKeys("hookgate", "other")
	const n = 200
	var wg sync.WaitGroup
	outcomes := make([]Outcome, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := keys
			if i%2 == 1 {
				k = other
			}
			outcomes[i], errs[i] = a.Append(context.Background(), k, time.Hour, stored(fmt.Sprint("evt_", i%4)))
		}()
	}
	wg.Wait()
	accepted := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		if outcomes[i] == Accepted {
			accepted++
		}
	}
	// ids 0 and 2 go to "events", 1 and 3 to "other": two of each.
	for _, k := range []Keys{keys, other} {
		if l := rdb.XLen(context.Background(), k.Stream()).Val(); l != 2 {
			t.Errorf("%s holds %d entries, want 2", k.Stream(), l)
		}
	}
	if accepted != 4 {
		t.Fatalf("%d appends accepted, want 4", accepted)
	}
}

func TestAppendWithRedisDownIsUnavailableThenRecovers(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := a.Append(ctx, keys, time.Hour, stored("evt_down")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append with redis down: %v, want ErrUnavailable", err)
	}
	srv.Restart()
	got, err := a.Append(context.Background(), keys, time.Hour, stored("evt_down"))
	if err != nil || got != Accepted {
		t.Fatalf("retry after redis is back: %v, %v; want Accepted", got, err)
	}
	if l := rdb.XLen(context.Background(), keys.Stream()).Val(); l != 1 {
		t.Fatalf("stream holds %d entries, want 1", l)
	}
}

func TestKeysRefuseBraces(t *testing.T) {
	for _, c := range [][2]string{{"hook{gate", "events"}, {"hookgate", "ev}ents"}, {"", "events"}, {"hookgate", ""}} {
		if _, err := NewKeys(c[0], c[1]); err == nil {
			t.Errorf("NewKeys(%q, %q) accepted", c[0], c[1])
		}
	}
}

func TestDedupeIsScopedBySigner(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	appendIn := func(scopes ...string) Outcome {
		t.Helper()
		got, err := a.AppendAs(ctx, keys, time.Hour, stored("evt_1001"), Dedupe{Scopes: scopes, ID: "evt_1001"})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, step := range []struct {
		rule   string
		scopes []string
		want   Outcome
	}{
		{"sender B's event 1001 is new", []string{"s-b"}, Accepted},
		{"sender A's own event 1001 is not shadowed by B's", []string{"s-a"}, Accepted},
		{"A's retry is a duplicate", []string{"s-a"}, Duplicate},
		{"after A adds a rotation secret, A's event is still a duplicate", []string{"s-a", "s-a2"}, Duplicate},
		{"a new event under rotation is new", []string{"s-c", "s-c2"}, Accepted},
		{"once the old secret is retired the event stays a duplicate", []string{"s-c2"}, Duplicate},
	} {
		if got := appendIn(step.scopes...); got != step.want {
			t.Fatalf("%s: got %v, want %v", step.rule, got, step.want)
		}
	}
	if n := rdb.XLen(ctx, keys.Stream()).Val(); n != 3 {
		t.Fatalf("stream holds %d entries, want 3", n)
	}
	if _, err := a.AppendAs(ctx, keys, time.Hour, stored("evt_x"), Dedupe{ID: "evt_x"}); err == nil {
		t.Fatal("an append without a scope was taken")
	}
}

func TestFailedAppendLeavesNoDedupeKey(t *testing.T) {
	for _, scopes := range [][]string{{"s-a"}, {"s-a", "s-a2"}} {
		t.Run(fmt.Sprint(len(scopes), " scopes"), func(t *testing.T) {
			srv := redistest.Start(t)
			a, rdb := newAppender(t, srv.URL())
			keys, _ := NewKeys("hookgate", "events")
			ctx := context.Background()
			// A stream key of the wrong type makes XADD fail inside the script.
			rdb.Set(ctx, keys.Stream(), "not a stream", 0)
			d := Dedupe{Scopes: scopes, ID: "evt_fail"}
			if _, err := a.AppendAs(ctx, keys, time.Hour, stored("evt_fail"), d); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("append onto a string key: %v, want ErrUnavailable", err)
			}
			for _, s := range scopes {
				if n := rdb.Exists(ctx, keys.Seen("stripe", s, "evt_fail")).Val(); n != 0 {
					t.Fatalf("the failed append left dedupe key %s behind", s)
				}
			}
			rdb.Del(ctx, keys.Stream())
			if got, err := a.AppendAs(ctx, keys, time.Hour, stored("evt_fail"), d); err != nil || got != Accepted {
				t.Fatalf("the provider's retry: %v, %v; want Accepted, not a false duplicate", got, err)
			}
		})
	}
}

func TestAppendAfterScriptFlush(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_a")); err != nil || got != Accepted {
		t.Fatalf("first append: %v, %v", got, err)
	}
	rdb.ScriptFlush(ctx)
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_b")); err != nil || got != Accepted {
		t.Fatalf("append after SCRIPT FLUSH (NOSCRIPT, then EVAL): %v, %v", got, err)
	}
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_a")); err != nil || got != Duplicate {
		t.Fatalf("duplicate after SCRIPT FLUSH: %v, %v", got, err)
	}
}

func TestDedupeKeyOfAnOlderVersionStillCounts(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	// Older versions stored the stream entry id as the key's value.
	rdb.Set(ctx, keys.Seen("stripe", DefaultScopes[0], "evt_old"), "1700000000000-0", time.Hour)
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_old")); err != nil || got != Duplicate {
		t.Fatalf("append of an event an older version stored: %v, %v; want Duplicate", got, err)
	}
}

func TestAppendSeenIsSeen(t *testing.T) {
	keys, _ := NewKeys("hookgate", "events")
	got := string(appendSeen([]byte("x"), keys, "stripe", "s-0123", "evt_1"))
	if want := "x" + keys.Seen("stripe", "s-0123", "evt_1"); got != want || seenLen(keys, "stripe", "s-0123", "evt_1") != len(want)-1 {
		t.Fatalf("appendSeen gave %q, want %q", got, want)
	}
}

func TestBatchOfManyEventsAndScopes(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scopes := DefaultScopes
			if i%3 == 0 {
				scopes = []string{"s-a", "s-b", "s-c"}
			}
			id := fmt.Sprint("evt_", i)
			_, errs[i] = a.AppendAs(ctx, keys, time.Duration(1+i%5)*time.Hour, stored(id), Dedupe{Scopes: scopes, ID: id})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	msgs, err := rdb.XRange(ctx, keys.Stream(), "-", "+").Result()
	if err != nil || len(msgs) != n {
		t.Fatalf("stream holds %d entries (%v), want %d", len(msgs), err, n)
	}
	for _, m := range msgs {
		s, err := Decode(m.Values)
		if err != nil || string(s.Body) != `{"id":"`+s.ID+`","type":"invoice.paid"}` || s.Header.Get("User-Agent") != "Stripe/1.0" {
			t.Fatalf("entry %v decodes as %+v, %v", m.Values, s, err)
		}
	}
	for i := range n {
		id := fmt.Sprint("evt_", i)
		scopes := DefaultScopes
		if i%3 == 0 {
			scopes = []string{"s-a", "s-b", "s-c"}
		}
		for _, s := range scopes {
			ttl := rdb.TTL(ctx, keys.Seen("stripe", s, id)).Val()
			if want := time.Duration(1+i%5) * time.Hour; ttl <= want-time.Minute || ttl > want {
				t.Fatalf("%s in %s: ttl %v, want %v", id, s, ttl, want)
			}
		}
	}
}

func TestAppendWithinIsBounded(t *testing.T) {
	// A "Redis" that takes connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	t.Cleanup(func() { l.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: l.Addr().String(), MaxRetries: -1, Protocol: 2, DisableIdentity: true})
	a := NewAppender(rdb, 10*time.Second, 1, 8)
	t.Cleanup(func() { rdb.Close(); a.Close() })
	keys, _ := NewKeys("hookgate", "events")
	for range 2 { // the second finds the queue's only flusher still waiting on the first
		began := time.Now()
		_, err := a.AppendWithin(context.Background(), 200*time.Millisecond, keys, time.Hour, stored("evt_slow"), Dedupe{Scopes: DefaultScopes, ID: "evt_slow"})
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("append to a Redis that does not answer: %v, want ErrUnavailable and DeadlineExceeded", err)
		}
		if took := time.Since(began); took < 150*time.Millisecond || took > 2*time.Second {
			t.Fatalf("append gave up after %v with a 200ms bound", took)
		}
	}
}

func TestAppendWithinReusesItsTimer(t *testing.T) {
	srv := redistest.Start(t)
	a, _ := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	for i := range 20 {
		id := fmt.Sprint("evt_", i)
		if got, err := a.AppendWithin(context.Background(), 20*time.Millisecond, keys, time.Hour, stored(id), Dedupe{Scopes: DefaultScopes, ID: id}); err != nil || got != Accepted {
			t.Fatalf("append %d: %v, %v", i, got, err)
		}
		// Long enough for a timer left running to have fired into a pooled request.
		time.Sleep(30 * time.Millisecond)
	}
}

// panickingClient is a Redis client whose every command panics, as a bug in
// building or sending a batch would.
type panickingClient struct{ *redis.Client }

func (panickingClient) Process(context.Context, redis.Cmder) error { panic("boom") }

func TestAPanicInAnAppendIsTheBatchsErrorAndTheFlusherLivesOn(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	a := NewAppender(panickingClient{rdb}, time.Second, 1, 8)
	t.Cleanup(a.Close)
	keys, _ := NewKeys("hookgate", "events")
	for i := range 3 {
		_, err := a.Append(context.Background(), keys, time.Hour, stored(fmt.Sprint("evt_panic_", i)))
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("append %d: %v, want ErrUnavailable naming the panic", i, err)
		}
	}
}
