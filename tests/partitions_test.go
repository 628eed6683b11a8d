package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

func partitioned(n int) string {
	return fmt.Sprintf("stream events {\n\t\t\tpartitions %d\n\t\t}", n)
}

// postStored sends one signed event and returns the status.
func postEvent(t *testing.T, c *caddy, id string) int {
	t.Helper()
	body := stripeEvent(id)
	status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
	if status != 200 && status != 202 {
		t.Fatalf("%s: %d %s", id, status, reply)
	}
	return status
}

func TestPartitionsSpreadOverTheMastersOfACluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	s := newSink(t)
	c := startCaddyConn(t, "redis_cluster "+strings.Join(cluster.Addrs(), " "), partitioned(6)+"\n\t\t"+relayOpts(s.URL, ""), stripeRoute)
	const n = 120
	for i := range n {
		if status := postEvent(t, c, fmt.Sprintf("evt_%03d", i)); status != 202 {
			t.Fatalf("event %d: %d", i, status)
		}
	}
	waitFor(t, 30*time.Second, "every event at the target", func() bool { got, _ := s.got(); return len(got) == n })
	got, _ := s.got()
	for k, v := range got {
		if v != 1 {
			t.Fatalf("%s delivered %d times", k, v)
		}
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	defer rdb.Close()
	ctx := context.Background()
	base, _ := relay.NewKeys("hookgate", "events")
	masters := map[string]int64{}
	var total int64
	for p := range 6 {
		key := base.Partition(p).Stream()
		length := rdb.XLen(ctx, key).Val()
		master, err := rdb.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		masters[master.Options().Addr] += length
		total += length
	}
	if total != n {
		t.Fatalf("the partitions hold %d entries, want %d", total, n)
	}
	if len(masters) < 2 {
		t.Fatalf("every partition is on one master: %v", masters)
	}
	t.Logf("entries per master: %v", masters)
}

func TestChangingPartitionsFrom1To4LosesNothingAndLetsNoDuplicateIn(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	s.holdRequests() // a backlog: nothing is finished while the layout changes
	opts := relayOpts(s.URL, "claim_after 2s\n\t\t\ttimeout 1s")
	one := startCaddy(t, srv.URL(), opts, stripeRoute)
	const n = 150
	for i := range n {
		if status := postEvent(t, one, fmt.Sprintf("evt_%03d", i)); status != 202 {
			t.Fatalf("event %d under 1 partition: %d", i, status)
		}
	}
	// A rolling change: a process with 4 partitions joins the one with 1.
	four := startCaddy(t, srv.URL(), partitioned(4)+"\n\t\t"+opts, stripeRoute)
	for i := range n {
		if status := postEvent(t, four, fmt.Sprintf("evt_%03d", i)); status != 200 {
			t.Fatalf("event %d, stored under 1 partition, sent again under 4: %d, want 200", i, status)
		}
	}
	for i := n; i < 2*n; i++ {
		if status := postEvent(t, four, fmt.Sprintf("evt_%03d", i)); status != 202 {
			t.Fatalf("event %d under 4 partitions: %d", i, status)
		}
		if status := postEvent(t, one, fmt.Sprintf("evt_%03d", i)); status != 200 {
			t.Fatalf("event %d, stored under 4 partitions, sent again under 1: %d, want 200", i, status)
		}
	}
	s.release()
	waitFor(t, 60*time.Second, "every event at the target", func() bool { got, _ := s.got(); return len(got) == 2*n })
	one.Kill()
	// The process with 4 partitions drains what the other held, too.
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	base, _ := relay.NewKeys("hookgate", "events")
	waitFor(t, 30*time.Second, "nothing left pending", func() bool {
		for p := range 4 {
			if pe, err := rdb.XPending(ctx, base.Partition(p).Stream(), "wp").Result(); err != nil || pe.Count > 0 {
				return false
			}
		}
		return true
	})
	got, _ := s.got()
	for k, v := range got {
		if v != 1 {
			t.Errorf("%s delivered %d times", k, v)
		}
	}
	var total int64
	spread := 0
	for p := range 4 {
		l := rdb.XLen(ctx, base.Partition(p).Stream()).Val()
		total += l
		if l > 0 {
			spread++
		}
	}
	if total != 2*n || spread < 3 {
		t.Fatalf("%d entries over %d partitions, want %d over all 4", total, spread, 2*n)
	}
	// The admin view adds the partitions up.
	var stats adminStats
	if status, reply := adminCall(t, four, "GET", "/hookgate/stats", "", &stats); status != 200 || len(stats.Streams) != 1 ||
		stats.Streams[0].Length != 2*n || len(stats.Streams[0].Relays) != 1 || stats.Streams[0].Relays[0].Lag != 0 {
		t.Fatalf("stats of the partitioned stream: %d %s", status, reply)
	}
}

func TestThreeProcessesSharingAClusterDeliverEachEventOnce(t *testing.T) {
	cluster := redistest.StartCluster(t)
	s := newSink(t)
	conn := "redis_cluster " + strings.Join(cluster.Addrs(), " ")
	opts := partitioned(6) + "\n\t\t" + relayOpts(s.URL, "")
	cs := []*caddy{
		startCaddyConn(t, conn, opts, stripeRoute),
		startCaddyConn(t, conn, opts, stripeRoute),
		startCaddyConn(t, conn, opts, stripeRoute),
	}
	const n = 300
	for i := range n {
		if status := postEvent(t, cs[i%3], fmt.Sprintf("evt_%03d", i)); status != 202 {
			t.Fatalf("event %d: %d", i, status)
		}
	}
	waitFor(t, 30*time.Second, "every event at the target", func() bool { got, _ := s.got(); return len(got) == n })
	// Whatever is still in flight lands before the count is read.
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	defer rdb.Close()
	ctx := context.Background()
	base, _ := relay.NewKeys("hookgate", "events")
	waitFor(t, 30*time.Second, "nothing left pending", func() bool {
		for p := range 6 {
			if pe, err := rdb.XPending(ctx, base.Partition(p).Stream(), "wp").Result(); err != nil || pe.Count > 0 {
				return false
			}
		}
		return true
	})
	got, bad := s.got()
	if len(bad) > 0 {
		t.Fatalf("deliveries the official library rejects: %v", bad)
	}
	for k, v := range got {
		if v != 1 {
			t.Errorf("%s delivered %d times by three processes in one group", k, v)
		}
	}
}
