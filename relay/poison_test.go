package relay

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/hookgate/caddy-hookgate/event"
)

// Entries that cannot make a request (control bytes in their id or tenant,
// a body that does not normalize) must neither be retried nor feed the
// breaker: a dozen of them once held an ordinary event back for minutes.
func TestEntriesThatCannotBeSentNeverHoldBackOthers(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	// One retryable failure would hold every delivery back for a minute.
	cfg.Failures, cfg.Cooldown = 1, time.Minute
	f.start(t, cfg, nil)
	at := time.UnixMilli(1700000000000).UTC()
	for i := range 12 {
		f.add(t, &event.Stored{ID: fmt.Sprintf("evt\x01%d\r\n", i), Source: "stripe", Tenant: "acme\x7f", Type: "invoice.paid",
			ReceivedAt: at, Traceparent: "00-\n", Body: []byte(`{"type":"invoice.paid"}`)})
	}
	f.add(t, &event.Stored{ID: "evt_array", Source: "stripe", Tenant: "default", Type: "invoice.paid", ReceivedAt: at, Body: []byte(`[]`)})
	f.add(t, &event.Stored{ID: "x:evt_c1", Source: "stripe", Tenant: "acme", Type: "invoice.paid", ReceivedAt: at, Body: []byte(`{}`)})
	f.add(t, &event.Stored{ID: "evt_c1", Source: "stripe", Tenant: "acme:x", Type: "invoice.paid", ReceivedAt: at, Body: []byte(`{}`)})
	f.ingest(t, "evt_ordinary")

	waitUntil(t, 10*time.Second, "every event that can be sent delivered, the rest dead-lettered", func() bool {
		return len(tg.deliveries()) >= 15 && len(f.deadLetters(t, "wp")) >= 1 && f.settled(t, "wp")
	})
	ids := map[string]int{}
	for _, d := range tg.deliveries() {
		id := d.header.Get("Webhook-Id")
		if !httpguts.ValidHeaderFieldValue(id) || strings.ContainsAny(id, " \t") || id != d.header.Get("Idempotency-Key") {
			t.Errorf("webhook-id %q / Idempotency-Key %q", id, d.header.Get("Idempotency-Key"))
		}
		ids[id]++
	}
	if len(ids) != 15 {
		t.Errorf("%d distinct delivery ids for 15 events: %v", len(ids), ids)
	}
	if ids["stripe:default:evt_ordinary"] != 1 {
		t.Errorf("an ordinary id changed: %v", ids)
	}
	letters := f.deadLetters(t, "wp")
	if len(letters) != 1 || letters[0].Event.ID != "evt_array" || letters[0].Attempts != 0 ||
		!strings.Contains(letters[0].Error, "normalizing") {
		t.Fatalf("dead letters %+v, want evt_array's, with no attempt and its reason", letters)
	}
}
