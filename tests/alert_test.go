package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// alertSink is a loopback alert receiver keeping every summary it got.
type alertSink struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newAlertSink(t *testing.T) *alertSink {
	t.Helper()
	s := &alertSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *alertSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

type alertSummary struct {
	Relay        string   `json:"relay"`
	DeadLettered int      `json:"dead_lettered"`
	EventIDs     []string `json:"event_ids"`
	LastEvent    struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"last_event"`
}

func (s *alertSink) summaries(t *testing.T) []alertSummary {
	t.Helper()
	var out []alertSummary
	for _, b := range s.got() {
		var a alertSummary
		if err := json.Unmarshal([]byte(b), &a); err != nil {
			t.Fatalf("alert %q: %v", b, err)
		}
		out = append(out, a)
	}
	return out
}

// A dead letter pages at once; a burst that follows within the window is
// one summary, sent when the window ends or, as here, when Caddy stops.
func TestADeadLetterAlertsOnceAndABurstIsOneSummary(t *testing.T) {
	srv := redistest.Start(t)
	tg := newAdminTarget(t, 400)
	sink := newAlertSink(t)
	alert := fmt.Sprintf("max_attempts 1\nalert %s {\nformat json\nalert_every 1h\n}", sink.URL)
	c := startCaddy(t, srv.URL(), relayBlock("wp", tg.URL, alert), stripeRoute)

	adminIngest(t, c, "evt_first", "invoice.paid")
	waitFor(t, 15*time.Second, "the first dead letter's alert", func() bool { return len(sink.got()) == 1 })
	first := sink.summaries(t)[0]
	if first.Relay != "wp" || first.DeadLettered != 1 || len(first.EventIDs) != 1 || first.EventIDs[0] != "evt_first" ||
		first.LastEvent.Status != 400 || first.LastEvent.Type != "invoice.paid" || first.LastEvent.Error == "" {
		t.Fatalf("first alert %+v", first)
	}
	for _, b := range sink.got() {
		if strings.Contains(b, relaySecret) || strings.Contains(b, "answered") || strings.Contains(b, `"object"`) {
			t.Fatalf("the alert carries a secret or a payload: %s", b)
		}
	}

	const burst = 30
	for i := range burst {
		adminIngest(t, c, fmt.Sprintf("evt_burst_%d", i), "invoice.paid")
	}
	waitFor(t, 30*time.Second, "the burst dead-lettered", func() bool {
		return len(adminDead(t, c, fmt.Sprintf("relay=wp&count=%d", burst+10)).Entries) == burst+1
	})
	if n := len(sink.got()); n != 1 {
		t.Fatalf("%d alerts within the window, want the first alone", n)
	}
	c.Stop()
	got := sink.summaries(t)
	if len(got) != 2 || got[1].DeadLettered != burst || len(got[1].EventIDs) == 0 || !strings.HasPrefix(got[1].EventIDs[0], "evt_burst_") {
		t.Fatalf("after the stop: %+v, want one summary of the %d in the window", got, burst)
	}
}

// The Slack format is the {"text": ...} an incoming webhook takes. Alerts
// do not depend on metrics being on.
func TestADeadLetterAlertIsSlackTextByDefault(t *testing.T) {
	srv := redistest.Start(t)
	tg := newAdminTarget(t, 400)
	sink := newAlertSink(t)
	c := startCaddy(t, srv.URL(), "metrics off\n"+relayBlock("wp", tg.URL, "max_attempts 1\nalert "+sink.URL), stripeRoute)
	adminIngest(t, c, "evt_slack", "invoice.paid")
	waitFor(t, 15*time.Second, "the alert", func() bool { return len(sink.got()) == 1 })
	var msg map[string]string
	if err := json.Unmarshal([]byte(sink.got()[0]), &msg); err != nil || len(msg) != 1 ||
		!strings.Contains(msg["text"], "evt_slack") || !strings.Contains(msg["text"], "relay wp") {
		t.Fatalf("slack alert %q (%v)", sink.got()[0], err)
	}
}
