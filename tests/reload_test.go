package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// hookgateConns lists the ids of the Redis connections Hookgate holds.
func hookgateConns(t *testing.T, rdb *redis.Client) map[string]bool {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name=hookgate ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				ids[id] = true
			}
		}
	}
	return ids
}

func TestReloadKeepsTheRedisConnection(t *testing.T) {
	srv := redistest.Start(t)
	site := `webhook /stripe stripe {
		secret whsec_test_secret
	}`
	c := startCaddy(t, srv.URL(), "", site)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()

	body := stripeEvent("evt_before_reload")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("before reload: %d %s", status, reply)
	}
	before := hookgateConns(t, rdb)
	if len(before) == 0 {
		t.Fatal("no hookgate connection to redis after an accepted event")
	}

	// Same Redis, a changed route: the new config must reuse the client.
	cfg := c.caddyfile(c.Port, srv.URL(), "", site+"\n\trespond /reloaded 200")
	caddytest.WatchConfig(cfg)
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.AdminAddr+"/load", strings.NewReader(cfg))
	req.Header.Set("Content-Type", "text/caddyfile")
	if status, _, reply := do(t, req); status != 200 {
		t.Fatalf("reload: %d %s", status, reply)
	}
	waitFor(t, 10*time.Second, "the new config to serve", func() bool {
		r, _ := http.NewRequest(http.MethodGet, c.Base+"/reloaded", nil)
		status, _, _ := do(t, r)
		return status == 200
	})

	body = stripeEvent("evt_after_reload")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("after reload: %d %s", status, reply)
	}
	after := hookgateConns(t, rdb)
	for id := range after {
		if !before[id] {
			t.Fatalf("reload opened a new redis connection: before %v, after %v", before, after)
		}
	}
	if n := rdb.XLen(context.Background(), "hookgate:{events}").Val(); n != 2 {
		t.Fatalf("stream holds %d entries, want 2", n)
	}
}
