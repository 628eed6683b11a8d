package tests

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

const contractSite = `
	webhook /stripe stripe {
		secret whsec_retired_secret whsec_test_secret
		max_size 4KB
	}
	webhook /github github {
		secret gh_secret
	}
	webhook /standard standard {
		secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
	}
	webhook /wordpress wordpress {
		secret wp_shared_secret
	}
	webhook /hmac hmac {
		secret generic_secret
		header X-Signature
		prefix sha256=
		id_header X-Delivery
		type_field kind
	}
	webhook /hmac-field hmac {
		secret generic_secret
		header X-Signature
		prefix sha256=
		id_header X-Delivery
		id_field id
		type_field kind
	}
	webhook /token token {
		secret static-token-123
		header X-Token
		id_field id
	}
	webhook /tenants/* stripe {
		secret whsec_test_secret
		tenant {http.request.uri.path.1}
	}
	respond "the WordPress site"
`

type ingest struct {
	caddy *caddy
	rdb   *redis.Client
}

func startIngest(t *testing.T) *ingest {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return &ingest{caddy: startCaddy(t, srv.URL(), "", contractSite), rdb: rdb}
}

// entries returns the stored events of stream.
func (in *ingest) entries(t *testing.T, stream string) []redis.XMessage {
	t.Helper()
	msgs, err := in.rdb.XRange(context.Background(), "hookgate:{"+stream+"}", "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE %s: %v", stream, err)
	}
	return msgs
}

func TestIngestContract(t *testing.T) {
	in := startIngest(t)
	now := time.Now()
	big := `{"id":"evt_big","type":"x","pad":"` + strings.Repeat("a", 5000) + `"}`
	ghID := bodyID("", `{"action":"opened"}`)
	wpID := bodyID(strconv.FormatInt(now.Unix(), 10), `{"event":"post.published","post_id":7}`)
	hmacID := bodyID("", `{"kind":"ping"}`)
	cases := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   string
		status int
		reply  string
	}{
		{"GET is not allowed", http.MethodGet, "/stripe", nil, "", 405, `{"error":"method not allowed: use POST"}`},
		{"wrong content type is refused", "POST", "/stripe",
			with(stripeSigned(stripeEvent("evt_ct"), now), "Content-Type", "text/plain"), stripeEvent("evt_ct"), 415, `{"error":"content type must be application/json"}`},
		{"body over max_size is refused before verifying", "POST", "/stripe",
			http.Header{"Content-Type": {"application/json"}}, big, 413, `{"error":"body exceeds max_size of 3.9 KiB"}`},
		{"missing signature is rejected", "POST", "/stripe",
			http.Header{"Content-Type": {"application/json"}}, stripeEvent("evt_nosig"), 401, `{"error":"missing signature"}`},
		{"bad signature is rejected", "POST", "/stripe",
			with(stripeSigned(stripeEvent("evt_bad"), now), "Stripe-Signature", "t=1,v1=00"), stripeEvent("evt_bad"), 401, ""},
		{"a body changed after signing is rejected", "POST", "/stripe",
			stripeSigned(stripeEvent("evt_orig"), now), stripeEvent("evt_forged"), 401, `{"error":"signature mismatch"}`},
		{"stale timestamp is rejected", "POST", "/stripe",
			stripeSigned(stripeEvent("evt_old"), now.Add(-6*time.Minute)), stripeEvent("evt_old"), 401, `{"error":"timestamp outside tolerance"}`},
		{"future timestamp is rejected", "POST", "/stripe",
			stripeSigned(stripeEvent("evt_future"), now.Add(6*time.Minute)), stripeEvent("evt_future"), 401, `{"error":"timestamp outside tolerance"}`},
		{"signed but malformed JSON is a bad request", "POST", "/stripe",
			stripeSigned(`{"id":"evt_x",`, now), `{"id":"evt_x",`, 400, ""},
		{"signed JSON without an event id is a bad request", "POST", "/stripe",
			stripeSigned(`{"type":"invoice.paid"}`, now), `{"type":"invoice.paid"}`, 400, `{"error":"body has no string \"id\" field"}`},
		{"a signed id longer than 256 bytes is a bad request", "POST", "/stripe",
			stripeSigned(stripeEvent(strings.Repeat("e", 257)), now), stripeEvent(strings.Repeat("e", 257)), 400, `{"error":"event id must be 1 to 256 visible ASCII characters"}`},
		{"a signed id with a control byte is a bad request", "POST", "/stripe",
			stripeSigned(`{"id":"bad\u0001id","type":"x"}`, now), `{"id":"bad\u0001id","type":"x"}`, 400, `{"error":"event id must be 1 to 256 visible ASCII characters"}`},
		{"wrong token is rejected", "POST", "/token",
			http.Header{"X-Token": {"static-token-124"}}, `{"id":"tok_1"}`, 401, ""},
		{"stripe event signed with the second secret is accepted", "POST", "/stripe",
			stripeSigned(stripeEvent("evt_ok"), now), stripeEvent("evt_ok"), 202, `{"status":"accepted","id":"evt_ok"}`},
		{"github event is accepted under the hash of its signed body", "POST", "/github",
			githubSigned(`{"action":"opened"}`, "d-1"), `{"action":"opened"}`, 202, `{"status":"accepted","id":"` + ghID + `"}`},
		{"standard webhooks event is accepted", "POST", "/standard",
			standardSigned(`{"type":"user.created","data":{}}`, "msg_1", now), `{"type":"user.created","data":{}}`, 202, `{"status":"accepted","id":"msg_1"}`},
		{"wordpress event without a body id is accepted under the hash of its signed bytes", "POST", "/wordpress",
			wordpressSigned(`{"event":"post.published","post_id":7}`, "wp-1", now), `{"event":"post.published","post_id":7}`, 202, `{"status":"accepted","id":"` + wpID + `"}`},
		{"wordpress event whose signed body names the same id is accepted", "POST", "/wordpress",
			wordpressSigned(`{"id":"wp-2","event":"comment.created","comment_id":3}`, "wp-2", now), `{"id":"wp-2","event":"comment.created","comment_id":3}`, 202, `{"status":"accepted","id":"wp-2"}`},
		{"a signed wordpress body resent under another X-Event-Id is a bad request", "POST", "/wordpress",
			wordpressSigned(`{"id":"wp-2","event":"comment.created","comment_id":3}`, "wp-forged", now), `{"id":"wp-2","event":"comment.created","comment_id":3}`, 400, `{"error":"X-Event-Id header differs from the body's \"id\" field"}`},
		{"generic hmac event is accepted under the hash of its signed body", "POST", "/hmac",
			http.Header{"X-Delivery": {"h-1"}, "X-Signature": {"sha256=" + hex.EncodeToString(mac([]byte(hmacSecret), `{"kind":"ping"}`))}},
			`{"kind":"ping"}`, 202, `{"status":"accepted","id":"` + hmacID + `"}`},
		{"an unsigned id header never makes an hmac replay new", "POST", "/hmac",
			http.Header{"X-Delivery": {"h-2"}, "X-Signature": {"sha256=" + hex.EncodeToString(mac([]byte(hmacSecret), `{"kind":"ping"}`))}},
			`{"kind":"ping"}`, 200, `{"status":"duplicate","id":"` + hmacID + `"}`},
		{"an hmac route with id_field takes the signed body id", "POST", "/hmac-field",
			http.Header{"X-Delivery": {"h-3"}, "X-Signature": {"sha256=" + hex.EncodeToString(mac([]byte(hmacSecret), `{"id":"h-3","kind":"ping"}`))}},
			`{"id":"h-3","kind":"ping"}`, 202, `{"status":"accepted","id":"h-3"}`},
		{"an hmac id header that differs from the signed body id is a bad request", "POST", "/hmac-field",
			http.Header{"X-Delivery": {"h-other"}, "X-Signature": {"sha256=" + hex.EncodeToString(mac([]byte(hmacSecret), `{"id":"h-4","kind":"ping"}`))}},
			`{"id":"h-4","kind":"ping"}`, 400, `{"error":"X-Delivery header differs from the body's \"id\" field"}`},
		{"token event is accepted", "POST", "/token",
			http.Header{"X-Token": {tokenSecret}}, `{"id":"tok_1"}`, 202, `{"status":"accepted","id":"tok_1"}`},
		{"the same stripe event again is a duplicate", "POST", "/stripe",
			stripeSigned(stripeEvent("evt_ok"), now), stripeEvent("evt_ok"), 200, `{"status":"duplicate","id":"evt_ok"}`},
		{"the same github delivery again is a duplicate", "POST", "/github",
			githubSigned(`{"action":"opened"}`, "d-1"), `{"action":"opened"}`, 200, `{"status":"duplicate","id":"` + ghID + `"}`},
		{"a captured github body resent under a new delivery id is a duplicate", "POST", "/github",
			githubSigned(`{"action":"opened"}`, "d-forged"), `{"action":"opened"}`, 200, `{"status":"duplicate","id":"` + ghID + `"}`},
		{"a github delivery without a delivery id is named by its body all the same", "POST", "/github",
			with(githubSigned(`{"action":"opened"}`, "d-1"), "X-Github-Delivery", ""), `{"action":"opened"}`, 200, `{"status":"duplicate","id":"` + ghID + `"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, in.caddy.Base+c.path, strings.NewReader(c.body))
			for k, v := range c.header {
				req.Header[k] = v
			}
			status, hdr, reply := do(t, req)
			if status != c.status {
				t.Fatalf("status %d, want %d; reply %s", status, c.status, reply)
			}
			if c.reply != "" && strings.TrimSpace(reply) != c.reply {
				t.Fatalf("reply %s, want %s", reply, c.reply)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q, want application/json", ct)
			}
			if c.status == 405 && hdr.Get("Allow") != "POST" {
				t.Fatalf("Allow %q, want POST", hdr.Get("Allow"))
			}
			for _, secret := range []string{stripeSecret, githubSecret, tokenSecret, "whsec_retired_secret"} {
				if strings.Contains(reply, secret) {
					t.Fatalf("reply reveals a secret: %s", reply)
				}
			}
		})
	}

	t.Run("only accepted events are in the stream, each once", func(t *testing.T) {
		got := map[string]string{}
		for _, m := range in.entries(t, "events") {
			got[m.Values["id"].(string)] = m.Values["source"].(string)
		}
		want := map[string]string{"evt_ok": "stripe", ghID: "github", "msg_1": "standard", wpID: "wordpress", "wp-2": "wordpress", hmacID: "hmac", "h-3": "hmac", "tok_1": "token"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("stream holds %v, want %v", got, want)
		}
	})

	t.Run("a stored entry has what the relay needs", func(t *testing.T) {
		for _, m := range in.entries(t, "events") {
			if m.Values["id"] != ghID {
				continue
			}
			s, err := relay.Decode(m.Values)
			if err != nil {
				t.Fatal(err)
			}
			if s.Type != "issues.opened" || s.Tenant != "default" || string(s.Body) != `{"action":"opened"}` ||
				s.Header.Get("X-GitHub-Delivery") != "d-1" || time.Since(s.ReceivedAt) > time.Minute {
				t.Fatalf("stored %+v", s)
			}
			if s.Header.Get("X-Hub-Signature-256") != "" {
				t.Fatalf("the signature was stored: %v", s.Header)
			}
			return
		}
		t.Fatal("github event not found")
	})

	t.Run("other paths still reach the site", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, in.caddy.Base+"/", nil)
		if status, _, body := do(t, req); status != 200 || body != "the WordPress site" {
			t.Fatalf("GET / = %d %q", status, body)
		}
	})
}

func TestIngestTenantFromPlaceholder(t *testing.T) {
	in := startIngest(t)
	for _, tc := range []struct {
		path, id string
		status   int
	}{
		{"/tenants/acme", "evt_acme", 202},
		{"/tenants/Globex", "evt_globex", 202},
		{"/tenants/acme:x", "evt_colon", 400},
		{"/tenants/a%0Ab", "evt_newline", 400},
		{"/tenants/" + strings.Repeat("t", 65), "evt_long", 400},
	} {
		body := stripeEvent(tc.id)
		if status, _, reply := in.caddy.post(t, tc.path, stripeSigned(body, time.Now()), []byte(body)); status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.path, status, reply, tc.status)
		}
	}
	msgs := in.entries(t, "events")
	if len(msgs) != 2 || msgs[0].Values["tenant"] != "acme" || msgs[1].Values["tenant"] != "globex" {
		t.Fatalf("want the acme and globex events with lowercased tenants, got %v", msgs)
	}
}

func TestIngestBodyCapCountsChunkedBodies(t *testing.T) {
	in := startIngest(t)
	body := `{"id":"evt_chunked","pad":"` + strings.Repeat("b", 8000) + `"}`
	req, _ := http.NewRequest(http.MethodPost, in.caddy.Base+"/stripe", struct{ *strings.Reader }{strings.NewReader(body)})
	req.ContentLength = -1 // chunked: the cap must be counted while reading
	for k, v := range stripeSigned(body, time.Now()) {
		req.Header[k] = v
	}
	if status, _, reply := do(t, req); status != 413 {
		t.Fatalf("chunked 8 KB body with max_size 4KB: %d %s", status, reply)
	}
	if n := len(in.entries(t, "events")); n != 0 {
		t.Fatalf("stream holds %d entries after a refused body", n)
	}
}

func TestConcurrentDeliveriesOfOneEventStoreOne(t *testing.T) {
	in := startIngest(t)
	body := stripeEvent("evt_concurrent")
	header := stripeSigned(body, time.Now())
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = in.caddy.post(t, "/stripe", header, []byte(body))
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[202] != 1 || count[200] != n-1 {
		t.Fatalf("statuses %v, want one 202 and %d × 200", count, n-1)
	}
	if got := len(in.entries(t, "events")); got != 1 {
		t.Fatalf("stream holds %d entries, want 1", got)
	}
}

func TestRedisDownIsUnavailableAndNothingIsAcknowledged(t *testing.T) {
	srv, c, rdb := stripeOnly(t, "timeout 500ms")
	body := stripeEvent("evt_while_down")

	srv.Stop()
	status, hdr, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
	if status != 503 || hdr.Get("Retry-After") == "" {
		t.Fatalf("with redis down: %d, Retry-After %q, %s; want 503 with Retry-After", status, hdr.Get("Retry-After"), reply)
	}

	srv.Restart()
	waitFor(t, 10*time.Second, "the provider's retry to be accepted", func() bool {
		status, _, _ = c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
		return status == 202
	})
	if n := rdb.XLen(context.Background(), "hookgate:{events}").Val(); n != 1 {
		t.Fatalf("stream holds %d entries, want 1", n)
	}
}

func TestSlowRedisIsUnavailable(t *testing.T) {
	_, c, rdb := stripeOnly(t, "timeout 300ms")
	body := stripeEvent("evt_slow")
	// Warm the connection so the pause, not a dial, is what is slow.
	if status, _, reply := c.post(t, "/stripe", stripeSigned(stripeEvent("evt_warm"), time.Now()), []byte(stripeEvent("evt_warm"))); status != 202 {
		t.Fatalf("warm-up: %d %s", status, reply)
	}
	if err := rdb.Do(context.Background(), "CLIENT", "PAUSE", "2000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	status, hdr, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
	if status != 503 || hdr.Get("Retry-After") == "" {
		t.Fatalf("with redis paused: %d, Retry-After %q, %s; want 503", status, hdr.Get("Retry-After"), reply)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("503 took %v; the bound is 300ms", took)
	}
}

// bodyID is the id ingest gives an event whose signature covers no id: the
// hash of the signed timestamp (when there is one) and body.
func bodyID(ts, body string) string {
	if ts != "" {
		body = ts + "." + body
	}
	sum := sha256.Sum256([]byte(body))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func with(h http.Header, key, value string) http.Header {
	out := h.Clone()
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}

// stripeOnly runs a Caddy with one Stripe route and the given hookgate
// options against its own redis-server.
func stripeOnly(t *testing.T, hookgateOpts string) (*redistest.Server, *caddy, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), hookgateOpts, stripeRoute)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return srv, c, rdb
}
