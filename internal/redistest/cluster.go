package redistest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of three masters, with a replica each or
// none, each node a redis-server owned by the test.
type Cluster struct {
	Nodes []*Server
}

// StartCluster launches three redis-server processes in cluster mode,
// joins them with redis-cli --cluster create and waits until every node
// reports cluster_state:ok. They are stopped when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 0, "5000")
}

// StartClusterWithReplicas is StartCluster with a replica per master (six
// processes) and a cluster-node-timeout of 1 s, so that a killed master's
// replica is promoted within a few seconds. It returns once every master's
// replica acknowledges a write (WAIT 1 on the master).
func StartClusterWithReplicas(t testing.TB) *Cluster {
	t.Helper()
	return startCluster(t, 1, "1000")
}

func startCluster(t testing.TB, replicas int, nodeTimeout string) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is required (apt-get install -y redis-server): %v", err)
	}
	c := &Cluster{}
	n := 3 * (1 + replicas)
	create := []string{"--cluster", "create"}
	for range n {
		s := start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", nodeTimeout,
			// A replica that lost its master fails over however long its
			// link was down, and a full sync starts at once.
			"--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0")
		c.Nodes = append(c.Nodes, s)
		create = append(create, s.Addr)
	}
	create = append(create, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command("redis-cli", create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Nodes {
		for {
			info, err := s.Bulk("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok: %v %q", s.Addr, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if replicas == 0 {
		return c
	}
	// Every node must also have heard which replica follows which master.
	for _, s := range c.Nodes {
		for !c.paired(s) {
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s does not see a replica for every master", s.Addr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, m := range c.Masters(t) {
		r := c.ReplicaOf(t, m)
		// The probe write of WaitReplicaOnline must hash to the shard.
		m.probe = c.keyOn(t, m)
		r.probe = m.probe
		r.WaitLinked()
		m.WaitReplicaOnline()
	}
	return c
}

// keyOn is a key that hashes to a slot master serves.
func (c *Cluster) keyOn(t testing.TB, master *Server) string {
	t.Helper()
	var slots [][2]int
	for _, n := range c.nodes(t) {
		if n.addr == master.Addr {
			slots = n.slots
		}
	}
	for i := range 1000 {
		key := "redistest:probe:" + strconv.Itoa(i)
		reply, err := master.Do("CLUSTER", "KEYSLOT", key)
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT on %s: %v", master.Addr, err)
		}
		slot, _ := strconv.Atoi(strings.TrimPrefix(reply, ":"))
		for _, r := range slots {
			if slot >= r[0] && slot <= r[1] {
				return key
			}
		}
	}
	t.Fatalf("no probe key hashes to a slot of %s", master.Addr)
	return ""
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, master string // master: the id of a replica's master, else "-"
	isMaster, failed bool
	slots            [][2]int
}

// nodes reads CLUSTER NODES from the first node that answers, as that
// node sees the cluster.
func (c *Cluster) nodes(t testing.TB) []clusterNode {
	t.Helper()
	var text string
	var err error
	for _, s := range c.Nodes {
		if text, err = s.Bulk("CLUSTER", "NODES"); err == nil && !strings.HasPrefix(text, "-") {
			break
		}
	}
	if err != nil || strings.HasPrefix(text, "-") {
		t.Fatalf("no cluster node answers CLUSTER NODES: %v %q", err, text)
	}
	return parseNodes(text)
}

// parseNodes reads the text of CLUSTER NODES.
func parseNodes(text string) []clusterNode {
	var out []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		n := clusterNode{id: f[0], addr: addr, master: f[3]}
		for _, flag := range strings.Split(f[2], ",") {
			switch flag {
			case "master":
				n.isMaster = true
			case "fail", "fail?":
				n.failed = true
			}
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated
			}
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, _ := strconv.Atoi(lo)
			b, _ := strconv.Atoi(hi)
			n.slots = append(n.slots, [2]int{a, b})
		}
		out = append(out, n)
	}
	return out
}

// paired reports whether s sees three masters, each followed by a replica.
func (c *Cluster) paired(s *Server) bool {
	text, err := s.Bulk("CLUSTER", "NODES")
	if err != nil {
		return false
	}
	nodes := parseNodes(text)
	masters := 0
	for _, m := range nodes {
		if !m.isMaster || len(m.slots) == 0 {
			continue
		}
		masters++
		followed := false
		for _, r := range nodes {
			followed = followed || r.master == m.id
		}
		if !followed {
			return false
		}
	}
	return masters == 3
}

// Node is the test's server listening on addr.
func (c *Cluster) Node(t testing.TB, addr string) *Server {
	t.Helper()
	for _, s := range c.Nodes {
		if s.Addr == addr {
			return s
		}
	}
	t.Fatalf("no cluster node listens on %s", addr)
	return nil
}

// Masters are the nodes serving slots, as the cluster sees them now.
func (c *Cluster) Masters(t testing.TB) []*Server {
	t.Helper()
	var out []*Server
	for _, n := range c.nodes(t) {
		if n.isMaster && len(n.slots) > 0 && !n.failed {
			out = append(out, c.Node(t, n.addr))
		}
	}
	return out
}

// ReplicaOf is the replica of master, as the cluster sees it now.
func (c *Cluster) ReplicaOf(t testing.TB, master *Server) *Server {
	t.Helper()
	nodes := c.nodes(t)
	for _, m := range nodes {
		if m.addr != master.Addr {
			continue
		}
		for _, r := range nodes {
			if r.master == m.id {
				return c.Node(t, r.addr)
			}
		}
	}
	t.Fatalf("cluster node %s has no replica", master.Addr)
	return nil
}

// WaitPromoted waits until the slots old served are served by another node
// that reports itself a master (old was killed and its replica took over)
// and every live node says cluster_state:ok, and returns that node.
func (c *Cluster) WaitPromoted(t testing.TB, old *Server, limit time.Duration) *Server {
	t.Helper()
	var slots [][2]int
	for _, n := range c.nodes(t) {
		if n.addr == old.Addr {
			slots = n.slots
		}
	}
	if len(slots) == 0 {
		t.Fatalf("cluster node %s serves no slot", old.Addr)
	}
	deadline := time.Now().Add(limit)
	for {
		if s := c.servingMaster(t, old, slots[0][0]); s != nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no node took over the slots of %s within %s: %+v", old.Addr, limit, c.nodes(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// servingMaster is the live node other than old that serves slot, says it
// is a master and sees the cluster ok, or nil.
func (c *Cluster) servingMaster(t testing.TB, old *Server, slot int) *Server {
	t.Helper()
	for _, n := range c.nodes(t) {
		if n.addr == old.Addr || !n.isMaster || n.failed {
			continue
		}
		for _, r := range n.slots {
			if slot < r[0] || slot > r[1] {
				continue
			}
			s := c.Node(t, n.addr)
			if role, err := s.Bulk("INFO", "replication"); err != nil || !strings.Contains(role, "role:master") {
				return nil
			}
			for _, live := range c.Nodes {
				if live == old || live.cmd == nil {
					continue
				}
				if info, err := live.Bulk("CLUSTER", "INFO"); err != nil || !strings.Contains(info, "cluster_state:ok") {
					return nil
				}
			}
			return s
		}
	}
	return nil
}

// Addrs are the nodes' host:port, the seeds a cluster client takes.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		addrs[i] = s.Addr
	}
	return addrs
}
