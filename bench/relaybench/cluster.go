package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// cluster is a Redis Cluster of three masters without replicas, each a
// private redis-server as startRedis starts one (no persistence). It is
// built as internal/redistest.StartCluster builds the tests' cluster:
// redis-cli --cluster create, then every node must report cluster_state:ok.
type cluster struct {
	nodes []*redisServer
}

func startCluster(ctx context.Context) (*cluster, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, fmt.Errorf("redis-cli is required for the cluster runs: %w", err)
	}
	c := &cluster{}
	create := []string{"--cluster", "create"}
	for range 3 {
		s, err := startRedis(ctx, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			c.stop()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
		create = append(create, s.addr)
	}
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(cctx, "redis-cli", create...).CombinedOutput(); err != nil {
		c.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.nodes {
		nc := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
		for {
			info, err := nc.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				nc.Close()
				c.stop()
				return nil, fmt.Errorf("cluster node %s not ok: %v %q", s.addr, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
		nc.Close()
	}
	return c, nil
}

func (c *cluster) addrs() []string {
	a := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		a[i] = s.addr
	}
	return a
}

func (c *cluster) pids() []int {
	p := make([]int, len(c.nodes))
	for i, s := range c.nodes {
		p[i] = s.pid()
	}
	return p
}

func (c *cluster) stop() {
	for _, s := range c.nodes {
		s.stop()
	}
}

// newClusterClient builds a go-redis cluster client the way the hookgate
// app does for redis_cluster (caddymodule/connection.go): bounded
// timeouts, no retries on a node (MOVED and ASK are still followed).
func newClusterClient(addrs []string) *redis.ClusterClient {
	bound := 2 * time.Second
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: addrs, DialTimeout: bound, ReadTimeout: bound, WriteTimeout: bound,
		ContextTimeoutEnabled: true, MaxRetries: -1, ClientName: "relaybench",
	})
}
