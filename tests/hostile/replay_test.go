package hostile

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
)

const otherStripeSecret = "whsec_other_sender"

// replaySite holds one route per way an attacker could relabel a capture.
const replaySite = `
	webhook /stripe stripe {
		secret ` + ct.StripeSecret + `
	}
	webhook /stripe-b stripe {
		secret ` + otherStripeSecret + `
	}
	webhook /shared-a stripe {
		secret ` + ct.StripeSecret + `
		dedupe_scope shared
	}
	webhook /shared-b stripe {
		secret ` + otherStripeSecret + `
		dedupe_scope shared
	}
	webhook /tenant/header stripe {
		secret ` + ct.StripeSecret + `
		tenant {http.request.header.X-Tenant}
	}
	webhook /tenant/path/* stripe {
		secret ` + ct.StripeSecret + `
		tenant {http.request.uri.path.2}
	}
	webhook /tenant/host stripe {
		secret ` + ct.StripeSecret + `
		tenant {http.request.host}
	}
	webhook /standard standard {
		secret ` + ct.StandardSecret + `
	}
	webhook /github github {
		secret ` + ct.GitHubSecret + `
	}
	webhook /wordpress wordpress {
		secret ` + ct.WordPressSecret + `
	}
	webhook /hmac hmac {
		secret ` + ct.HMACSecret + `
		header X-Sig
		id_header X-Id
		type_header X-Type
	}
	webhook /hmac-ts hmac {
		secret ` + ct.HMACSecret + `
		header X-Sig
		timestamp_header X-Ts
		id_header X-Id
		type_header X-Type
	}
	webhook /token token {
		secret ` + ct.TokenSecret + `
		header X-Token
		id_header X-Id
		type_header X-Type
	}`

// relabel changes what the signature does not cover.
type relabel struct {
	name   string
	path   string // "" is the original route
	change func(h http.Header)
}

func set(name, value string) func(http.Header) {
	return func(h http.Header) { h.Set(name, value) }
}

func TestReplayUnderFreshLabelsIsADuplicate(t *testing.T) {
	t.Run("one partition", func(t *testing.T) { replayUnderFreshLabels(t, startGateway(t, "", replaySite)) })
	// Placed by the ordering key (a Stripe event's customer) or the id in
	// one of 4 partitions: a relabelled copy must land where its first did.
	t.Run("four partitions ordered by customer", func(t *testing.T) {
		opts := `stream events {
			partitions 4
		}
		relay ordered {
			to http://127.0.0.1:9/unreachable
			secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
			order_by data.object.customer
		}`
		replayUnderFreshLabels(t, startGatewayOf(t, 4, opts, replaySite))
	})
}

func replayUnderFreshLabels(t *testing.T, g *gateway) {
	now := time.Now()
	genericBody := `{"order":"o_1","status":"paid"}`
	for _, tc := range []struct {
		name     string
		path     string
		header   http.Header
		body     string
		wantType string
		labels   []relabel
	}{
		{"svix: an unsigned webhook-id does not override the signed svix-id", "/standard",
			ct.StandardSigned("Svix", ct.StandardSecret, `{"type":"user.created"}`, "msg_svix_1", now), `{"type":"user.created"}`, "user.created",
			[]relabel{
				{"fresh webhook-id", "", set("Webhook-Id", "msg_fresh")},
				{"another fresh webhook-id", "", set("Webhook-Id", "msg_fresh_2")},
				{"fresh webhook-id and timestamp", "", func(h http.Header) { h.Set("Webhook-Id", "x"); h.Set("Webhook-Timestamp", "1") }},
			}},
		{"hmac: fresh X-Id and X-Type values are the same event", "/hmac",
			withHeaders(ct.HMACSigned(genericBody, time.Time{}), "X-Id", "id_1", "X-Type", "order.paid"), genericBody, "order.paid",
			[]relabel{
				{"fresh X-Id", "", set("X-Id", "id_2")},
				{"X-Type re-routes to customer.deleted", "", set("X-Type", "customer.deleted")},
				{"both", "", func(h http.Header) { h.Set("X-Id", "id_3"); h.Set("X-Type", "user.deleted") }},
				{"no X-Id at all", "", func(h http.Header) { h.Del("X-Id") }},
			}},
		{"hmac with a signed timestamp: fresh labels are the same event", "/hmac-ts",
			withHeaders(ct.HMACSigned(genericBody, now), "X-Id", "id_1", "X-Type", "order.paid"), genericBody, "order.paid",
			[]relabel{
				{"fresh X-Id", "", set("X-Id", "id_9")},
				{"fresh X-Type", "", set("X-Type", "customer.deleted")},
			}},
		{"token: fresh X-Id and X-Type values are the same event", "/token",
			http.Header{"Content-Type": {"application/json"}, "X-Token": {ct.TokenSecret}, "X-Id": {"t_1"}, "X-Type": {"order.paid"}},
			genericBody, "order.paid",
			[]relabel{
				{"fresh X-Id", "", set("X-Id", "t_2")},
				{"fresh X-Type", "", set("X-Type", "customer.deleted")},
			}},
		{"wordpress: a body without an id is named by its signed bytes, not X-Event-Id", "/wordpress",
			ct.WordPressSigned(`{"event":"post.published","post_id":7}`, "e-1", now), `{"event":"post.published","post_id":7}`, "post.published",
			[]relabel{
				{"fresh X-Event-Id", "", set("X-Event-Id", "e-2")},
				{"no X-Event-Id", "", func(h http.Header) { h.Del("X-Event-Id") }},
			}},
		{"wordpress: a body with a null id is named by its signed bytes", "/wordpress",
			ct.WordPressSigned(`{"id":null,"event":"post.published"}`, "n-1", now), `{"id":null,"event":"post.published"}`, "post.published",
			[]relabel{{"fresh X-Event-Id", "", set("X-Event-Id", "n-2")}}},
		{"wordpress: a body with an object id is named by its signed bytes", "/wordpress",
			ct.WordPressSigned(`{"id":{"a":1},"event":"post.published"}`, "o-1", now), `{"id":{"a":1},"event":"post.published"}`, "post.published",
			[]relabel{{"fresh X-Event-Id", "", set("X-Event-Id", "o-2")}}},
		{"github: fresh delivery ids and event names are the same event", "/github",
			ct.GitHubSigned(`{"action":"opened","number":1}`, "issues", "guid-1"), `{"action":"opened","number":1}`, "issues.opened",
			[]relabel{
				{"fresh X-GitHub-Delivery", "", set("X-Github-Delivery", "guid-2")},
				{"X-GitHub-Event re-types it", "", set("X-Github-Event", "delete")},
			}},
		{"tenant from a header: every spelling is the same event", "/tenant/header",
			withHeaders(ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_tenant_h"), now), "X-Tenant", "acme"), ct.StripeEvent("evt_tenant_h"), "invoice.paid",
			[]relabel{
				{"ACME", "", set("X-Tenant", "ACME")},
				{"another tenant", "", set("X-Tenant", "globex")},
				{"no tenant", "", func(h http.Header) { h.Del("X-Tenant") }},
				{"the same signer on another route", "/stripe", nil},
				{"the same signer on a path tenant", "/tenant/path/zeta", nil},
			}},
		{"tenant from the host: case and a trailing dot are one tenant", "/tenant/host",
			withHeaders(ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_tenant_host"), now), "Host", "hooks.example.test"), ct.StripeEvent("evt_tenant_host"), "invoice.paid",
			[]relabel{
				{"Hooks.Example.Test", "", set("Host", "Hooks.Example.Test")},
				{"a trailing dot", "", set("Host", "hooks.example.test.")},
				{"another host", "", set("Host", "evil.example.test")},
			}},
		{"tenant from the path: every path is the same event", "/tenant/path/acme",
			ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_tenant_p"), now), ct.StripeEvent("evt_tenant_p"), "invoice.paid",
			[]relabel{
				{"ACME", "/tenant/path/ACME", nil},
				{"other", "/tenant/path/other", nil},
			}},
		{"routes sharing a dedupe_scope share events", "/shared-a",
			ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_shared"), now), ct.StripeEvent("evt_shared"), "invoice.paid",
			[]relabel{{"the other route of the scope", "/shared-b", func(h http.Header) {
				h.Set("Stripe-Signature", ct.StripeSigned(otherStripeSecret, ct.StripeEvent("evt_shared"), now).Get("Stripe-Signature"))
			}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := g.length(t)
			status, _, reply := g.Post(t, tc.path, tc.header, []byte(tc.body))
			if status != http.StatusAccepted {
				t.Fatalf("first delivery: %d %s", status, reply)
			}
			id := replyID(t, reply)
			for _, l := range tc.labels {
				h := clone(tc.header)
				if l.change != nil {
					l.change(h)
				}
				path := tc.path
				if l.path != "" {
					path = l.path
				}
				status, _, reply := g.Post(t, path, h, []byte(tc.body))
				if status != http.StatusOK || replyID(t, reply) != id {
					t.Errorf("%s: %d %s, want 200 duplicate of %s", l.name, status, reply, id)
				}
			}
			msgs := g.entries(t)
			if int64(len(msgs))-before != 1 {
				t.Fatalf("stream grew by %d, want 1", int64(len(msgs))-before)
			}
			last := msgs[len(msgs)-1].Values
			if last["id"] != id || last["type"] != tc.wantType {
				t.Fatalf("stored id %v type %v, want %s %s", last["id"], last["type"], id, tc.wantType)
			}
		})
	}
}

func TestOneSenderCannotShadowAnother(t *testing.T) {
	g := startGateway(t, "", replaySite)
	body := ct.StripeEvent("evt_1001")
	if status, _, reply := g.Post(t, "/stripe-b", ct.StripeSigned(otherStripeSecret, body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("sender B: %d %s", status, reply)
	}
	if status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("sender A's own event 1001 after B's: %d %s, want 202", status, reply)
	}
	if status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body)); status != 200 {
		t.Fatalf("sender A's retry: %d %s, want 200", status, reply)
	}
	if n := g.length(t); n != 2 {
		t.Fatalf("stream holds %d entries, want 2", n)
	}
}

func TestSecretRotationKeepsTheDedupeScope(t *testing.T) {
	route := func(secrets string) string {
		return "\twebhook /stripe stripe {\n\t\tsecret " + secrets + "\n\t}"
	}
	g := startGateway(t, "", route(ct.StripeSecret))
	body := ct.StripeEvent("evt_rotating")
	post := func(secret string) int {
		status, _, _ := g.Post(t, "/stripe", ct.StripeSigned(secret, body, time.Now()), []byte(body))
		return status
	}
	if got := post(ct.StripeSecret); got != 202 {
		t.Fatalf("before rotation: %d", got)
	}
	g.Reload(t, "", route("whsec_new_secret "+ct.StripeSecret), "/reloaded-1")
	if got := post(ct.StripeSecret); got != 200 {
		t.Fatalf("old-secret retry after a rotation secret was added: %d, want 200", got)
	}
	if got := post("whsec_new_secret"); got != 200 {
		t.Fatalf("new-secret retry of the same event: %d, want 200", got)
	}
	if n := g.length(t); n != 1 {
		t.Fatalf("stream holds %d entries, want 1", n)
	}
}

func withHeaders(h http.Header, kv ...string) http.Header {
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func replyID(t *testing.T, reply string) string {
	t.Helper()
	var r struct{ ID string }
	if err := json.Unmarshal([]byte(reply), &r); err != nil || r.ID == "" {
		t.Fatalf("reply %q has no id", strings.TrimSpace(reply))
	}
	return r.ID
}
