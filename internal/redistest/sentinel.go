package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Sentinel is a master redis-server, its replicas, and the redis-sentinel
// processes that watch it as MasterName.
type Sentinel struct {
	Master     *Server   // the master at start-up
	Replicas   []*Server // its replicas at start-up
	Addr       string    // the first sentinel's host:port
	Addrs      []string  // every sentinel's host:port
	MasterName string
	sentinels  []*Server // probes, authenticated as the sentinels ask
}

// SentinelOptions shape StartSentinelWith. The zero value is one master
// without a password, no replica, one sentinel, Redis's default timings.
type SentinelOptions struct {
	// Password, unless empty, is the master's requirepass; the sentinels
	// authenticate to it. Only without replicas.
	Password string
	// Replicas replicate the master, started before the sentinels.
	Replicas int
	// Sentinels watch the master (default 1), with a quorum of a
	// majority of them.
	Sentinels int
	// DownAfter, when set, is down-after-milliseconds, and twice it the
	// failover-timeout: how soon a killed master is failed over.
	DownAfter time.Duration
	// SentinelPassword, unless empty, is what the sentinels themselves
	// ask: the password of SentinelUsername, an ACL user, or without a
	// username the requirepass of the default user.
	SentinelUsername, SentinelPassword string
}

// StartSentinel launches a master and a redis-sentinel monitoring it, and
// waits until the sentinel names the master. A password, unless empty, is
// the master's requirepass (the sentinel authenticates with it; the
// sentinel itself asks none). Both stop when the test ends.
func StartSentinel(t testing.TB, password string) *Sentinel {
	t.Helper()
	return StartSentinelWith(t, SentinelOptions{Password: password})
}

// StartSentinelWith launches what opts say and waits until every sentinel
// names the master and knows every replica and every other sentinel.
// Everything stops when the test ends.
func StartSentinelWith(t testing.TB, opts SentinelOptions) *Sentinel {
	t.Helper()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Fatalf("redis-sentinel is required (apt-get install -y redis-sentinel): %v", err)
	}
	if opts.Password != "" && opts.Replicas > 0 {
		t.Fatal("redistest: a master password with replicas is not supported")
	}
	n := max(opts.Sentinels, 1)
	s := &Sentinel{Master: Start(t), MasterName: "mymaster"}
	for range opts.Replicas {
		s.Replicas = append(s.Replicas, StartReplica(t, s.Master))
	}
	_, mport, _ := net.SplitHostPort(s.Master.Addr)
	monitor := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %s %d\n", s.MasterName, mport, n/2+1)
	if opts.DownAfter > 0 {
		ms := opts.DownAfter.Milliseconds()
		monitor += fmt.Sprintf("sentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s %d\n", s.MasterName, ms, s.MasterName, 2*ms)
	}
	if opts.Password != "" {
		if reply, err := s.Master.Do("CONFIG", "SET", "requirepass", opts.Password); err != nil || reply != "+OK" {
			t.Fatalf("setting the master's password: %v %q", err, reply)
		}
		monitor += fmt.Sprintf("sentinel auth-pass %s %s\n", s.MasterName, opts.Password)
	}
	var auth []string
	switch {
	case opts.SentinelUsername != "":
		// The sentinels ask each other as that user too.
		monitor += fmt.Sprintf("user default off\nuser %s on >%s allchannels +@all\nsentinel sentinel-user %s\nsentinel sentinel-pass %s\n",
			opts.SentinelUsername, opts.SentinelPassword, opts.SentinelUsername, opts.SentinelPassword)
		auth = []string{opts.SentinelUsername, opts.SentinelPassword}
	case opts.SentinelPassword != "":
		monitor += fmt.Sprintf("requirepass %s\nsentinel sentinel-pass %s\n", opts.SentinelPassword, opts.SentinelPassword)
		auth = []string{opts.SentinelPassword}
	}
	for range n {
		port := strconv.Itoa(FreePort(t))
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		cfg := fmt.Sprintf("port %s\nbind 127.0.0.1\nprotected-mode no\ndir %s\n", port, dir) + monitor
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, conf)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-sentinel: %v", err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		addr := net.JoinHostPort("127.0.0.1", port)
		s.Addrs = append(s.Addrs, addr)
		s.sentinels = append(s.sentinels, &Server{Addr: addr, auth: auth})
	}
	s.Addr = s.Addrs[0]
	want := fmt.Sprintf("name=%s,status=ok,address=%s,slaves=%d,sentinels=%d", s.MasterName, s.Master.Addr, opts.Replicas, n)
	deadline := time.Now().Add(20 * time.Second)
	for _, probe := range s.sentinels {
		for {
			info, err := probe.Bulk("INFO", "sentinel")
			if err == nil && strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis-sentinel on %s does not show %q: %v %q", probe.Addr, want, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s
}

// WaitPromoted waits until every sentinel names another server than old
// as the master and that server says it is one, and returns it: old was
// killed and a replica promoted.
func (s *Sentinel) WaitPromoted(t testing.TB, old *Server, limit time.Duration) *Server {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if m := s.promoted(old); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinels did not promote a replica of %s within %s", old.Addr, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Sentinel) promoted(old *Server) *Server {
	var named string
	for _, probe := range s.sentinels {
		reply, err := probe.Strings("SENTINEL", "get-master-addr-by-name", s.MasterName)
		if err != nil || len(reply) != 2 {
			return nil
		}
		addr := net.JoinHostPort(reply[0], reply[1])
		if addr == old.Addr || named != "" && addr != named {
			return nil
		}
		named = addr
	}
	for _, r := range s.Replicas {
		if r.Addr != named {
			continue
		}
		if info, err := r.Bulk("INFO", "replication"); err == nil && strings.Contains(info, "role:master") {
			return r
		}
	}
	return nil
}
