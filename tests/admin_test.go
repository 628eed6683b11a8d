package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// adminTarget is a loopback receiver answering every delivery with the
// status it is set to, counting what it was sent per Idempotency-Key.
type adminTarget struct {
	*httptest.Server
	code atomic.Int32
	mu   sync.Mutex
	got  map[string]int
}

func newAdminTarget(t *testing.T, code int) *adminTarget {
	t.Helper()
	tg := &adminTarget{got: map[string]int{}}
	tg.code.Store(int32(code))
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.got[r.Header.Get("Idempotency-Key")]++
		tg.mu.Unlock()
		code := int(tg.code.Load())
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"answered":%d}`, code)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *adminTarget) count(id string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.got["stripe:default:"+id]
}

// adminCall sends a request to Caddy's admin endpoint and decodes a JSON
// answer into out when out is not nil.
func adminCall(t *testing.T, c *caddy, method, path, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+c.AdminAddr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	status, header, reply := do(t, req)
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, want JSON: %s", method, path, ct, reply)
	}
	if out != nil && status == 200 {
		if err := json.Unmarshal([]byte(reply), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, reply)
		}
	}
	return status, reply
}

// The shapes the admin API answers with, as a client reads them.
type (
	adminDeadPage struct {
		Relay   string           `json:"relay"`
		Entries []adminDeadEntry `json:"entries"`
		Next    string           `json:"next"`
	}
	adminDeadEntry struct {
		ID           string `json:"id"`
		Entry        string `json:"entry"`
		EventID      string `json:"event_id"`
		Source       string `json:"source"`
		Tenant       string `json:"tenant"`
		Type         string `json:"type"`
		Attempts     int    `json:"attempts"`
		Status       int    `json:"status"`
		Error        string `json:"error"`
		Body         string `json:"body"`
		FirstAttempt string `json:"first_attempt"`
		LastAttempt  string `json:"last_attempt"`
	}
	adminEvent struct {
		Source string `json:"source"`
		Tenant string `json:"tenant"`
		ID     string `json:"id"`
		Stored *struct {
			Stream     string `json:"stream"`
			Entry      string `json:"entry"`
			ReceivedAt string `json:"received_at"`
		} `json:"stored"`
		Relays []adminEventState `json:"relays"`
	}
	adminEventState struct {
		Relay       string `json:"relay"`
		State       string `json:"state"`
		NextAttempt string `json:"next_attempt"`
		Attempts    int    `json:"attempts"`
		Status      int    `json:"status"`
		Error       string `json:"error"`
		DeadID      string `json:"dead_id"`
	}
	adminStats struct {
		Streams []struct {
			Stream string `json:"stream"`
			Length int64  `json:"length"`
			Relays []struct {
				Relay     string `json:"relay"`
				Lag       int64  `json:"lag"`
				Pending   int64  `json:"pending"`
				Scheduled int64  `json:"scheduled"`
				Dead      int64  `json:"dead"`
				Breaker   string `json:"breaker"`
				Consumers []struct {
					Name    string `json:"name"`
					Pending int64  `json:"pending"`
					IdleMS  int64  `json:"idle_ms"`
				} `json:"consumers"`
			} `json:"relays"`
		} `json:"streams"`
	}
)

// adminIngest posts a signed Stripe event of type typ.
func adminIngest(t *testing.T, c *caddy, id, typ string) {
	t.Helper()
	body := strings.Replace(stripeEvent(id), `"type":"invoice.paid"`, fmt.Sprintf(`"type":%q`, typ), 1)
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("ingest %s: %d %s", id, status, reply)
	}
}

// adminDead reads one page of relay's dead letters.
func adminDead(t *testing.T, c *caddy, query string) adminDeadPage {
	t.Helper()
	var page adminDeadPage
	if status, reply := adminCall(t, c, "GET", "/hookgate/dead?"+query, "", &page); status != 200 {
		t.Fatalf("GET /hookgate/dead?%s: %d %s", query, status, reply)
	}
	return page
}

// adminStateOf is where event id stands for relay, "" when not listed.
func adminStateOf(t *testing.T, c *caddy, id, relay string) adminEventState {
	t.Helper()
	var ev adminEvent
	if status, reply := adminCall(t, c, "GET", "/hookgate/events/stripe/default/"+id, "", &ev); status != 200 {
		t.Fatalf("event %s: %d %s", id, status, reply)
	}
	for _, r := range ev.Relays {
		if r.Relay == relay {
			return r
		}
	}
	return adminEventState{}
}

func TestAdminDeadLetterIsListedReplayedAndDelivered(t *testing.T) {
	srv := redistest.Start(t)
	tg := newAdminTarget(t, 400)
	c := startCaddy(t, srv.URL(), relayBlock("wp", tg.URL, "max_attempts 1"), stripeRoute)
	adminIngest(t, c, "evt_broken", "invoice.paid")

	var page adminDeadPage
	waitFor(t, 15*time.Second, "the dead letter listed", func() bool {
		page = adminDead(t, c, "relay=wp")
		return len(page.Entries) == 1
	})
	e := page.Entries[0]
	first, err1 := time.Parse(time.RFC3339, e.FirstAttempt)
	last, err2 := time.Parse(time.RFC3339, e.LastAttempt)
	if page.Relay != "wp" || page.Next != "" || e.EventID != "evt_broken" || e.Source != "stripe" || e.Tenant != "default" ||
		e.Type != "invoice.paid" || e.Attempts != 1 || e.Status != 400 || e.Error == "" || e.Body != `{"answered":400}` ||
		e.ID == "" || e.Entry == "" || err1 != nil || err2 != nil || last.Before(first) {
		t.Fatalf("dead letter %+v (%v, %v)", page, err1, err2)
	}
	if st := adminStateOf(t, c, "evt_broken", "wp"); st.State != "dead" || st.DeadID != e.ID || st.Status != 400 || st.Attempts != 1 {
		t.Fatalf("event state %+v, want dead as %s", st, e.ID)
	}
	var stats adminStats
	if status, reply := adminCall(t, c, "GET", "/hookgate/stats", "", &stats); status != 200 || len(stats.Streams) != 1 ||
		stats.Streams[0].Stream != "events" || stats.Streams[0].Length != 1 || len(stats.Streams[0].Relays) != 1 {
		t.Fatalf("stats: %d %s", status, reply)
	}
	if r := stats.Streams[0].Relays[0]; r.Relay != "wp" || r.Dead != 1 || r.Lag != 0 || r.Pending != 0 || r.Breaker != "closed" ||
		len(r.Consumers) != 1 || r.Consumers[0].Name == "" {
		t.Fatalf("relay stats %+v", r)
	}

	tg.code.Store(200)
	var replayed struct{ Replayed int }
	if status, reply := adminCall(t, c, "POST", "/hookgate/dead/replay", fmt.Sprintf(`{"relay":"wp","ids":[%q]}`, e.ID), &replayed); status != 200 || replayed.Replayed != 1 {
		t.Fatalf("replay: %d %s", status, reply)
	}
	waitFor(t, 15*time.Second, "the replayed event delivered", func() bool { return tg.count("evt_broken") == 2 })
	waitFor(t, 10*time.Second, "the event seen delivered", func() bool {
		return adminStateOf(t, c, "evt_broken", "wp").State == "delivered"
	})
	if page := adminDead(t, c, "relay=wp"); len(page.Entries) != 0 {
		t.Fatalf("dead letters after the replay: %+v", page)
	}
}

func TestAdminPagesAndPurgesDeadLetters(t *testing.T) {
	srv := redistest.Start(t)
	tg := newAdminTarget(t, 400)
	c := startCaddy(t, srv.URL(), relayBlock("wp", tg.URL, ""), stripeRoute)
	before := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	for i, typ := range []string{"invoice.paid", "customer.created", "invoice.paid", "customer.updated", "invoice.paid"} {
		adminIngest(t, c, fmt.Sprintf("evt_%d", i), typ)
	}
	waitFor(t, 15*time.Second, "five dead letters", func() bool { return len(adminDead(t, c, "relay=wp").Entries) == 5 })

	var ids []string
	invoice := "" // a dead letter of an invoice event: workers dead-letter in any order
	after := ""
	for pages := 0; ; pages++ {
		page := adminDead(t, c, "relay=wp&count=2&after="+after)
		for _, e := range page.Entries {
			ids = append(ids, e.ID)
			if invoice == "" && e.Type == "invoice.paid" {
				invoice = e.ID
			}
		}
		if page.Next == "" {
			if pages != 2 || len(page.Entries) != 1 {
				t.Fatalf("last page %d holds %d entries, want page 2 with 1", pages, len(page.Entries))
			}
			break
		}
		if len(page.Entries) != 2 || page.Next != page.Entries[1].ID {
			t.Fatalf("page %d: %+v", pages, page)
		}
		after = page.Next
	}
	if len(ids) != 5 || ids[0] == ids[1] {
		t.Fatalf("paged ids %v", ids)
	}

	purge := func(body string) int {
		t.Helper()
		var reply struct{ Purged int }
		if status, text := adminCall(t, c, "POST", "/hookgate/dead/purge", body, &reply); status != 200 {
			t.Fatalf("purge %s: %d %s", body, status, text)
		}
		return reply.Purged
	}
	if n := purge(fmt.Sprintf(`{"relay":"wp","ids":[%q]}`, invoice)); n != 1 {
		t.Fatalf("purged %d by id, want 1", n)
	}
	if n := purge(fmt.Sprintf(`{"relay":"wp","type":"customer.*","since":%q}`, before)); n != 2 {
		t.Fatalf("purged %d by type and since, want the 2 customer events", n)
	}
	if n := purge(fmt.Sprintf(`{"relay":"wp","type":"invoice.*","since":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))); n != 0 {
		t.Fatalf("purged %d last attempted before since, want 0", n)
	}
	left := adminDead(t, c, "relay=wp")
	if len(left.Entries) != 2 || left.Entries[0].Type != "invoice.paid" || left.Entries[1].Type != "invoice.paid" {
		t.Fatalf("left after purges: %+v", left)
	}
	if n := purge(`{"relay":"wp","all":true}`); n != 2 {
		t.Fatalf("purged %d with all, want 2", n)
	}
	if left := adminDead(t, c, "relay=wp"); len(left.Entries) != 0 {
		t.Fatalf("left after purging all: %+v", left)
	}
}

func TestAdminEventLookupTellsEachRelaysState(t *testing.T) {
	srv := redistest.Start(t)
	held := newSink(t)
	held.holdRequests()
	down, broken, up := newAdminTarget(t, 503), newAdminTarget(t, 400), newAdminTarget(t, 200)
	relays := strings.Join([]string{
		relayBlock("held", held.URL, "timeout 30s\n\t\t\tclaim_after 1m"),
		// relayBlock's backoff would retry within a second: a minute keeps
		// the retry scheduled while the test looks.
		strings.Replace(relayBlock("retrying", down.URL, ""), "backoff 50ms 1s", "backoff 1m 1m", 1),
		relayBlock("broken", broken.URL, ""),
		relayBlock("up", up.URL, ""),
	}, "\n\t\t")
	c := startCaddy(t, srv.URL(), relays, stripeRoute)
	t.Cleanup(held.release) // before Caddy stops, so its stop need not wait out the held attempt
	adminIngest(t, c, "evt_where", "invoice.paid")

	want := map[string]string{"held": "pending", "retrying": "scheduled", "broken": "dead", "up": "delivered"}
	var ev adminEvent
	waitFor(t, 15*time.Second, "every relay to reach its state", func() bool {
		if status, _ := adminCall(t, c, "GET", "/hookgate/events/stripe/default/evt_where", "", &ev); status != 200 {
			return false
		}
		got := map[string]string{}
		for _, r := range ev.Relays {
			got[r.Relay] = r.State
		}
		return fmt.Sprint(got) == fmt.Sprint(want)
	})
	if ev.Source != "stripe" || ev.Tenant != "default" || ev.ID != "evt_where" || ev.Stored == nil ||
		ev.Stored.Stream != "events" || ev.Stored.Entry == "" {
		t.Fatalf("event %+v", ev)
	}
	if _, err := time.Parse(time.RFC3339, ev.Stored.ReceivedAt); err != nil {
		t.Fatalf("received_at %q: %v", ev.Stored.ReceivedAt, err)
	}
	for _, r := range ev.Relays {
		switch r.Relay {
		case "retrying":
			next, err := time.Parse(time.RFC3339, r.NextAttempt)
			if err != nil || time.Until(next) <= 0 || r.Attempts != 1 || r.Status != 503 {
				t.Fatalf("scheduled state %+v (%v)", r, err)
			}
		case "broken":
			if r.DeadID == "" || r.Status != 400 || r.Attempts != 1 {
				t.Fatalf("dead state %+v", r)
			}
		case "up", "held":
			if r.NextAttempt != "" || r.DeadID != "" {
				t.Fatalf("%s state %+v", r.Relay, r)
			}
		}
	}
}

func TestAdminRedeliverReachesOnlyTheChosenRelay(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newAdminTarget(t, 200), newAdminTarget(t, 200)
	c := startCaddy(t, srv.URL(), relayBlock("a", a.URL, "")+"\n\t\t"+relayBlock("b", b.URL, ""), stripeRoute)
	from := time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	ids := []string{"evt_r0", "evt_r1", "evt_r2"}
	for _, id := range ids {
		adminIngest(t, c, id, "invoice.paid")
	}
	settled := func(tg *adminTarget, n int) func() bool {
		return func() bool {
			for _, id := range ids {
				if tg.count(id) != n {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, 15*time.Second, "both relays to deliver each event once", func() bool { return settled(a, 1)() && settled(b, 1)() })
	to := time.Now().Add(time.Second).UTC().Format(time.RFC3339)

	var queued struct{ Queued int }
	if status, reply := adminCall(t, c, "POST", "/hookgate/redeliver", fmt.Sprintf(`{"relay":"a","from":%q,"to":%q}`, from, to), &queued); status != 200 || queued.Queued != 3 {
		t.Fatalf("redeliver: %d %s", status, reply)
	}
	waitFor(t, 15*time.Second, "relay a to deliver each event again", settled(a, 2))

	var ev adminEvent
	adminCall(t, c, "GET", "/hookgate/events/stripe/default/evt_r1", "", &ev)
	if ev.Stored == nil {
		t.Fatalf("event %+v", ev)
	}
	if status, reply := adminCall(t, c, "POST", "/hookgate/redeliver", fmt.Sprintf(`{"relay":"a","ids":[%q]}`, ev.Stored.Entry), &queued); status != 200 || queued.Queued != 1 {
		t.Fatalf("redeliver by id: %d %s", status, reply)
	}
	waitFor(t, 15*time.Second, "relay a to deliver evt_r1 a third time", func() bool { return a.count("evt_r1") == 3 })

	// Relay b has nothing left to do and got nothing more: the copies went
	// to a's replay stream only. The target counts a delivery before the
	// relay acks it, so a's last one may still be pending for a moment.
	waitFor(t, 15*time.Second, "both relays to settle", func() bool {
		var stats adminStats
		adminCall(t, c, "GET", "/hookgate/stats", "", &stats)
		for _, r := range stats.Streams[0].Relays {
			if r.Lag != 0 || r.Pending != 0 {
				return false
			}
		}
		return true
	})
	if !settled(b, 1)() {
		t.Fatalf("relay b delivered again: %v", b.got)
	}
}

func TestAdminErrorsAreJSONWithTheirStatus(t *testing.T) {
	srv := redistest.Start(t)
	tg := newAdminTarget(t, 200)
	c := startCaddy(t, srv.URL(), relayBlock("wp", tg.URL, ""), stripeRoute)
	huge := `{"relay":"wp","ids":["` + strings.Repeat("1", 2<<20) + `"]}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		says                     string
	}{
		{"an unknown endpoint is 404", "GET", "/hookgate/nothing", "", 404, "no hookgate admin endpoint"},
		{"a wrong method is 405", "GET", "/hookgate/dead/replay", "", 405, "takes POST"},
		{"stats takes GET", "POST", "/hookgate/stats", "{}", 405, "takes GET"},
		{"dead letters need a relay", "GET", "/hookgate/dead", "", 400, "relay is required"},
		{"dead letters of an unknown relay are 404", "GET", "/hookgate/dead?relay=nope", "", 404, `no relay named "nope"`},
		{"a count that is not a number is 400", "GET", "/hookgate/dead?relay=wp&count=many", "", 400, "count must be"},
		{"a count of 0 is 400", "GET", "/hookgate/dead?relay=wp&count=0", "", 400, "count must be"},
		{"an after that is no id is 400", "GET", "/hookgate/dead?relay=wp&after=yesterday", "", 400, "after must be"},
		{"a replay without a selector is 400", "POST", "/hookgate/dead/replay", `{"relay":"wp"}`, 400, "exactly one selector"},
		{"a replay with two selectors is 400", "POST", "/hookgate/dead/replay", `{"relay":"wp","all":true,"ids":["1-0"]}`, 400, "exactly one selector"},
		{"all and a type are two selectors", "POST", "/hookgate/dead/purge", `{"relay":"wp","all":true,"type":"invoice.*"}`, 400, "exactly one selector"},
		{"a replay needs a relay", "POST", "/hookgate/dead/replay", `{"all":true}`, 400, "relay is required"},
		{"a replay of an unknown relay is 404", "POST", "/hookgate/dead/replay", `{"relay":"nope","all":true}`, 404, `no relay named "nope"`},
		{"a purge of an unknown relay is 404", "POST", "/hookgate/dead/purge", `{"relay":"nope","all":true}`, 404, `no relay named "nope"`},
		{"a body that is no JSON is 400", "POST", "/hookgate/dead/replay", `{"relay":`, 400, "body:"},
		{"a misspelt field is 400", "POST", "/hookgate/dead/purge", `{"relay":"wp","al":true}`, 400, "unknown field"},
		{"two JSON values are 400", "POST", "/hookgate/dead/purge", `{"relay":"wp","all":true}{}`, 400, "more than one"},
		{"a malformed glob is 400", "POST", "/hookgate/dead/purge", `{"relay":"wp","type":"[invoice"}`, 400, "type glob"},
		{"a since that is no time is 400", "POST", "/hookgate/dead/replay", `{"relay":"wp","since":"last week"}`, 400, "since must be"},
		{"an id that is no id is 400", "POST", "/hookgate/dead/replay", `{"relay":"wp","ids":["evt_1"]}`, 400, "ids must be"},
		{"empty ids are 400", "POST", "/hookgate/dead/purge", `{"relay":"wp","ids":[]}`, 400, "ids is empty"},
		{"a body past 1 MiB is 413", "POST", "/hookgate/dead/purge", huge, 413, "larger than"},
		{"an event path without an id is 400", "GET", "/hookgate/events/stripe/default", "", 400, "/hookgate/events/{source}/{tenant}/{id}"},
		{"an event path with an empty id is 400", "GET", "/hookgate/events/stripe/default/", "", 400, "not empty"},
		{"an event never stored is 404", "GET", "/hookgate/events/stripe/default/evt_never", "", 404, "not found in stream events (all 0 entries)"},
		{"redeliver needs a range or ids", "POST", "/hookgate/redeliver", `{"relay":"wp"}`, 400, "either"},
		{"redeliver takes a range or ids, not both", "POST", "/hookgate/redeliver", `{"relay":"wp","from":"2024-01-01T00:00:00Z","to":"2024-01-02T00:00:00Z","ids":["1-0"]}`, 400, "either"},
		{"a range needs both ends", "POST", "/hookgate/redeliver", `{"relay":"wp","from":"2024-01-01T00:00:00Z"}`, 400, "both"},
		{"a range that ends before it starts is 400", "POST", "/hookgate/redeliver", `{"relay":"wp","from":"2024-01-02T00:00:00Z","to":"2024-01-01T00:00:00Z"}`, 400, "before from"},
		{"a from that is no time is 400", "POST", "/hookgate/redeliver", `{"relay":"wp","from":"monday","to":"2024-01-01T00:00:00Z"}`, 400, "from must be"},
		{"redelivered ids must be entry ids", "POST", "/hookgate/redeliver", `{"relay":"wp","ids":["evt_1"]}`, 400, "ids must be"},
		{"redeliver to an unknown relay is 404", "POST", "/hookgate/redeliver", `{"relay":"nope","ids":["1-0"]}`, 404, `no relay named "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := adminCall(t, c, tc.method, tc.path, tc.body, nil)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(reply), &e); status != tc.status || err != nil || !strings.Contains(e.Error, tc.says) {
				t.Fatalf("%d %s, want %d with an error saying %q", status, reply, tc.status, tc.says)
			}
		})
	}

	t.Run("redis down is 503", func(t *testing.T) {
		srv.Stop()
		defer srv.Restart()
		for _, p := range []string{"/hookgate/stats", "/hookgate/dead?relay=wp", "/hookgate/events/stripe/default/evt_1"} {
			if status, reply := adminCall(t, c, "GET", p, "", nil); status != 503 || !strings.Contains(reply, "redis") {
				t.Fatalf("GET %s: %d %s, want 503", p, status, reply)
			}
		}
		if status, reply := adminCall(t, c, "POST", "/hookgate/dead/replay", `{"relay":"wp","all":true}`, nil); status != 503 {
			t.Fatalf("replay: %d %s, want 503", status, reply)
		}
	})

	t.Run("no hookgate app running is 503", func(t *testing.T) {
		cfg := fmt.Sprintf(`{"admin":{"listen":%q}}`, c.AdminAddr)
		caddytest.WatchConfig(cfg)
		req, _ := http.NewRequest("POST", "http://"+c.AdminAddr+"/load", strings.NewReader(cfg))
		req.Header.Set("Content-Type", "application/json")
		if status, _, reply := do(t, req); status != 200 {
			t.Fatalf("loading a config without hookgate: %d %s", status, reply)
		}
		http.DefaultClient.CloseIdleConnections()
		var status int
		var reply string
		waitFor(t, 10*time.Second, "the admin endpoint to answer on the new config", func() bool {
			req, _ := http.NewRequest("GET", "http://"+c.AdminAddr+"/hookgate/stats", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return true
		})
		status, reply = adminCall(t, c, "GET", "/hookgate/stats", "", nil)
		if status != 503 || !strings.Contains(reply, "no hookgate app is running") {
			t.Fatalf("%d %s, want 503", status, reply)
		}
	})
}
