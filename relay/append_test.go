package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	a := NewAppender(rdb, time.Second, 2, 64)
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
