package tests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/internal/scrape"
)

// typedStripe is a Stripe event of type typ.
func typedStripe(id, typ string) string {
	return strings.Replace(stripeEvent(id), `"invoice.paid"`, fmt.Sprintf("%q", typ), 1)
}

// scrapeAdmin reads Caddy's own /metrics on its admin endpoint.
func scrapeAdmin(t *testing.T, c *caddy) scrape.Metrics {
	t.Helper()
	m, err := scrape.Get("http://"+c.AdminAddr+"/metrics", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A target that answers by path: /ok 204, /flaky 503 once then 204, /gone 410.
func scriptedTarget(t *testing.T) string {
	var flaked atomic.Bool
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky":
			if !flaked.Swap(true) {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		case "/gone":
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestMetricsCountEveryIngestOutcomeAndDelivery(t *testing.T) {
	srv := redistest.Start(t)
	to := scriptedTarget(t)
	c := startCaddy(t, srv.URL(), relayOpts(to+"/ok", `
			route flaky.* /flaky
			route gone.* /gone
			max_attempts 3`),
		`webhook /stripe stripe {
			secret whsec_test_secret
			max_size 1KiB
		}`)
	now := time.Now()
	post := func(h http.Header, body string) int {
		code, _, _ := c.post(t, "/stripe", h, []byte(body))
		return code
	}
	for _, tc := range []struct {
		name string
		code int
		send func() int
	}{
		{"accepted", 202, func() int {
			return post(stripeSigned(typedStripe("evt_ok", "ok.x"), now), typedStripe("evt_ok", "ok.x"))
		}},
		{"duplicate", 200, func() int {
			return post(stripeSigned(typedStripe("evt_ok", "ok.x"), now), typedStripe("evt_ok", "ok.x"))
		}},
		{"unauthorized", 401, func() int { return post(stripeSigned(stripeEvent("evt_a"), now), stripeEvent("evt_b")) }},
		{"invalid", 400, func() int { return post(stripeSigned(`{"id":1,`, now), `{"id":1,`) }},
		{"too_large", 413, func() int {
			b := typedStripe("evt_big", strings.Repeat("x", 2000))
			return post(stripeSigned(b, now), b)
		}},
		{"method", 405, func() int {
			req, _ := http.NewRequest(http.MethodGet, c.Base+"/stripe", nil)
			code, _, _ := do(t, req)
			return code
		}},
		{"unsupported_type", 415, func() int {
			return post(with(stripeSigned(stripeEvent("evt_t"), now), "Content-Type", "text/plain"), stripeEvent("evt_t"))
		}},
	} {
		if got := tc.send(); got != tc.code {
			t.Fatalf("%s: status %d, want %d", tc.name, got, tc.code)
		}
	}
	for _, id := range []string{"evt_flaky", "evt_gone"} {
		b := typedStripe(id, strings.TrimPrefix(id, "evt_")+".x")
		if code := post(stripeSigned(b, now), b); code != 202 {
			t.Fatalf("%s: %d", id, code)
		}
	}
	delivered := func(m scrape.Metrics) float64 {
		v, _ := m.Value("hookgate_relay_deliveries_total", "relay", "wp", "outcome", "delivered", "code_class", "2xx")
		return v
	}
	var m scrape.Metrics
	caddytest.WaitFor(t, 20*time.Second, "two deliveries and a dead letter", func() bool {
		m = scrapeAdmin(t, c)
		dead, _ := m.Value("hookgate_relay_dead_lettered_total", "relay", "wp")
		return delivered(m) == 2 && dead == 1
	})

	// Redis gone: the next event is not stored, and says so.
	srv.Stop()
	b := typedStripe("evt_down", "ok.x")
	if code := post(stripeSigned(b, now), b); code != 503 {
		t.Fatalf("with Redis down: %d", code)
	}
	m = scrapeAdmin(t, c)

	for outcome, want := range map[string]float64{"accepted": 3, "duplicate": 1, "unauthorized": 1, "invalid": 1,
		"too_large": 1, "method": 1, "unsupported_type": 1, "unavailable": 1} {
		if v, ok := m.Value("hookgate_ingest_requests_total", "source", "stripe", "outcome", outcome); !ok || v != want {
			t.Errorf("hookgate_ingest_requests_total{outcome=%q} = %v (present %v), want %v", outcome, v, ok, want)
		}
		if v, _ := m.Value("hookgate_ingest_duration_seconds", "source", "stripe", "outcome", outcome); v != want {
			t.Errorf("hookgate_ingest_duration_seconds{outcome=%q} count = %v, want %v", outcome, v, want)
		}
	}
	if got := m.Labels("hookgate_ingest_requests_total"); !slices.Equal(got, []string{"outcome", "source"}) {
		t.Errorf("ingest labels %v: the tenant is no label by default", got)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookgate_relay_deliveries_total", []string{"outcome", "delivered", "code_class", "2xx"}, 2},
		{"hookgate_relay_deliveries_total", []string{"outcome", "retry", "code_class", "5xx"}, 1},
		{"hookgate_relay_deliveries_total", []string{"outcome", "dead", "code_class", "4xx"}, 1},
		{"hookgate_relay_delivery_duration_seconds", nil, 4},
		{"hookgate_relay_event_age_seconds", nil, 2},
		{"hookgate_relay_retries_scheduled_total", nil, 1},
		{"hookgate_relay_dead_lettered_total", nil, 1},
		{"hookgate_relay_replayed_total", nil, 0},
	} {
		if v, ok := m.Value(c.name, append([]string{"relay", "wp"}, c.labels...)...); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
}

func TestTheTenantLabelIsOptIn(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "metrics_tenant_label", `webhook /stripe stripe {
			secret whsec_test_secret
			tenant acme
		}`)
	b := stripeEvent("evt_tenant")
	if code, _, body := c.post(t, "/stripe", stripeSigned(b, time.Now()), []byte(b)); code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	m := scrapeAdmin(t, c)
	if v, ok := m.Value("hookgate_ingest_requests_total", "source", "stripe", "tenant", "acme", "outcome", "accepted"); !ok || v != 1 {
		t.Fatalf("accepted for tenant acme = %v (present %v)", v, ok)
	}
}

func TestMetricsOffLeavesHookgateOutOfTheRegistry(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "metrics off", stripeRoute)
	b := stripeEvent("evt_off")
	if code, _, body := c.post(t, "/stripe", stripeSigned(b, time.Now()), []byte(b)); code != 202 {
		t.Fatalf("%d %s", code, body)
	}
	if names := scrapeAdmin(t, c).Names("hookgate_"); len(names) != 0 {
		t.Fatalf("with metrics off, /metrics still has %v", names)
	}
}

func TestScrapeTimeGaugesReadRedisAndNeverWaitOnAPausedOne(t *testing.T) {
	_, c, rdb := stripeOnly(t, relayOpts(scriptedTarget(t)+"/gone", "max_attempts 1"))
	now := time.Now()
	for _, id := range []string{"evt_g1", "evt_g2"} {
		b := stripeEvent(id)
		if code, _, body := c.post(t, "/stripe", stripeSigned(b, now), []byte(b)); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
	}
	var m scrape.Metrics
	caddytest.WaitFor(t, 20*time.Second, "both events in the dead-letter gauge", func() bool {
		m = scrapeAdmin(t, c)
		dead, _ := m.Value("hookgate_relay_dead", "relay", "wp")
		return dead == 2
	})
	for _, g := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookgate_relay_lag", []string{"relay", "wp"}, 0},
		{"hookgate_relay_pending", []string{"relay", "wp"}, 0},
		{"hookgate_relay_scheduled", []string{"relay", "wp"}, 0},
		{"hookgate_relay_breaker_open", []string{"relay", "wp"}, 0},
		{"hookgate_stream_length", []string{"stream", "events"}, 2},
	} {
		if v, ok := m.Value(g.name, g.labels...); !ok || v != g.want {
			t.Errorf("%s%v = %v (present %v), want %v", g.name, g.labels, v, ok, g.want)
		}
	}

	// Redis answers nothing for 4 s: scrapes still return at once, with
	// the last figures and their growing age.
	if err := rdb.Do(t.Context(), "CLIENT", "PAUSE", "4000", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	scrapes := 0
	caddytest.WaitFor(t, 3*time.Second, "the figures to show their age while Redis is paused", func() bool {
		start := time.Now()
		m = scrapeAdmin(t, c)
		scrapes++
		if took := time.Since(start); took > time.Second {
			t.Fatalf("scrape %d took %v while Redis was paused", scrapes, took)
		}
		if dead, ok := m.Value("hookgate_relay_dead", "relay", "wp"); !ok || dead != 2 {
			t.Fatalf("scrape %d while paused: dead = %v (present %v)", scrapes, dead, ok)
		}
		age, _ := m.Value("hookgate_stats_age_seconds")
		return age >= 1.5
	})
}
