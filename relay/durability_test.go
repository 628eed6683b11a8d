package relay

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

func TestDurabilityWaitsAreBuiltOncePerBatch(t *testing.T) {
	cases := []struct {
		name string
		d    Durability
		want []any
	}{
		{"acked waits for nothing", Durability{}, nil},
		{"replicas is WAIT n ms", Durability{Replicas: 2, Timeout: 1500 * time.Millisecond}, []any{"wait", 2, int64(1500)}},
		{"fsync is WAITAOF 1 0 ms", Durability{Fsync: true, Timeout: time.Second}, []any{"waitaof", 1, 0, int64(1000)}},
		{"a sub-millisecond wait is not WAIT forever", Durability{Replicas: 1, Timeout: time.Microsecond}, []any{"wait", 1, int64(1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.d.command(); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("command %v, want %v", got, c.want)
			}
		})
	}
}

func TestDurabilityAnswersAreRead(t *testing.T) {
	replicas := Durability{Replicas: 2, Timeout: time.Second}
	fsync := Durability{Fsync: true, Timeout: time.Second}
	cases := []struct {
		name string
		d    Durability
		res  any
		ok   bool
	}{
		{"enough replicas", replicas, int64(2), true},
		{"more replicas than asked", replicas, int64(3), true},
		{"too few replicas", replicas, int64(1), false},
		{"the local AOF fsynced", fsync, []any{int64(1), int64(0)}, true},
		{"the local AOF not fsynced", fsync, []any{int64(0), int64(0)}, false},
		{"a WAITAOF answer of the wrong shape", fsync, int64(1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.d.check(c.res); (err == nil) != c.ok {
				t.Fatalf("check(%v) = %v, want ok %t", c.res, err, c.ok)
			}
		})
	}
}

func TestWaitAOFNeedsRedis72(t *testing.T) {
	for v, want := range map[string]bool{"7.0.15": false, "6.2.14": false, "7.2.0": true, "7.4.1": true, "8.0.2": true, "": false, "x.y": false} {
		if got := WaitAOFSupported(v); got != want {
			t.Errorf("WaitAOFSupported(%q) = %t, want %t", v, got, want)
		}
	}
}

func durableAppender(t *testing.T, addr string, d Durability) *Appender {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	a := NewDurableAppender(rdb, 5*time.Second, 2, 64, d)
	t.Cleanup(func() { a.Close(); rdb.Close() })
	return a
}

func TestReplicasDurabilityAcceptsOnlyWhatAReplicaHas(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	a := durableAppender(t, master.Addr, Durability{Replicas: 1, Timeout: 500 * time.Millisecond})
	onReplica := redis.NewClient(&redis.Options{Addr: replica.Addr})
	t.Cleanup(func() { onReplica.Close() })
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()

	// Concurrent appends share batches, each waited for once.
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := a.Append(ctx, keys, time.Hour, stored(fmt.Sprintf("evt_r%d", i)))
			if err == nil && got != Accepted {
				err = fmt.Errorf("outcome %v", got)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Accepted means the replica acknowledged it: it is there already.
	if n := onReplica.XLen(ctx, keys.Stream()).Val(); n != 40 {
		t.Fatalf("the replica holds %d entries right after the 202s, want 40", n)
	}

	replica.Stop()
	_, err := a.Append(ctx, keys, time.Hour, stored("evt_alone"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "0 of 1 replicas") {
		t.Fatalf("with the replica down: %v, want ErrUnavailable naming the replicas", err)
	}
	_, err = a.AppendBatch(ctx, keys, time.Hour, []event.Stored{*stored("evt_b1"), *stored("evt_b2")},
		[]Dedupe{{Scopes: DefaultScopes, ID: "evt_b1"}, {Scopes: DefaultScopes, ID: "evt_b2"}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a batch with the replica down: %v, want ErrUnavailable", err)
	}
	// A duplicate was stored before: it is answered without the replica.
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_r0")); err != nil || got != Duplicate {
		t.Fatalf("a duplicate with the replica down: %v, %v; want Duplicate", got, err)
	}

	replica.Restart()
	replica.WaitLinked()
	master.WaitReplicaOnline()
	// The refused event was stored on the master: its retry is a duplicate.
	if got, err := a.Append(ctx, keys, time.Hour, stored("evt_alone")); err != nil || got != Duplicate {
		t.Fatalf("the retry: %v, %v; want Duplicate", got, err)
	}
	out, err := a.AppendBatch(ctx, keys, time.Hour, []event.Stored{*stored("evt_b1"), *stored("evt_b3")},
		[]Dedupe{{Scopes: DefaultScopes, ID: "evt_b1"}, {Scopes: DefaultScopes, ID: "evt_b3"}})
	if err != nil || !reflect.DeepEqual(out, []Outcome{Duplicate, Accepted}) {
		t.Fatalf("the batch's retry: %v, %v; want [Duplicate Accepted]", out, err)
	}
	if n := onReplica.XLen(ctx, keys.Stream()).Val(); n != 44 {
		t.Fatalf("the replica holds %d entries, want 44", n)
	}
}

func TestAHeldAppenderRefusesUntilReleased(t *testing.T) {
	srv := redistest.Start(t)
	a := durableAppender(t, srv.Addr, Durability{})
	keys, _ := NewKeys("hookgate", "events")
	a.Hold(errors.New("version unknown"))
	if _, err := a.Append(context.Background(), keys, time.Hour, stored("evt_h")); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "version unknown") {
		t.Fatalf("held: %v", err)
	}
	a.Release()
	if got, err := a.Append(context.Background(), keys, time.Hour, stored("evt_h")); err != nil || got != Accepted {
		t.Fatalf("released: %v, %v", got, err)
	}
}
