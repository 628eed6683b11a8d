package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// failoverRelay delivers to to with a short attempt timeout and
// claim_after, so that entries a killed master's consumer group still held
// are taken over within seconds.
func failoverRelay(to string) string {
	return relayOpts(to, "timeout 1s\n\t\t\tclaim_after 2s")
}

// A provider sends without pause while the master of the stream's slot is
// killed with SIGKILL and its replica promoted. With durability replicas 1
// a 202 waited for that replica, so nothing answered 202 is lost; while the
// slot has no master, and then no replica, ingest answers 503 with
// Retry-After, and 202 again once the killed node is back as the new
// master's replica.
func TestClusterMasterFailoverLosesNoAcceptedEvent(t *testing.T) {
	cluster := redistest.StartClusterWithReplicas(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	const stream = "hookgate:{events}"
	node, err := rdb.MasterForKey(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	old := cluster.Node(t, node.Options().Addr)
	s := newSink(t)
	c := startCaddyConn(t, "redis_cluster "+strings.Join(cluster.Addrs(), " "),
		"durability replicas 1 500ms\n\t\t"+failoverRelay(s.URL), stripeRoute)

	p := startProvider(t, c, "cluster", 2)
	waitFor(t, 20*time.Second, "50 events accepted before the failover", func() bool { return p.count(202) >= 50 })
	before503 := p.count(503)
	old.Stop() // SIGKILL
	waitFor(t, 20*time.Second, "ingest to answer 503 while the master is gone", func() bool { return p.count(503) > before503 })
	promoted := cluster.WaitPromoted(t, old, 20*time.Second)
	t.Logf("%s killed, %s promoted", old.Addr, promoted.Addr)

	// The killed node comes back and rejoins as the new master's replica,
	// so a WAIT 1 can be satisfied again.
	old.Restart()
	old.WaitLinked()
	promoted.WaitReplicaOnline()
	after := p.count(202)
	waitFor(t, 20*time.Second, "50 events accepted after the failover", func() bool { return p.count(202) >= after+50 })

	onNew := redis.NewClient(&redis.Options{Addr: promoted.Addr})
	t.Cleanup(func() { onNew.Close() })
	checkStoredAndDelivered(t, p, onNew, stream, s)
}

// A provider sends without pause while Sentinel's master is killed with
// SIGKILL; three sentinels promote its replica and Caddy's failover client
// follows. With durability replicas 1 every 202 is on the promoted replica
// and is delivered; 503s are retried by the provider until stored.
func TestSentinelFailoverLosesNoAcceptedEvent(t *testing.T) {
	sentinel := redistest.StartSentinelWith(t, redistest.SentinelOptions{Replicas: 1, Sentinels: 3, DownAfter: time.Second})
	s := newSink(t)
	c := startCaddyConn(t, "redis_sentinel "+sentinel.MasterName+" "+strings.Join(sentinel.Addrs, " "),
		"durability replicas 1 500ms\n\t\t"+failoverRelay(s.URL), stripeRoute)

	p := startProvider(t, c, "sentinel", 2)
	waitFor(t, 20*time.Second, "50 events accepted before the failover", func() bool { return p.count(202) >= 50 })
	before503 := p.count(503)
	old := sentinel.Master
	old.Stop() // SIGKILL
	waitFor(t, 20*time.Second, "ingest to answer 503 while the master is gone", func() bool { return p.count(503) > before503 })
	promoted := sentinel.WaitPromoted(t, old, 30*time.Second)
	t.Logf("%s killed, %s promoted", old.Addr, promoted.Addr)

	// The killed master comes back as the new master's replica, so a
	// WAIT 1 can be satisfied again.
	old.RestartAsReplicaOf(promoted)
	after := p.count(202)
	waitFor(t, 20*time.Second, "50 events accepted after the failover", func() bool { return p.count(202) >= after+50 })

	onNew := redis.NewClient(&redis.Options{Addr: promoted.Addr})
	t.Cleanup(func() { onNew.Close() })
	checkStoredAndDelivered(t, p, onNew, "hookgate:{events}", s)
}
