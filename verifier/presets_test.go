package verifier

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// presetVector is one request a provider sends, signed as its
// documentation says. None of these providers publishes a worked example
// that fits its documented algorithm, so every vector here was computed
// from the documented algorithm (with Python's hmac module, not this
// package), except where noted.
type presetVector struct {
	preset, secret string
	header         []string // name, value pairs
	body           string
	now            int64  // the clock, unix seconds
	ts             string // the signed timestamp as sent; "" where none
	tsIn           string // where ts is: "header:<Name>", "sig" (the signature list) or "body"
	sig            string // the signature header's name
	id, typ        string // what Identify stores; "hash" for the signed bytes' hash
}

var presetVectors = []presetVector{
	// The Shopify and WooCommerce vectors are ../shared/providers.md's.
	{preset: "shopify", secret: "shpss_test", sig: "X-Shopify-Hmac-Sha256",
		header: []string{"X-Shopify-Hmac-Sha256", "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ=",
			"X-Shopify-Topic", "orders/create", "X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
			"X-Shopify-Shop-Domain", "shop.myshopify.com"},
		body: `{"id":820982911946154508,"email":"jon@example.com"}`, id: "hash", typ: "orders.create"},
	{preset: "woocommerce", secret: "wc_secret", sig: "X-WC-Webhook-Signature",
		header: []string{"X-WC-Webhook-Signature", "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0=",
			"X-WC-Webhook-Topic", "order.updated", "X-WC-Webhook-Delivery-ID", "17"},
		body: `{"id":42,"status":"processing"}`, id: "hash", typ: "order.updated"},
	// providers.md's Paddle vector.
	{preset: "paddle", secret: "pdl_ntfset_test", sig: "Paddle-Signature", now: 1700000000, ts: "1700000000", tsIn: "sig",
		header: []string{"Paddle-Signature", "ts=1700000000;h1=cdc5cfe323f9d9f1c1fd8f7f085bcf6f029d0ecd291e7a44b2f57b88c63dd648"},
		body:   `{"event_id":"evt_01","event_type":"transaction.completed"}`, id: "evt_01", typ: "transaction.completed"},
	{preset: "linear", secret: "lin_wh_secret", sig: "Linear-Signature", now: 1700000000, ts: "1700000000000", tsIn: "body",
		header: []string{"Linear-Signature", "98af0f2251421f394c0a12190881418ac498f9194f522a0b2fea835beec42df2",
			"Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72", "Linear-Event", "Issue"},
		body: `{"action":"create","type":"Issue","data":{"id":"iss_1"},"webhookTimestamp":1700000000000}`, id: "hash", typ: "Issue.create"},
	{preset: "intercom", secret: "ic_client_secret", sig: "X-Hub-Signature",
		header: []string{"X-Hub-Signature", "sha1=930a43faca79fd63fc17cad5e79e53210990b10d"},
		body:   `{"type":"notification_event","id":"notif_1","topic":"conversation.user.created"}`, id: "notif_1", typ: "conversation.user.created"},
	{preset: "calendly", secret: "cal_signing_key", sig: "Calendly-Webhook-Signature", now: 1700000000, ts: "1700000000", tsIn: "sig",
		header: []string{"Calendly-Webhook-Signature", "t=1700000000,v1=c015041786e179bc4f0a0a180c1734b603e241a74bfc6de33d46d40996a32a87"},
		body:   `{"event":"invitee.created","payload":{"email":"a@example.com"}}`, id: "hash", typ: "invitee.created"},
	{preset: "typeform", secret: "tf_secret", sig: "Typeform-Signature",
		header: []string{"Typeform-Signature", "sha256=9MzJuaideU1ywkKDZGnDeSHN7GWJbL0pZzjorW8VvC4="},
		body:   `{"event_id":"01TF","event_type":"form_response"}`, id: "01TF", typ: "form_response"},
	{preset: "zendesk", secret: "zd_signing_secret", sig: "X-Zendesk-Webhook-Signature", now: 1700000000,
		ts: "2023-11-14T22:13:20Z", tsIn: "header:X-Zendesk-Webhook-Signature-Timestamp",
		header: []string{"X-Zendesk-Webhook-Signature", "KeTPGahMNyyQMgMCIUk1DykTk5i79QVO6MuCUztLLcg=",
			"X-Zendesk-Webhook-Signature-Timestamp", "2023-11-14T22:13:20Z", "X-Zendesk-Webhook-Invocation-Id", "8350205582"},
		body: `{"type":"zen:event-type:ticket.created","id":"zd_1"}`, id: "hash", typ: "zen:event-type:ticket.created"},
	{preset: "razorpay", secret: "rzp_wh_secret", sig: "X-Razorpay-Signature",
		header: []string{"X-Razorpay-Signature", "af8ec09e71b543f7eae4b1bfbe8e87f8079ed9025508c4ac3735f496c32d7883",
			"X-Razorpay-Event-Id", "Gf7hB2qM1n3xYz"},
		body: `{"entity":"event","event":"payment.captured","created_at":1700000000}`, id: "hash", typ: "payment.captured"},
	// Token presets: the header carries the secret itself.
	{preset: "gitlab", secret: "glwht-token", sig: "X-Gitlab-Token",
		header: []string{"X-Gitlab-Token", "glwht-token", "X-Gitlab-Event", "Push Hook", "X-Gitlab-Event-UUID", "f3b2"},
		body:   `{"object_kind":"push","ref":"refs/heads/main"}`, id: "hash", typ: "push"},
	{preset: "telegram", secret: "tg_secret-Token_1", sig: "X-Telegram-Bot-Api-Secret-Token",
		header: []string{"X-Telegram-Bot-Api-Secret-Token", "tg_secret-Token_1"},
		body:   `{"update_id":10000,"message":{"text":"hi"}}`, id: "10000"},
}

func (pv presetVector) verifier(t *testing.T, now int64, secrets ...string) Verifier {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{pv.secret}
	}
	v, err := NewPreset(pv.preset, Config{Secrets: secrets, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (pv presetVector) now0() int64 {
	if pv.now == 0 {
		return 1700000000
	}
	return pv.now
}

// identify runs what ingest runs after Verify.
func identify(t *testing.T, v Verifier, s Signed, h http.Header, body []byte) Identity {
	t.Helper()
	loc := v.Locate()
	var found [3]string
	if err := event.ScanStrict(body, 64, loc.Fields(), found[:]); err != nil {
		t.Fatal(err)
	}
	id, err := Identify(s, loc, h, body, BodyFields{ID: found[0], Type: found[1], Action: found[2]})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEveryPresetHasAVector(t *testing.T) {
	for _, p := range Presets() {
		if !slices.ContainsFunc(presetVectors, func(pv presetVector) bool { return pv.preset == p.Name }) {
			t.Errorf("preset %s has no vector", p.Name)
		}
		if (p.HMAC == nil) == (p.Token == nil) {
			t.Errorf("preset %s must have exactly one of HMAC and Token", p.Name)
		}
	}
}

func TestPresetVectorsVerifyAndIdentify(t *testing.T) {
	for _, pv := range presetVectors {
		t.Run(pv.preset, func(t *testing.T) {
			v := pv.verifier(t, pv.now0())
			h := headers(pv.header...)
			s, err := v.Verify(h, []byte(pv.body))
			checkErr(t, err, nil)
			if s.Timestamp != pv.ts {
				t.Errorf("signed timestamp %q, want %q", s.Timestamp, pv.ts)
			}
			id := identify(t, v, s, h, []byte(pv.body))
			wantID := pv.id
			if wantID == "hash" {
				wantID = signedHash(pv.ts, []byte(pv.body))
			}
			if id.ID != wantID || id.Dedupe != wantID || id.Type != pv.typ {
				t.Errorf("identity %+v, want id %s, type %q", id, wantID, pv.typ)
			}
			for _, name := range v.Locate().Audit {
				if http.CanonicalHeaderKey(name) == http.CanonicalHeaderKey(pv.sig) {
					t.Errorf("the signature header %s is kept for audit", name)
				}
			}
		})
	}
}

// The rule at the edge: an unsigned id header is a label. The same signed
// bytes under a fresh one are the same event.
func TestPresetIDHeadersAreLabels(t *testing.T) {
	for _, pv := range presetVectors {
		if pv.id != "hash" {
			continue
		}
		t.Run(pv.preset, func(t *testing.T) {
			v := pv.verifier(t, pv.now0())
			loc := v.Locate()
			if loc.IDHeader == "" {
				t.Skip("no id header")
			}
			a, b := headers(pv.header...), headers(pv.header...)
			b.Set(loc.IDHeader, "replayed-under-a-new-label")
			sa, err := v.Verify(a, []byte(pv.body))
			checkErr(t, err, nil)
			sb, err := v.Verify(b, []byte(pv.body))
			checkErr(t, err, nil)
			if ia, ib := identify(t, v, sa, a, []byte(pv.body)), identify(t, v, sb, b, []byte(pv.body)); ia.Dedupe != ib.Dedupe {
				t.Errorf("a fresh %s made a new event: %s vs %s", loc.IDHeader, ia.Dedupe, ib.Dedupe)
			}
			if !slices.Contains(loc.Audit, loc.IDHeader) {
				t.Errorf("the id label %s is not kept for audit", loc.IDHeader)
			}
		})
	}
}

func TestPresetsRejectOneByteChanges(t *testing.T) {
	for _, pv := range presetVectors {
		p, _ := LookupPreset(pv.preset)
		t.Run(pv.preset, func(t *testing.T) {
			v := pv.verifier(t, pv.now0())
			verify := func(h http.Header, body string) error { return verifyErr(v.Verify(h, []byte(body))) }
			with := func(name, value string) http.Header {
				h := headers(pv.header...)
				h.Set(name, value)
				return h
			}
			sigValue := headers(pv.header...).Get(pv.sig)
			for _, changed := range oneByteChanges(sigValue) {
				if verify(with(pv.sig, changed), pv.body) == nil {
					t.Fatalf("accepted %s: %q", pv.sig, changed)
				}
			}
			if p.Token != nil {
				return // the token signs nothing else
			}
			for _, changed := range oneByteChanges(pv.body) {
				if verify(headers(pv.header...), changed) == nil {
					t.Fatalf("accepted the body %q", changed)
				}
			}
			if name, ok := strings.CutPrefix(pv.tsIn, "header:"); ok {
				for _, changed := range oneByteChanges(pv.ts) {
					if verify(with(name, changed), pv.body) == nil {
						t.Fatalf("accepted the timestamp %q", changed)
					}
				}
			}
		})
	}
}

// resign returns pv's request signed at unix time ts (and the clock with
// it), computed here the way the provider's documentation says.
func (pv presetVector) resign(t *testing.T, secret string, ts int64) (http.Header, string) {
	t.Helper()
	body := pv.body
	h := headers(pv.header...)
	switch pv.preset {
	case "paddle":
		s := strconv.FormatInt(ts, 10)
		h.Set(pv.sig, "ts="+s+";h1="+hex.EncodeToString(stdlibMAC(sha256.New, secret, s+":"+body)))
	case "calendly":
		s := strconv.FormatInt(ts, 10)
		h.Set(pv.sig, "t="+s+",v1="+hex.EncodeToString(stdlibMAC(sha256.New, secret, s+"."+body)))
	case "zendesk":
		s := time.Unix(ts, 0).UTC().Format(time.RFC3339)
		h.Set("X-Zendesk-Webhook-Signature-Timestamp", s)
		h.Set(pv.sig, base64.StdEncoding.EncodeToString(stdlibMAC(sha256.New, secret, s+body)))
	case "linear":
		body = strings.Replace(body, `"webhookTimestamp":1700000000000`, `"webhookTimestamp":`+strconv.FormatInt(ts*1000, 10), 1)
		h.Set(pv.sig, hex.EncodeToString(stdlibMAC(sha256.New, secret, body)))
	default:
		t.Fatalf("%s signs no timestamp", pv.preset)
	}
	return h, body
}

func TestPresetTimestampsOutsideToleranceAreRejected(t *testing.T) {
	const now = 1700000000
	for _, pv := range presetVectors {
		if pv.ts == "" {
			continue
		}
		p, _ := LookupPreset(pv.preset)
		tol := int64(DefaultTolerance / time.Second)
		if p.Tolerance != 0 {
			tol = int64(p.Tolerance / time.Second)
		}
		for _, tc := range []struct {
			name string
			ts   int64
			want error
		}{
			{"a timestamp at the edge of the window is accepted", now - tol, nil},
			{"a future timestamp at the edge is accepted", now + tol, nil},
			{"a stale timestamp is rejected", now - tol - 1, ErrStale},
			{"a future timestamp is rejected", now + tol + 1, ErrStale},
		} {
			t.Run(pv.preset+"/"+tc.name, func(t *testing.T) {
				v := pv.verifier(t, now)
				h, body := pv.resign(t, pv.secret, tc.ts)
				checkErr(t, verifyErr(v.Verify(h, []byte(body))), tc.want)
			})
		}
	}
}

// Rotation on our side (two secrets, the new one second) and on the
// sender's (several signatures in the list, or a repeated header).
func TestPresetRotation(t *testing.T) {
	for _, pv := range presetVectors {
		t.Run(pv.preset+"/the second secret verifies", func(t *testing.T) {
			v := pv.verifier(t, pv.now0(), "an-old-secret", pv.secret)
			checkErr(t, verifyErr(v.Verify(headers(pv.header...), []byte(pv.body))), nil)
		})
		t.Run(pv.preset+"/a wrong secret is a mismatch", func(t *testing.T) {
			v := pv.verifier(t, pv.now0(), "an-old-secret")
			checkErr(t, verifyErr(v.Verify(headers(pv.header...), []byte(pv.body))), ErrMismatch)
		})
	}
	other := func(alg string, secret, msg string) string {
		if alg == "sha1" {
			return hex.EncodeToString(stdlibMAC(sha1.New, secret, msg))
		}
		return hex.EncodeToString(stdlibMAC(sha256.New, secret, msg))
	}
	for _, tc := range []struct {
		name, preset, secret, header, value, body string
	}{
		{"paddle accepts any of several h1", "paddle", "pdl_ntfset_test", "Paddle-Signature",
			"ts=1700000000;h1=" + other("", "rolled", "x") + ";h1=cdc5cfe323f9d9f1c1fd8f7f085bcf6f029d0ecd291e7a44b2f57b88c63dd648",
			`{"event_id":"evt_01","event_type":"transaction.completed"}`},
		{"calendly accepts any of several v1", "calendly", "cal_signing_key", "Calendly-Webhook-Signature",
			"t=1700000000,v1=c015041786e179bc4f0a0a180c1734b603e241a74bfc6de33d46d40996a32a87,v1=" + other("", "rolled", "x"),
			`{"event":"invitee.created","payload":{"email":"a@example.com"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewPreset(tc.preset, Config{Secrets: []string{tc.secret}, Now: at(1700000000)})
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, verifyErr(v.Verify(headers(tc.header, tc.value), []byte(tc.body))), nil)
		})
	}
	t.Run("a repeated plain header: any value may match", func(t *testing.T) {
		v, err := NewPreset("intercom", Config{Secrets: []string{"ic_client_secret"}})
		if err != nil {
			t.Fatal(err)
		}
		body := `{"type":"notification_event","id":"notif_1","topic":"conversation.user.created"}`
		h := http.Header{"X-Hub-Signature": {"sha1=" + other("sha1", "rolled", body), "sha1=930a43faca79fd63fc17cad5e79e53210990b10d"}}
		checkErr(t, verifyErr(v.Verify(h, []byte(body))), nil)
	})
}

func TestPresetMalformedAndMissing(t *testing.T) {
	paddleBody := `{"event_id":"evt_01","event_type":"transaction.completed"}`
	const h1 = "cdc5cfe323f9d9f1c1fd8f7f085bcf6f029d0ecd291e7a44b2f57b88c63dd648"
	for _, tc := range []struct {
		name, preset, secret string
		header               []string
		body                 string
		want                 error
	}{
		{"paddle without ts is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "h1=" + h1}, paddleBody, ErrMalformed},
		{"paddle with ts twice is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=1700000000;ts=1700000000;h1=" + h1}, paddleBody, ErrMalformed},
		{"paddle without h1 is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=1700000000"}, paddleBody, ErrMalformed},
		{"paddle with an empty field is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=1700000000;;h1=" + h1}, paddleBody, ErrMalformed},
		{"paddle's list split on the wrong separator is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=1700000000,h1=" + h1}, paddleBody, ErrMalformed},
		{"paddle with a non-numeric ts is malformed", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=17e8;h1=" + h1}, paddleBody, ErrMalformed},
		{"paddle unknown keys are ignored", "paddle", "pdl_ntfset_test", []string{"Paddle-Signature", "ts=1700000000;h2=zz;h1=" + h1}, paddleBody, nil},
		{"a missing signature header", "paddle", "pdl_ntfset_test", nil, paddleBody, ErrMissing},
		{"zendesk without its timestamp header", "zendesk", "zd_signing_secret", []string{"X-Zendesk-Webhook-Signature", "KeTPGahMNyyQMgMCIUk1DykTk5i79QVO6MuCUztLLcg="},
			`{"type":"zen:event-type:ticket.created","id":"zd_1"}`, ErrMissing},
		{"zendesk with a unix timestamp is malformed", "zendesk", "zd_signing_secret", []string{"X-Zendesk-Webhook-Signature", "KeTPGahMNyyQMgMCIUk1DykTk5i79QVO6MuCUztLLcg=",
			"X-Zendesk-Webhook-Signature-Timestamp", "1700000000"}, `{"type":"zen:event-type:ticket.created","id":"zd_1"}`, ErrMalformed},
		{"linear without webhookTimestamp is refused", "linear", "lin", []string{"Linear-Signature", hex.EncodeToString(stdlibMAC(sha256.New, "lin", `{"type":"Issue"}`))},
			`{"type":"Issue"}`, ErrMissing},
		{"linear with a seconds webhookTimestamp is stale", "linear", "lin", []string{"Linear-Signature", hex.EncodeToString(stdlibMAC(sha256.New, "lin", `{"webhookTimestamp":1700000000}`))},
			`{"webhookTimestamp":1700000000}`, ErrStale},
		{"intercom without its sha1= prefix is malformed", "intercom", "ic_client_secret", []string{"X-Hub-Signature", "930a43faca79fd63fc17cad5e79e53210990b10d"},
			`{"type":"notification_event","id":"notif_1","topic":"conversation.user.created"}`, ErrMalformed},
		{"typeform's hex is not its base64", "typeform", "tf_secret", []string{"Typeform-Signature", "sha256=" + hex.EncodeToString(stdlibMAC(sha256.New, "tf_secret", "{}"))}, "{}", ErrMalformed},
		{"a gitlab token that differs", "gitlab", "glwht-token", []string{"X-Gitlab-Token", "glwht-tokem"}, "{}", ErrMismatch},
		{"a missing telegram token", "telegram", "tg", nil, "{}", ErrMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewPreset(tc.preset, Config{Secrets: []string{tc.secret}, Now: at(1700000000)})
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, verifyErr(v.Verify(headers(tc.header...), []byte(tc.body))), tc.want)
		})
	}
}

// A preset refuses an empty secret list like every scheme, naming itself.
func TestPresetsNeedASecret(t *testing.T) {
	for _, p := range Presets() {
		if _, err := p.New(Config{}); err == nil || !strings.Contains(err.Error(), p.Name) {
			t.Errorf("%s without a secret: %v", p.Name, err)
		}
	}
}
