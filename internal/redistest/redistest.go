// Package redistest runs a real redis-server on a free loopback port for a
// test. A machine without redis-server fails the test: CI installs it, and a
// skipped test would prove nothing.
package redistest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one redis-server process owned by a test.
type Server struct {
	Addr string // host:port on loopback
	dir  string
	cmd  *exec.Cmd
	t    testing.TB
	args []string // added to every start, e.g. cluster mode
	// probe is the key WaitReplicaOnline writes; in a Cluster, one of
	// the node's shard. Default redistest:probe.
	probe string
	// auth, when set, are AUTH's arguments, sent before each command of
	// Do and Bulk (a sentinel that asks for a password).
	auth []string
}

// Start launches redis-server and waits until it answers PING. It is stopped
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t)
}

func start(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is required (apt-get install -y redis-server): %v", err)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))), dir: t.TempDir(), t: t, args: args}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// URL is the go-redis URL of the server.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Stop kills the server; data not persisted is gone, as after a crash.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port after Stop, with the
// append-only file it left, so what was acknowledged is still there.
func (s *Server) Restart() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command("redis-server",
		"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "no", "--protected-mode", "no")
	s.cmd.Args = append(s.cmd.Args, s.args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("starting redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		reply, err := s.Do("PING")
		if err == nil && reply == "+PONG" {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server on %s did not answer PING: %v %q", s.Addr, err, reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Do sends one inline command and returns the first reply line, for checks
// that need no client library.
func (s *Server) Do(args ...string) (string, error) {
	var line string
	err := s.roundTrip(args, func(r *bufio.Reader) (err error) {
		line, err = r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		return err
	})
	return line, err
}

// roundTrip sends one command on a connection of its own and hands the
// reply to read.
func (s *Server) roundTrip(args []string, read func(*bufio.Reader) error) error {
	return s.roundTripRaw(command(args), read)
}

// roundTripRaw sends encoded commands on a connection of their own and
// hands the replies to read.
func (s *Server) roundTripRaw(cmds []byte, read func(*bufio.Reader) error) error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if s.auth != nil {
		cmds = append(command(append([]string{"AUTH"}, s.auth...)), cmds...)
	}
	if _, err := c.Write(cmds); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	if s.auth != nil {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if line != "+OK\r\n" {
			return fmt.Errorf("AUTH: %s", strings.TrimSpace(line))
		}
	}
	return read(r)
}

// command encodes args as one RESP command.
func command(args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// FreePort asks the kernel for a loopback port nobody listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartReplica launches a redis-server replicating master and waits until
// the master's WAIT sees it. Stop and Restart it to take it away and bring
// it back; it is stopped when the test ends.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	// A full sync would otherwise wait 5 s for more replicas to join.
	if reply, err := master.Do("CONFIG", "SET", "repl-diskless-sync-delay", "0"); err != nil || reply != "+OK" {
		t.Fatalf("setting the master's sync delay: %v %q", err, reply)
	}
	host, port, _ := net.SplitHostPort(master.Addr)
	r := start(t, "--replicaof", host, port)
	r.WaitLinked()
	master.WaitReplicaOnline()
	return r
}

// RestartAsReplicaOf starts s again after Stop, with the data it left, as
// a replica of master (a killed master returning after a failover), and
// waits until master's WAIT sees it.
func (s *Server) RestartAsReplicaOf(master *Server) {
	s.t.Helper()
	if reply, err := master.Do("CONFIG", "SET", "repl-diskless-sync-delay", "0"); err != nil || reply != "+OK" {
		s.t.Fatalf("setting the master's sync delay: %v %q", err, reply)
	}
	host, port, _ := net.SplitHostPort(master.Addr)
	s.args = append(s.args, "--replicaof", host, port)
	s.Restart()
	s.WaitLinked()
	master.WaitReplicaOnline()
}

// WaitReplicaOnline waits until a replica of the master s acknowledges a
// write: what a WAIT needs. The replica's side of the link comes up first,
// and a restarted replica's old entry can linger on the master, so the
// write and its WAIT themselves are the probe.
func (s *Server) WaitReplicaOnline() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var acked string
		probe := s.probe
		if probe == "" {
			probe = "redistest:probe"
		}
		err := s.roundTripRaw(append(command([]string{"SET", probe, "1"}), command([]string{"WAIT", "1", "200"})...),
			func(r *bufio.Reader) error {
				if _, err := r.ReadString('\n'); err != nil {
					return err
				}
				line, err := r.ReadString('\n')
				acked = strings.TrimRight(line, "\r\n")
				return err
			})
		if err == nil && acked == ":1" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no replica of %s acknowledged a write: %v %q", s.Addr, err, acked)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitInfo waits until INFO section of s contains want.
func (s *Server) waitInfo(section, want string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := s.Bulk("INFO", section)
		if err == nil && strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server %s: INFO %s never showed %q: %v %q", s.Addr, section, want, err, info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitLinked waits until a replica reports its master link up.
func (s *Server) WaitLinked() {
	s.t.Helper()
	s.waitInfo("replication", "master_link_status:up")
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

// Strings sends one command and returns its reply as strings: the elements
// of an array of bulk strings (nil elements as ""), or the one line of any
// other reply.
func (s *Server) Strings(args ...string) ([]string, error) {
	var out []string
	err := s.roundTrip(args, func(r *bufio.Reader) error {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		n, err := strconv.Atoi(strings.TrimPrefix(line, "*"))
		if !strings.HasPrefix(line, "*") || err != nil {
			out = []string{line}
			return nil
		}
		for range n {
			head, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			size, err := strconv.Atoi(strings.TrimPrefix(strings.TrimRight(head, "\r\n"), "$"))
			if err != nil || size < 0 {
				out = append(out, "")
				continue
			}
			b := make([]byte, size+2)
			if _, err := io.ReadFull(r, b); err != nil {
				return err
			}
			out = append(out, string(b[:size]))
		}
		return nil
	})
	return out, err
}
