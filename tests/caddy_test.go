// Package tests runs the built Caddy, with Hookgate, against a real
// redis-server, the way users run it.
package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// caddyBin is the Caddy built once for the whole package by TestMain.
var caddyBin string

func TestMain(m *testing.M) { caddytest.Main(m, &caddyBin) }

// caddy is one Caddy process serving a test's Caddyfile, on a site bound
// to 127.0.0.1.
type caddy struct{ *caddytest.Caddy }

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
	return startCaddyWith(t, port, func(c *caddy) string { return c.caddyfile(port, redisURL, hookgateOpts, site) })
}

// startCaddyWith runs the Caddyfile config writes for c.
func startCaddyWith(t *testing.T, port int, config func(c *caddy) string) *caddy {
	t.Helper()
	return &caddy{caddytest.Launch(t, caddyBin, port, "", func(cc *caddytest.Caddy) string { return config(&caddy{cc}) })}
}

func (c *caddy) caddyfile(port int, redisURL, hookgateOpts, site string) string {
	return caddytest.Config(c.AdminAddr, port, redisURL, fmt.Sprintf("http://127.0.0.1:%d", port), hookgateOpts, site)
}

// post sends body to path with headers and returns status, headers and body.
func (c *caddy) post(t *testing.T, path string, header http.Header, body []byte) (int, http.Header, string) {
	t.Helper()
	return c.Post(t, path, header, body)
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	return caddytest.Do(t, req)
}

// doWith is do through a client of the test's own (cookies, redirects).
func doWith(t *testing.T, c *http.Client, req *http.Request) (int, http.Header, string) {
	t.Helper()
	return caddytest.DoWith(t, c, req)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	caddytest.WaitFor(t, limit, what, cond)
}
