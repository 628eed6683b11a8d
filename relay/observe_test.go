package relay

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// reports collects what an observer hears.
type reports struct {
	mu  sync.Mutex
	got []Report
}

func (rs *reports) Observe(r Report) { rs.mu.Lock(); rs.got = append(rs.got, r); rs.mu.Unlock() }

func (rs *reports) all() []Report {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]Report(nil), rs.got...)
}

func (rs *reports) of(id string) []Report {
	var out []Report
	for _, r := range rs.all() {
		if r.Event.ID == id {
			out = append(out, r)
		}
	}
	return out
}

func TestEveryAttemptIsReportedWithItsOutcomeAndClass(t *testing.T) {
	f := newFixture(t)
	var flaked atomic.Bool
	tg := newTarget(t, func(_ int, d delivery) (int, http.Header, string) {
		switch d.path {
		case "/flaky":
			if !flaked.Swap(true) {
				return 503, nil, "busy"
			}
		case "/gone":
			return 410, nil, "gone"
		case "/slow":
			time.Sleep(300 * time.Millisecond) // past the attempt timeout below
		}
		return 204, nil, ""
	})
	var rs reports
	cfg := f.config("wp", tg.URL+"/ok")
	cfg.Routes = []Route{{Glob: "flaky.*", URL: "/flaky"}, {Glob: "gone.*", URL: "/gone"}, {Glob: "slow.*", URL: "/slow"}}
	cfg.Timeout, cfg.MaxAttempts, cfg.Observer = 100*time.Millisecond, 2, &rs
	f.start(t, cfg, nil)

	for id, typ := range map[string]string{"evt_ok": "invoice.paid", "evt_flaky": "flaky.x", "evt_gone": "gone.x", "evt_slow": "slow.x"} {
		st := stored(id)
		st.Type = typ
		if _, err := f.app.Append(t.Context(), f.keys, time.Hour, st); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 10*time.Second, "every event finished", func() bool {
		return len(rs.of("evt_ok")) == 1 && len(rs.of("evt_flaky")) == 2 && len(rs.of("evt_gone")) == 1 && len(rs.of("evt_slow")) == 2
	})
	want := map[string][]struct {
		outcome, class string
		status         int
	}{
		"evt_ok":    {{OutcomeDelivered, "2xx", 204}},
		"evt_flaky": {{OutcomeRetry, "5xx", 503}, {OutcomeDelivered, "2xx", 204}},
		"evt_gone":  {{OutcomeDead, "4xx", 410}},
		"evt_slow":  {{OutcomeRetry, "timeout", 0}, {OutcomeDead, "timeout", 0}},
	}
	for id, steps := range want {
		got := rs.of(id)
		for i, w := range steps {
			r := got[i]
			if r.Outcome != w.outcome || r.Class != w.class || r.Status != w.status || r.Attempt != i+1 {
				t.Fatalf("%s attempt %d: %+v, want %+v", id, i+1, r, w)
			}
			if r.Relay != "wp" || r.Event.Source != "stripe" || r.Event.Tenant != "default" || r.Entry == "" ||
				r.RequestID == "" || r.Latency <= 0 || r.Event.ReceivedAt.IsZero() || r.Event.Body != nil {
				t.Fatalf("%s attempt %d: %+v", id, i+1, r)
			}
		}
	}
}

func TestAnEventThatCannotBePreparedIsReportedDeadWithoutAnAttempt(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	var rs reports
	cfg := f.config("wp", tg.URL)
	cfg.Observer = &rs
	// A poison entry: no body field, so it cannot be decoded.
	if err := f.rdb.XAdd(t.Context(), &redis.XAddArgs{Stream: f.keys.Stream(), Values: []string{"id", "evt_poison"}}).Err(); err != nil {
		t.Fatal(err)
	}
	f.start(t, cfg, nil)
	waitUntil(t, 10*time.Second, "the poison entry reported", func() bool { return len(rs.all()) == 1 })
	r := rs.all()[0]
	if r.Outcome != OutcomeDead || r.Class != "" || r.Attempt != 0 || r.Error == "" {
		t.Fatalf("%+v", r)
	}
	if len(tg.deliveries()) != 0 {
		t.Fatal("a poison entry reached the target")
	}
}
