package relay

import (
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// Ingest decides the type once and stores it; a filter, a route and the
// envelope that each read another would send events where no rule chose.
func TestFilterRouteAndEnvelopeUseTheStoredType(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL+"/events")
	cfg.Filter = []string{"issues*"}
	cfg.Routes = []Route{{Glob: "issues", URL: "/issues"}}
	f.start(t, cfg, nil)
	at := time.UnixMilli(1700000000000).UTC()
	f.add(t, &event.Stored{ID: "gh-1", Source: "github", Tenant: "default", Type: "issues", ReceivedAt: at,
		Body: []byte(`{"action":"opened","issue":{"number":1},"repository":{"full_name":"o/r"}}`)})
	f.add(t, &event.Stored{ID: "std-1", Source: "standard", Tenant: "default", Type: "issues.closed", ReceivedAt: at,
		Body: []byte(`{"type":"invoice.paid","timestamp":"2024-08-20T10:00:00Z","data":{}}`)})
	f.add(t, &event.Stored{ID: "evt-1", Source: "stripe", Tenant: "default", Type: "invoice.paid", ReceivedAt: at,
		Body: []byte(`{"id":"evt-1","type":"issues.opened","data":{"object":{}}}`)})
	waitUntil(t, 10*time.Second, "the relay to settle", func() bool {
		return len(tg.deliveries()) >= 2 && f.settled(t, "wp")
	})
	got := map[string]string{}
	for _, d := range tg.deliveries() {
		env := envelopeOf(t, d)
		got[env.ID] = env.Type + " at " + d.path
	}
	want := map[string]string{"gh-1": "issues at /issues", "std-1": "issues.closed at /events"}
	if len(got) != len(want) || got["gh-1"] != want["gh-1"] || got["std-1"] != want["std-1"] {
		t.Fatalf("delivered %v, want %v (the stripe event's stored type is not issues*)", got, want)
	}
}
