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

func TestReplicasDurabilityWaitsOnTheMasterOfEachStreamOfACluster(t *testing.T) {
	cluster := redistest.StartClusterWithReplicas(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs(), MaxRetries: -1})
	a := NewDurableAppender(rdb, 5*time.Second, 2, 64, Durability{Replicas: 1, Timeout: 500 * time.Millisecond})
	t.Cleanup(func() { a.Close(); rdb.Close() })
	ctx := context.Background()
	// Two streams on different masters: a wait sent to any other node than
	// the stream's master would count the wrong replica.
	first, _ := NewKeys("hookgate", "events")
	var second Keys
	for _, name := range []string{"orders", "billing", "audit", "crm", "shop", "mail", "ops"} {
		k, _ := NewKeys("hookgate", name)
		if masterOf(t, rdb, k.Stream()) != masterOf(t, rdb, first.Stream()) {
			second = k
			break
		}
	}
	if second == (Keys{}) {
		t.Fatal("no stream name of the list lands on another master")
	}
	replicaOf := func(keys Keys) (*redistest.Server, *redis.Client) {
		r := cluster.ReplicaOf(t, cluster.Node(t, masterOf(t, rdb, keys.Stream())))
		c := redis.NewClient(&redis.Options{Addr: r.Addr, OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			return cn.ReadOnly(ctx).Err()
		}})
		t.Cleanup(func() { c.Close() })
		return r, c
	}
	firstReplica, onFirstReplica := replicaOf(first)
	_, onSecondReplica := replicaOf(second)

	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys := []Keys{first, second}[i%2]
			got, err := a.Append(ctx, keys, time.Hour, stored(fmt.Sprintf("evt_c%d", i)))
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
	for _, c := range []struct {
		keys Keys
		on   *redis.Client
	}{{first, onFirstReplica}, {second, onSecondReplica}} {
		if n, err := c.on.XLen(ctx, c.keys.Stream()).Result(); err != nil || n != 20 {
			t.Fatalf("right after the 202s the replica of %s holds %d entries (%v), want 20", c.keys.Stream(), n, err)
		}
	}

	// One batch after another, so that a wait sent to whichever master
	// comes next would be seen answering for the wrong one.
	firstReplica.Stop()
	for i := range 6 {
		id := fmt.Sprintf("evt_alone%d", i)
		if _, err := a.Append(ctx, first, time.Hour, stored(id)); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "0 of 1 replicas") {
			t.Fatalf("%s %s with its master's replica down: %v, want ErrUnavailable naming the replicas", first.Stream(), id, err)
		}
		id = fmt.Sprintf("evt_other%d", i)
		if got, err := a.Append(ctx, second, time.Hour, stored(id)); err != nil || got != Accepted {
			t.Fatalf("%s %s, whose master keeps its replica: %v, %v; want Accepted", second.Stream(), id, got, err)
		}
	}

	firstReplica.Restart()
	firstReplica.WaitLinked()
	cluster.Node(t, masterOf(t, rdb, first.Stream())).WaitReplicaOnline()
	if got, err := a.Append(ctx, first, time.Hour, stored("evt_alone0")); err != nil || got != Duplicate {
		t.Fatalf("the retry: %v, %v; want Duplicate", got, err)
	}
	if n := onFirstReplica.XLen(ctx, first.Stream()).Val(); n != 26 {
		t.Fatalf("the replica of %s holds %d entries, want 26", first.Stream(), n)
	}
}
