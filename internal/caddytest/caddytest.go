// Package caddytest builds Caddy with Hookgate once and runs it from a real
// Caddyfile against a real redis-server, for the test packages under tests/.
package caddytest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Build compiles cmd/caddy into dir and returns the binary's path. A test
// package calls it once from TestMain.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "caddy")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/hookgate/caddy-hookgate/cmd/caddy")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return bin, cmd.Run()
}

// Main is a TestMain that builds Caddy into *bin, runs the tests and
// removes the build.
func Main(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "hookgate-caddy")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *bin, err = Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building caddy:", err)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		code = checkLeaks()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// Caddy is one Caddy process serving a test's Caddyfile.
type Caddy struct {
	Base      string // http://127.0.0.1:port
	Port      int
	AdminAddr string
	Dir       string
	bin       string
	redisURL  string
	cmd       *exec.Cmd
	exited    chan struct{} // closed once cmd has been waited for
	Log       *SyncBuffer
}

// Start runs site (the directives of one site block) behind a global block
// pointing hookgate at redisURL, with hookgateOpts inside that block, and
// waits until it serves.
func Start(t testing.TB, bin, redisURL, hookgateOpts, site string) *Caddy {
	t.Helper()
	return Launch(t, bin, redistest.FreePort(t), redisURL, func(c *Caddy) string { return c.Caddyfile(hookgateOpts, site) })
}

// Launch runs the Caddyfile that config writes for c (its ports and
// folder are set) on port, and waits until it serves.
func Launch(t testing.TB, bin string, port int, redisURL string, config func(c *Caddy) string) *Caddy {
	t.Helper()
	c := &Caddy{
		Base:      fmt.Sprintf("http://127.0.0.1:%d", port),
		Port:      port,
		AdminAddr: fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t)),
		Dir:       t.TempDir(),
		bin:       bin,
		redisURL:  redisURL,
		Log:       &SyncBuffer{},
	}
	path := filepath.Join(c.Dir, "Caddyfile")
	cfg := config(c)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	watch(c.Log, cfg)
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("caddy log:\n%s\nCaddyfile:\n%s", c.Log.String(), cfg)
		}
	})
	c.Restart(t)
	return c
}

// Restart runs Caddy again from the Caddyfile Start wrote, after Stop or
// Kill, and waits until it serves.
func (c *Caddy) Restart(t testing.TB) {
	t.Helper()
	c.cmd = exec.Command(c.bin, "run", "--config", filepath.Join(c.Dir, "Caddyfile"), "--adapter", "caddyfile")
	c.cmd.Env = append(os.Environ(), "HOME="+c.Dir, "XDG_DATA_HOME="+c.Dir, "XDG_CONFIG_HOME="+c.Dir)
	c.cmd.Stdout, c.cmd.Stderr = c.Log, c.Log
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("starting caddy: %v", err)
	}
	exited, cmd := make(chan struct{}), c.cmd
	c.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	WaitFor(t, 30*time.Second, "caddy to serve "+c.Base, func() bool {
		select {
		case <-exited:
			t.Fatalf("caddy exited before serving:\n%s", c.Log.String())
		default:
		}
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(c.Base, "http://"), 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
}

// Kill ends Caddy with SIGKILL, as a crash or the OOM killer would.
func (c *Caddy) Kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	c.cmd = nil
}

// Caddyfile is the whole config Start runs, for a reload with other options.
// The site answers any host name, so tests can send their own.
func (c *Caddy) Caddyfile(hookgateOpts, site string) string {
	return Config(c.AdminAddr, c.Port, c.redisURL, fmt.Sprintf("http://:%d", c.Port), hookgateOpts, site)
}

// Config is a whole Caddyfile: admin on admin, HTTP on port, hookgate on
// redisURL with hookgateOpts, and one site at address with site inside.
func Config(admin string, port int, redisURL, address, hookgateOpts, site string) string {
	return ConfigWith(admin, port, "redis "+redisURL, address, hookgateOpts, site)
}

// ConfigWith is Config with the hookgate block's connection lines given
// whole, e.g. "redis_cluster 127.0.0.1:7000 127.0.0.1:7001" or
// "redis_sentinel mymaster 127.0.0.1:26379\n\t\tpassword {env.P}".
func ConfigWith(admin string, port int, connection, address, hookgateOpts, site string) string {
	// debug: the whole run's logs, DEBUG lines included, are checked for
	// every configured secret (checkLeaks).
	return fmt.Sprintf(`{
	debug
	admin %s
	http_port %d
	auto_https off
	persist_config off
	hookgate {
		%s
		%s
	}
}

%s {
%s
}
`, admin, port, connection, hookgateOpts, address, site)
}

// Reload loads a new site and hookgate block through the admin endpoint
// and waits until probe answers 200 on the new config.
func (c *Caddy) Reload(t testing.TB, hookgateOpts, site, probe string) {
	t.Helper()
	site += "\n\trespond " + probe + " 200"
	cfg := c.Caddyfile(hookgateOpts, site)
	watch(nil, cfg)
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.AdminAddr+"/load", strings.NewReader(cfg))
	req.Header.Set("Content-Type", "text/caddyfile")
	if status, _, reply := Do(t, req); status != 200 {
		t.Fatalf("reload: %d %s", status, reply)
	}
	// The old config's server closes its idle connections: probe on new
	// ones, and take a refused or cut probe as "not yet".
	http.DefaultClient.CloseIdleConnections()
	WaitFor(t, 10*time.Second, "the reloaded config to serve", func() bool {
		r, _ := http.NewRequest(http.MethodGet, c.Base+probe, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	http.DefaultClient.CloseIdleConnections()
}

// PID is the Caddy process id, for reading its memory.
func (c *Caddy) PID() int { return c.cmd.Process.Pid }

// RSS is Caddy's resident memory in bytes.
func (c *Caddy) RSS(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.PID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// Alive reports whether the process is still running.
func (c *Caddy) Alive() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// Stop ends Caddy with SIGTERM, or SIGKILL after 10 s.
func (c *Caddy) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
}

// Post sends body to path with header and returns status, headers and body.
func (c *Caddy) Post(t testing.TB, path string, header http.Header, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v[0]
			continue
		}
		req.Header[k] = v
	}
	return Do(t, req)
}

// Do sends req with the default client.
func Do(t testing.TB, req *http.Request) (int, http.Header, string) {
	t.Helper()
	return DoWith(t, http.DefaultClient, req)
}

// DoWith is Do through a client of the test's own (cookies, redirects).
func DoWith(t testing.TB, client *http.Client, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.String()
}

// WaitFor polls cond until it holds or the deadline passes.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// SyncBuffer collects a child's output while tests read it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
