// Package hostile attacks the built Caddy with Hookgate as someone who
// captured signed requests would: replays under fresh labels, tenants,
// bad ids and bodies, floods of malformed requests. Every case runs against
// a real redis-server.
package hostile

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

var caddyBin string

func TestMain(m *testing.M) { caddytest.Main(m, &caddyBin) }

// gateway is one Caddy serving every route of the suite, its Redis and a
// client to read what was stored.
type gateway struct {
	*caddytest.Caddy
	redis *redistest.Server
	rdb   *redis.Client
	parts int // the partitions of stream "events" (stream block), 1 without
}

func startGateway(t *testing.T, hookgateOpts, site string) *gateway {
	t.Helper()
	return startGatewayOf(t, 1, hookgateOpts, site)
}

// startGatewayOf is startGateway for a stream "events" of parts
// partitions, whose stream block hookgateOpts holds.
func startGatewayOf(t *testing.T, parts int, hookgateOpts, site string) *gateway {
	t.Helper()
	srv := redistest.Start(t)
	g := &gateway{Caddy: caddytest.Start(t, caddyBin, srv.URL(), hookgateOpts, site), redis: srv, parts: parts}
	g.rdb = redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { g.rdb.Close() })
	return g
}

// streams are the keys of every partition of stream "events".
func (g *gateway) streams() []string {
	base, _ := relay.NewKeys("hookgate", "events")
	out := make([]string, g.parts)
	for p := range out {
		out[p] = base.Partition(p).Stream()
	}
	return out
}

// entries are the entries of every partition, oldest first.
func (g *gateway) entries(t *testing.T) []redis.XMessage {
	t.Helper()
	var all []redis.XMessage
	for _, s := range g.streams() {
		msgs, err := g.rdb.XRange(context.Background(), s, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, msgs...)
	}
	slices.SortStableFunc(all, func(a, b redis.XMessage) int { return entryOrder(a.ID, b.ID) })
	return all
}

// entryOrder orders stream entry ids as Redis does.
func entryOrder(a, b string) int {
	split := func(id string) (uint64, uint64) {
		ms, seq, _ := strings.Cut(id, "-")
		m, _ := strconv.ParseUint(ms, 10, 64)
		q, _ := strconv.ParseUint(seq, 10, 64)
		return m, q
	}
	am, aq := split(a)
	bm, bq := split(b)
	return cmp.Or(cmp.Compare(am, bm), cmp.Compare(aq, bq))
}

func (g *gateway) length(t *testing.T) int64 {
	t.Helper()
	var total int64
	for _, s := range g.streams() {
		n, err := g.rdb.XLen(context.Background(), s).Result()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func clone(h http.Header) http.Header { return h.Clone() }
