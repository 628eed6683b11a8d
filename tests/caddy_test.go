// Package tests runs the built Caddy, with Hookgate, against a real
// redis-server, the way users run it.
package tests

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// caddyBin is the Caddy built once for the whole package by TestMain.
var caddyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hookgate-caddy")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	caddyBin = filepath.Join(dir, "caddy")
	build := exec.Command("go", "build", "-o", caddyBin, "../cmd/caddy")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building caddy:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// caddy is one Caddy process serving a test's Caddyfile.
type caddy struct {
	Base      string // http://127.0.0.1:port
	Port      int
	AdminAddr string
	dir       string
	cmd       *exec.Cmd
	log       *syncBuffer
}

// startCaddy runs site (the directives of one site block) behind a global
// block pointing hookgate at redisURL, and waits until it serves.
func startCaddy(t *testing.T, redisURL, hookgateOpts, site string) *caddy {
	t.Helper()
	return startCaddyOn(t, redistest.FreePort(t), redisURL, hookgateOpts, site)
}

// startCaddyOn is startCaddy on a port chosen beforehand, for a config
// that names its own address (a relay delivering to the same Caddy).
func startCaddyOn(t *testing.T, port int, redisURL, hookgateOpts, site string) *caddy {
	t.Helper()
	c := &caddy{
		Base:      fmt.Sprintf("http://127.0.0.1:%d", port),
		Port:      port,
		AdminAddr: fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t)),
		dir:       t.TempDir(),
		log:       &syncBuffer{},
	}
	cfg := c.caddyfile(port, redisURL, hookgateOpts, site)
	path := filepath.Join(c.dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	c.cmd.Env = append(os.Environ(), "HOME="+c.dir, "XDG_DATA_HOME="+c.dir, "XDG_CONFIG_HOME="+c.dir)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting caddy: %v", err)
	}
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("caddy log:\n%s", c.log.String())
		}
	})
	waitFor(t, 30*time.Second, "caddy to serve "+c.Base, func() bool {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(c.Base, "http://"), 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	return c
}

func (c *caddy) caddyfile(port int, redisURL, hookgateOpts, site string) string {
	return fmt.Sprintf(`{
	admin %s
	http_port %d
	auto_https off
	persist_config off
	hookgate {
		redis %s
		%s
	}
}

http://127.0.0.1:%d {
%s
}
`, c.AdminAddr, port, redisURL, hookgateOpts, port, site)
}

func (c *caddy) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	c.cmd = nil
}

// post sends body to path with headers and returns status, headers and body.
func (c *caddy) post(t *testing.T, path string, header http.Header, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	return doWith(t, http.DefaultClient, req)
}

// doWith is do through a client of the test's own (cookies, redirects).
func doWith(t *testing.T, c *http.Client, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer collects a child's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
