package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/relay"
)

// receiver is a loopback alert target that records every POST and answers
// with the statuses queued, then 200.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	statuses []int
	hold     chan struct{} // when set, each request waits for it to close
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	rc := &receiver{statuses: statuses}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc.hold != nil {
			<-rc.hold
		}
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, body)
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) posts() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}

// summaries decodes every JSON-format POST received.
func (rc *receiver) summaries(t *testing.T) []Summary {
	t.Helper()
	var out []Summary
	for _, b := range rc.posts() {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("alert body %q: %v", b, err)
		}
		out = append(out, s)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newAlerter(t *testing.T, url, format string, every time.Duration) *Alerter {
	t.Helper()
	a, err := New(Config{Relay: "wordpress", URL: url, Format: format, Every: every,
		Waits: []time.Duration{time.Millisecond, time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()); a.Wait() })
	return a
}

func dead(id string) relay.Report {
	return relay.Report{
		Relay: "wordpress", Entry: "1-0", Attempt: 8, Outcome: relay.OutcomeDead, Status: 500, Class: "5xx",
		Error: "target answered 500", At: time.Now(),
		Event: event.Stored{ID: id, Source: "stripe", Tenant: "default", Type: "invoice.paid"},
	}
}

func TestFirstDeadLetterIsSentAtOnceAsSlackText(t *testing.T) {
	rc := newReceiver(t)
	a := newAlerter(t, rc.URL, "", time.Hour)
	a.Observe(relay.Report{Outcome: relay.OutcomeRetry, Event: event.Stored{ID: "evt_retry"}})
	a.Observe(relay.Report{Outcome: relay.OutcomeDelivered, Event: event.Stored{ID: "evt_ok"}})
	a.Observe(dead("evt_1"))
	waitFor(t, "the alert", func() bool { return len(rc.posts()) == 1 })
	var msg map[string]string
	if err := json.Unmarshal(rc.posts()[0], &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg) != 1 {
		t.Fatalf("slack body has more than text: %v", msg)
	}
	for _, want := range []string{"wordpress", "1 event was dead-lettered", "evt_1", "status 500", "target answered 500", "caddy hookgate dead ls --relay wordpress"} {
		if !strings.Contains(msg["text"], want) {
			t.Errorf("text %q lacks %q", msg["text"], want)
		}
	}
	for _, never := range []string{"evt_retry", "evt_ok"} {
		if strings.Contains(msg["text"], never) {
			t.Errorf("text %q names %s, which was not dead-lettered", msg["text"], never)
		}
	}
}

func TestABurstIsOneAlertAndOneSummaryOfTheRest(t *testing.T) {
	rc := newReceiver(t)
	a := newAlerter(t, rc.URL, FormatJSON, 300*time.Millisecond)
	const burst = 200
	for i := range burst {
		a.Observe(dead(fmt.Sprintf("evt_%d", i)))
	}
	total := func() int {
		n := 0
		for _, s := range rc.summaries(t) {
			n += s.DeadLettered
		}
		return n
	}
	waitFor(t, "every dead letter counted", func() bool { return total() == burst })
	got := rc.summaries(t)
	if len(got) != 2 {
		t.Fatalf("a burst of %d sent %d alerts, want the first and one summary", burst, len(got))
	}
	if got[0].DeadLettered != 1 || got[0].EventIDs[0] != "evt_0" {
		t.Errorf("first alert = %+v, want evt_0 alone", got[0])
	}
	if got[1].DeadLettered != burst-1 || len(got[1].EventIDs) != maxIDs || got[1].EventIDs[0] != "evt_1" {
		t.Errorf("summary = %+v, want %d dead letters naming the first %d from evt_1", got[1], burst-1, maxIDs)
	}
	if got[1].LastEvent.ID != fmt.Sprintf("evt_%d", burst-1) {
		t.Errorf("summary's last event = %q", got[1].LastEvent.ID)
	}
}

func TestAnotherDeadLetterAfterAQuietWindowIsSentAtOnce(t *testing.T) {
	rc := newReceiver(t)
	now := time.Now()
	a, err := New(Config{Relay: "r", URL: rc.URL, Format: FormatJSON, Every: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Wait()
	a.Observe(dead("evt_1"))
	waitFor(t, "the first alert", func() bool { return len(rc.posts()) == 1 })
	now = now.Add(time.Hour + time.Second)
	a.Observe(dead("evt_2"))
	waitFor(t, "the second alert", func() bool { return len(rc.posts()) == 2 })
	if s := rc.summaries(t)[1]; s.DeadLettered != 1 || s.EventIDs[0] != "evt_2" {
		t.Errorf("second alert = %+v", s)
	}
}

func TestAFailedSendIsRetriedAndAClientErrorIsNot(t *testing.T) {
	rc := newReceiver(t, 500, 502)
	a := newAlerter(t, rc.URL, FormatJSON, time.Hour)
	a.Observe(dead("evt_1"))
	waitFor(t, "three attempts", func() bool { return len(rc.posts()) == 3 })
	a.Wait()
	if n := len(rc.posts()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}

	gone := newReceiver(t, 404, 404, 404)
	b := newAlerter(t, gone.URL, FormatJSON, time.Hour)
	b.Observe(dead("evt_1"))
	b.Close(context.Background())
	b.Wait()
	if n := len(gone.posts()); n != 1 {
		t.Errorf("a 404 was tried %d times, want once", n)
	}
}

func TestObserveNeverWaitsOnTheAlertTarget(t *testing.T) {
	rc := newReceiver(t)
	rc.hold = make(chan struct{})
	a := newAlerter(t, rc.URL, FormatJSON, time.Millisecond)
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			a.Observe(dead(fmt.Sprint("evt_", i)))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Observe blocked while the alert target hung")
	}
	close(rc.hold)
}

func TestCloseSendsWhatTheWindowHeld(t *testing.T) {
	rc := newReceiver(t)
	a := newAlerter(t, rc.URL, FormatJSON, time.Hour)
	a.Observe(dead("evt_1"))
	waitFor(t, "the first alert", func() bool { return len(rc.posts()) == 1 })
	a.Observe(dead("evt_2"))
	a.Observe(dead("evt_3"))
	a.Close(context.Background())
	a.Wait()
	got := rc.summaries(t)
	if len(got) != 2 || got[1].DeadLettered != 2 {
		t.Fatalf("after Close: %+v, want a second summary of 2", got)
	}
	a.Observe(dead("evt_4"))
	a.Wait()
	if len(rc.posts()) != 2 {
		t.Error("a closed alerter still sent")
	}
}

func TestSlackTextCannotBeMarkup(t *testing.T) {
	rc := newReceiver(t)
	a := newAlerter(t, rc.URL, FormatSlack, time.Hour)
	r := dead("<!channel> <https://evil.example|click>")
	r.Event.Type = "a&b"
	a.Observe(r)
	waitFor(t, "the alert", func() bool { return len(rc.posts()) == 1 })
	var msg map[string]string
	if err := json.Unmarshal(rc.posts()[0], &msg); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(msg["text"], "<>") || !strings.Contains(msg["text"], "&lt;!channel&gt;") || !strings.Contains(msg["text"], "a&amp;b") {
		t.Errorf("text %q is not escaped for Slack", msg["text"])
	}
}

func TestConfigIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"an empty URL is refused", Config{Format: FormatJSON}, "needs a URL"},
		{"an unknown format is refused", Config{URL: "http://127.0.0.1/", Format: "xml"}, "format"},
		{"a negative window is refused", Config{URL: "http://127.0.0.1/", Every: -time.Second}, "alert_every"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestTheAlertURLIsNeverLogged(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL + "/services/T000/B000/xoxb-secret-token"
	closed.Close()
	core, logs := observer.New(zap.DebugLevel)
	a, err := New(Config{Relay: "r", URL: url, Format: FormatJSON, Every: time.Hour, Waits: []time.Duration{time.Millisecond}, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	a.Observe(dead("evt_1"))
	a.Close(context.Background())
	a.Wait()
	entries := logs.All()
	if len(entries) == 0 {
		t.Fatal("a failed alert logged nothing")
	}
	for _, e := range entries {
		line := e.Message + fmt.Sprint(e.ContextMap())
		if strings.Contains(line, "secret-token") || strings.Contains(line, closed.URL) {
			t.Errorf("log line carries the alert URL: %s", line)
		}
	}
}
