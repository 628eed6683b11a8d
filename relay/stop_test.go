package relay

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"
)

// Jobs already handed to the workers when Stop comes are left pending for
// the next process; only the attempt in flight is let finish.
func TestNoAttemptStartsAfterStop(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	var once sync.Once
	tg := newTarget(t, func(n int, _ delivery) (int, http.Header, string) {
		if n == 1 {
			<-release
		}
		return 200, nil, ""
	})
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	cfg := f.config("wp", tg.URL)
	cfg.Workers = 1
	r := f.start(t, cfg, nil)
	f.ingest(t, "evt_1", "evt_2", "evt_3")
	waitUntil(t, 10*time.Second, "the first attempt in flight and the next job queued", func() bool {
		return len(tg.deliveries()) == 1 && len(r.jobs) == 1
	})
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped <- r.Stop(ctx)
	}()
	waitUntil(t, 5*time.Second, "Stop to begin", func() bool { return r.ctx.Err() != nil })
	once.Do(func() { close(release) })
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if n := len(tg.deliveries()); n != 1 {
		t.Fatalf("%d attempts, want only the one in flight at Stop", n)
	}
	if p := f.rdb.XPending(context.Background(), f.keys.Stream(), "wp").Val(); p.Count != 2 {
		t.Fatalf("%d entries pending after Stop, want the 2 not attempted", p.Count)
	}
}

// A Redis that accepts connections and never answers must not hold Stop
// past its bound.
func TestStopKeepsItsBoundWhileRedisHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	rdb := redis.NewClient(&redis.Options{Addr: l.Addr().String(), ReadTimeout: 10 * time.Second, MaxRetries: -1,
		Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { rdb.Close() })
	keys, _ := NewKeys("hookgate", "events")
	r, err := New(rdb, Config{Name: "wp", Keys: keys, To: "http://127.0.0.1:1/", Secret: relaySecret, Consumer: "c",
		Timeout: time.Second, ClaimAfter: 2 * time.Second}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the relay to be waiting on Redis", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(conns) > 0
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_ = r.Stop(ctx)
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("Stop took %v with a 300ms bound", took)
	}
}
