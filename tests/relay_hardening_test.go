package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// relayBlock is one relay block of the hookgate option.
func relayBlock(name, to, extra string) string {
	return fmt.Sprintf(`relay %s {
			to %s
			secret %s
			backoff 50ms 1s
			%s
		}`, name, to, relaySecret, extra)
}

// A relay added by a reload is a new consumer group. By default it starts
// with what is stored from then on instead of re-sending the retained
// stream to a receiver that has never seen it; "start all" asks for that.
func TestARelayAddedByAReloadStartsWhereItsStartSays(t *testing.T) {
	srv := redistest.Start(t)
	wp, crm, audit := newSink(t), newSink(t), newSink(t)
	c := startCaddy(t, srv.URL(), relayBlock("wp", wp.URL, ""), stripeRoute)
	ingestAndAwait(t, wp, 10, func(int) *caddy { return c })

	opts := strings.Join([]string{
		relayBlock("wp", wp.URL, ""),
		relayBlock("crm", crm.URL, ""),
		relayBlock("audit", audit.URL, "start all"),
	}, "\n\t\t")
	cfg := c.caddyfile(c.Port, srv.URL(), opts, stripeRoute+"\n\trespond /reloaded 200")
	caddytest.WatchConfig(cfg)
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.AdminAddr+"/load", strings.NewReader(cfg))
	req.Header.Set("Content-Type", "text/caddyfile")
	if status, _, reply := do(t, req); status != 200 {
		t.Fatalf("reload: %d %s", status, reply)
	}
	// The old config's server closes its idle connections; a POST on one
	// the client kept would meet EOF. Post once the new config serves.
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, 10*time.Second, "the reloaded config to serve", func() bool {
		r, _ := http.NewRequest(http.MethodGet, c.Base+"/reloaded", nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	body := stripeEvent("evt_after_reload")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("ingest: %d %s", status, reply)
	}
	waitFor(t, 15*time.Second, "the new event at every relay's target and the stream at audit's", func() bool {
		w, _ := wp.got()
		r, _ := crm.got()
		a, _ := audit.got()
		return len(w) == 11 && r["stripe:default:evt_after_reload"] == 1 && len(a) == 11
	})
	if got, _ := crm.got(); len(got) != 1 {
		t.Fatalf("the new relay re-sent the stream: %d events, want only the one stored after it started", len(got))
	}
}

// A timeout at or below the receiver's processing time makes every
// attempt "time out" after the receiver did the work; Caddy says so when
// it starts.
func TestAShortRelayTimeoutIsWarnedAboutAtStartUp(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	c := startCaddy(t, srv.URL(), relayBlock("wp", s.URL, "timeout 2s\n\t\t\tclaim_after 10s"), stripeRoute)
	waitFor(t, 10*time.Second, "the warning in Caddy's log", func() bool {
		return strings.Contains(c.Log.String(), "relay timeout is short")
	})
}
