// Package hostile attacks the built Caddy with Hookgate as someone who
// captured signed requests would: replays under fresh labels, tenants,
// bad ids and bodies, floods of malformed requests. Every case runs against
// a real redis-server.
package hostile

import (
	"context"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

var caddyBin string

func TestMain(m *testing.M) { caddytest.Main(m, &caddyBin) }

const stream = "hookgate:{events}"

// gateway is one Caddy serving every route of the suite, its Redis and a
// client to read what was stored.
type gateway struct {
	*caddytest.Caddy
	redis *redistest.Server
	rdb   *redis.Client
}

func startGateway(t *testing.T, hookgateOpts, site string) *gateway {
	t.Helper()
	srv := redistest.Start(t)
	g := &gateway{Caddy: caddytest.Start(t, caddyBin, srv.URL(), hookgateOpts, site), redis: srv}
	g.rdb = redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { g.rdb.Close() })
	return g
}

func (g *gateway) entries(t *testing.T) []redis.XMessage {
	t.Helper()
	msgs, err := g.rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func (g *gateway) length(t *testing.T) int64 {
	t.Helper()
	n, err := g.rdb.XLen(context.Background(), stream).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func clone(h http.Header) http.Header { return h.Clone() }
