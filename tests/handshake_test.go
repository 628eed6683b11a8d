package tests

import (
	"context"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// gateway is a built Caddy with its own Redis, for a provider's
// end-to-end test: what it answers, what it stored, what it counted.
type gateway struct {
	*caddy
	rdb *redis.Client
}

func startGateway(t *testing.T, site string) *gateway {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return &gateway{caddy: startCaddy(t, srv.URL(), "", site), rdb: rdb}
}

// stored is every entry of the default stream.
func (g *gateway) stored(t *testing.T) []redis.XMessage {
	t.Helper()
	msgs, err := g.rdb.XRange(context.Background(), "hookgate:{events}", "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE: %v", err)
	}
	return msgs
}

// outcomes is hookgate_ingest_requests_total of source for outcome.
func (g *gateway) outcomes(t *testing.T, source, outcome string) float64 {
	t.Helper()
	v, _ := scrapeAdmin(t, g.caddy).Value("hookgate_ingest_requests_total", "source", source, "outcome", outcome)
	return v
}

// checkHandshake fails unless a request got exactly status, content type
// and body, and nothing was stored for it.
func (g *gateway) checkHandshake(t *testing.T, status int, header http.Header, body string, wantStatus int, wantType, wantBody string) {
	t.Helper()
	if status != wantStatus || header.Get("Content-Type") != wantType || body != wantBody {
		t.Errorf("answered %d %q %q, want %d %q %q", status, header.Get("Content-Type"), body, wantStatus, wantType, wantBody)
	}
	if n := len(g.stored(t)); n != 0 {
		t.Errorf("%d entries stored for a handshake", n)
	}
}
