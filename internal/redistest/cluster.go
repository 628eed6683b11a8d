package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of three masters without replicas, each a
// redis-server owned by the test.
type Cluster struct {
	Nodes []*Server
}

// StartCluster launches three redis-server processes in cluster mode,
// joins them with redis-cli --cluster create and waits until every node
// reports cluster_state:ok. They are stopped when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is required (apt-get install -y redis-server): %v", err)
	}
	c := &Cluster{}
	create := []string{"--cluster", "create"}
	for range 3 {
		s := start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		c.Nodes = append(c.Nodes, s)
		create = append(create, s.Addr)
	}
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Nodes {
		for {
			info, err := s.Bulk("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok: %v %q", s.Addr, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return c
}

// Addrs are the nodes' host:port, the seeds a cluster client takes.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		addrs[i] = s.Addr
	}
	return addrs
}

// Sentinel is a master redis-server watched by one redis-sentinel as
// MasterName.
type Sentinel struct {
	Master     *Server
	Addr       string // the sentinel's host:port
	MasterName string
	cmd        *exec.Cmd
}

// StartSentinel launches a master and a redis-sentinel monitoring it, and
// waits until the sentinel names the master. A password, unless empty, is
// the master's requirepass (the sentinel authenticates with it; the
// sentinel itself asks none). Both stop when the test ends.
func StartSentinel(t testing.TB, password string) *Sentinel {
	t.Helper()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Fatalf("redis-sentinel is required (apt-get install -y redis-sentinel): %v", err)
	}
	master := Start(t)
	_, mport, _ := net.SplitHostPort(master.Addr)
	port := strconv.Itoa(FreePort(t))
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	cfg := fmt.Sprintf("port %s\nbind 127.0.0.1\nprotected-mode no\ndir %s\nsentinel monitor mymaster 127.0.0.1 %s 1\n", port, dir, mport)
	if password != "" {
		if reply, err := master.Do("CONFIG", "SET", "requirepass", password); err != nil || reply != "+OK" {
			t.Fatalf("setting the master's password: %v %q", err, reply)
		}
		cfg += fmt.Sprintf("sentinel auth-pass mymaster %s\n", password)
	}
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Sentinel{Master: master, Addr: net.JoinHostPort("127.0.0.1", port), MasterName: "mymaster"}
	s.cmd = exec.Command(bin, conf)
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting redis-sentinel: %v", err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
	probe := &Server{Addr: s.Addr}
	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err := probe.Do("SENTINEL", "get-master-addr-by-name", s.MasterName)
		if err == nil && reply == "*2" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-sentinel on %s does not name %s: %v %q", s.Addr, s.MasterName, err, reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Bulk sends one command and returns its bulk string reply (INFO,
// CLUSTER INFO), or the first line of any other reply.
func (s *Server) Bulk(args ...string) (string, error) {
	var out string
	err := s.roundTrip(args, func(r *bufio.Reader) error {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		n, err := strconv.Atoi(strings.TrimPrefix(line, "$"))
		if !strings.HasPrefix(line, "$") || err != nil || n < 0 {
			out = line
			return nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		out = string(b[:n])
		return nil
	})
	return out, err
}
