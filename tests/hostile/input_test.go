package hostile

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
)

// Signed requests whose ids, tenants, types or bodies would poison the
// relay or mean two things to two readers are refused at the edge, and
// nothing of them is stored.
func TestBadSignedInputIsRefusedAndNothingStored(t *testing.T) {
	site := replaySite + `
	webhook /shallow stripe {
		secret ` + ct.StripeSecret + `
		max_depth 3
	}`
	g := startGateway(t, "", site)
	now := time.Now()
	stripe := func(body string) http.Header { return ct.StripeSigned(ct.StripeSecret, body, now) }
	deep := func(n int) string {
		return `{"id":"evt_deep","type":"x","d":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		body   string
		status int
		reply  string
	}{
		{"an id with a control byte", "/stripe", stripe(`{"id":"bad\u0001id","type":"x"}`), `{"id":"bad\u0001id","type":"x"}`, 400, "event id"},
		{"an id with a space", "/stripe", stripe(`{"id":"a b","type":"x"}`), `{"id":"a b","type":"x"}`, 400, "event id"},
		{"an id of 257 bytes", "/stripe", stripe(`{"id":"` + strings.Repeat("i", 257) + `","type":"x"}`), `{"id":"` + strings.Repeat("i", 257) + `","type":"x"}`, 400, "event id"},
		{"a non-ASCII id", "/stripe", stripe(`{"id":"évt","type":"x"}`), `{"id":"évt","type":"x"}`, 400, "event id"},
		{"a signed svix id with a space", "/standard",
			ct.StandardSigned("Svix", ct.StandardSecret, `{"type":"a"}`, "msg x", now), `{"type":"a"}`, 400, "event id"},
		{"a signed svix id with bytes past ASCII", "/standard",
			ct.StandardSigned("Svix", ct.StandardSecret, `{"type":"a"}`, "msg\xffx", now), `{"type":"a"}`, 400, "event id"},
		{"a type with a newline", "/stripe", stripe(`{"id":"evt_t","type":"a\nb"}`), `{"id":"evt_t","type":"a\nb"}`, 400, "event type"},
		{"a GitHub event header with bytes past ASCII", "/github",
			ct.GitHubSigned(`{"n":1}`, "iss\xffues", "g"), `{"n":1}`, 400, "event type"},
		{"a duplicate top-level type", "/stripe", stripe(`{"id":"evt_dup","type":"invoice.paid","type":"customer.deleted"}`),
			`{"id":"evt_dup","type":"invoice.paid","type":"customer.deleted"}`, 400, "duplicate object key"},
		{"a duplicate top-level id", "/stripe", stripe(`{"id":"evt_a","id":"evt_b","type":"x"}`), `{"id":"evt_a","id":"evt_b","type":"x"}`, 400, "duplicate object key"},
		{"a duplicate nested key", "/stripe", stripe(`{"id":"evt_n","type":"x","data":{"object":{"customer":"a","customer":"b"}}}`),
			`{"id":"evt_n","type":"x","data":{"object":{"customer":"a","customer":"b"}}}`, 400, "duplicate object key"},
		{"a duplicate spelled with an escape", "/stripe", stripe(`{"id":"evt_e","type":"x","t\u0079pe":"y"}`), `{"id":"evt_e","type":"x","t\u0079pe":"y"}`, 400, "duplicate object key"},
		{"nesting past the default 64", "/stripe", stripe(deep(64)), deep(64), 400, "nesting deeper than 64"},
		{"nesting past a route's max_depth", "/shallow", stripe(deep(3)), deep(3), 400, "nesting deeper than 3"},
		{"a tenant with a colon", "/tenant/header", withHeaders(stripe(ct.StripeEvent("evt_tc")), "X-Tenant", "acme:x"), ct.StripeEvent("evt_tc"), 400, "tenant"},
		{"a tenant of 2000 bytes", "/tenant/header", withHeaders(stripe(ct.StripeEvent("evt_tl")), "X-Tenant", strings.Repeat("t", 2000)), ct.StripeEvent("evt_tl"), 400, "tenant"},
		{"a tenant with bytes past ASCII", "/tenant/header", withHeaders(stripe(ct.StripeEvent("evt_tb")), "X-Tenant", "a\xffb"), ct.StripeEvent("evt_tb"), 400, "tenant"},
		{"a tenant with a space", "/tenant/header", withHeaders(stripe(ct.StripeEvent("evt_ts")), "X-Tenant", "a b"), ct.StripeEvent("evt_ts"), 400, "tenant"},
		{"a path tenant with a decoded %3A", "/tenant/path/acme%3Ax", stripe(ct.StripeEvent("evt_tp")), ct.StripeEvent("evt_tp"), 400, "tenant"},
		{"a path tenant with a decoded newline", "/tenant/path/a%0Ab", stripe(ct.StripeEvent("evt_tn")), ct.StripeEvent("evt_tn"), 400, "tenant"},
		{"a body that is an array", "/hmac", ct.HMACSigned(`[{"a":1}]`, time.Time{}), `[{"a":1}]`, 400, "not a JSON object"},
		{"a form body on a JSON-only generic route", "/hmac", ct.HMACSigned(`a=1&b=2`, time.Time{}), `a=1&b=2`, 400, "JSON"},
		{"a truncated body", "/stripe", stripe(`{"id":"evt_tr","type":"x"`), `{"id":"evt_tr","type":"x"`, 400, "unexpected end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := g.length(t)
			status, _, reply := g.Post(t, tc.path, tc.header, []byte(tc.body))
			if status != tc.status || !strings.Contains(reply, tc.reply) {
				t.Fatalf("%d %s, want %d with %q", status, reply, tc.status, tc.reply)
			}
			if n := g.length(t); n != before {
				t.Fatalf("the stream grew by %d", n-before)
			}
		})
	}
}

func TestOnlyAValidTraceparentIsStored(t *testing.T) {
	g := startGateway(t, "", replaySite)
	const valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for i, tc := range []struct {
		name, value, stored string
	}{
		{"a valid traceparent is kept", valid, valid},
		{"3000 bytes of junk are dropped", "00-" + strings.Repeat("a", 3000), ""},
		{"uppercase hex is dropped", strings.ToUpper(valid), ""},
		{"an all-zero trace id is dropped", "00-00000000000000000000000000000000-b7ad6b7169203331-01", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ct.StripeEvent("evt_trace_" + string(rune('a'+i)))
			h := withHeaders(ct.StripeSigned(ct.StripeSecret, body, time.Now()), "Traceparent", tc.value)
			if status, _, reply := g.Post(t, "/stripe", h, []byte(body)); status != 202 {
				t.Fatalf("%d %s", status, reply)
			}
			msgs := g.entries(t)
			got, _ := msgs[len(msgs)-1].Values["traceparent"].(string)
			if got != tc.stored {
				t.Fatalf("stored traceparent %.60q, want %q", got, tc.stored)
			}
		})
	}
}

// Unsigned headers kept for audit are the sender's bytes: only a short
// line of printable ASCII is stored beside the event, so a relabelled
// replay or a first delivery cannot bloat entries or carry control bytes to
// what operators and normalizers read. The event itself is stored either way.
func TestOnlyShortPrintableAuditHeadersAreStored(t *testing.T) {
	g := startGateway(t, "", replaySite)
	for i, tc := range []struct {
		name, userAgent string
		kept            bool
	}{
		{"an ordinary User-Agent is kept", "Stripe/1.0 (+https://stripe.com/docs/webhooks)", true},
		{"512 bytes are kept", strings.Repeat("u", 512), true},
		{"513 bytes are dropped", strings.Repeat("u", 513), false},
		{"bytes past ASCII are dropped", "Stripe/\xff1.0", false},
		{"a tab is dropped", "Stripe/1.0\tx", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := ct.StripeEvent("evt_audit_" + string(rune('a'+i)))
			h := withHeaders(ct.StripeSigned(ct.StripeSecret, body, time.Now()), "User-Agent", tc.userAgent)
			if status, _, reply := g.Post(t, "/stripe", h, []byte(body)); status != 202 {
				t.Fatalf("%d %s", status, reply)
			}
			msgs := g.entries(t)
			got, ok := msgs[len(msgs)-1].Values["h:User-Agent"].(string)
			if tc.kept && got != tc.userAgent || !tc.kept && ok {
				t.Fatalf("stored User-Agent %.60q (present %v), want kept = %v", got, ok, tc.kept)
			}
		})
	}
}
