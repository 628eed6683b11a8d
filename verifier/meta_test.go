package verifier

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Meta publishes no worked example: the vector was computed from its
// documented algorithm (developers.facebook.com/docs/graph-api/webhooks/
// getting-started, "Validate payloads") with Python's hmac module, over
// WhatsApp's text message example.
const (
	metaSecret = "meta_app_secret"
	metaBody   = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}`
	metaSig    = "sha256=4d4e5f457f84420af7d413c5dcfebd418ea6b4dc74afc97d8484b06b2a6edb8c"
	metaToken  = "meta-verify-token-1"
)

func newTestMeta(t *testing.T, token string, secrets ...string) *Meta {
	t.Helper()
	v, err := NewMeta(Config{Secrets: secrets}, token)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMeta(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []string
		sig     string
		want    error
	}{
		{"the computed vector verifies", []string{metaSecret}, metaSig, nil},
		{"the second secret of a rotation verifies", []string{"meta_old_secret", metaSecret}, metaSig, nil},
		{"another app's secret is a mismatch", []string{"meta_other_secret"}, metaSig, ErrMismatch},
		{"no signature is missing", []string{metaSecret}, "", ErrMissing},
		{"a sha1= signature is malformed", []string{metaSecret}, "sha1=" + metaSig[7:47], ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestMeta(t, metaToken, tc.secrets...)
			checkErr(t, verifyErr(v.Verify(headers("X-Hub-Signature-256", tc.sig), []byte(metaBody))), tc.want)
		})
	}
	v := newTestMeta(t, metaToken, metaSecret)
	for _, changed := range oneByteChanges(metaBody) {
		if verifyErr(v.Verify(headers("X-Hub-Signature-256", metaSig), []byte(changed))) == nil {
			t.Fatalf("accepted the body %q", changed)
		}
	}
	for _, changed := range oneByteChanges(metaSig) {
		if verifyErr(v.Verify(headers("X-Hub-Signature-256", changed), []byte(metaBody))) == nil {
			t.Fatalf("accepted the signature %q", changed)
		}
	}
}

func metaQuery(mode, token, challenge string) string {
	q := url.Values{}
	if mode != "" {
		q.Set(MetaMode, mode)
	}
	if token != "" {
		q.Set(MetaVerifyToken, token)
	}
	if challenge != "" {
		q.Set(MetaChallenge, challenge)
	}
	return q.Encode()
}

func TestMetaAnswersTheSubscriptionRequest(t *testing.T) {
	v := newTestMeta(t, metaToken, metaSecret)
	for _, tc := range []struct {
		name, query string
		handshake   bool
		status      int
		body        string
	}{
		{"the right token gets the challenge as text/plain", metaQuery("subscribe", metaToken, "1158201444"), true, 0, "1158201444"},
		{"a wrong token is refused", metaQuery("subscribe", "meta-verify-token-2", "1158201444"), true, 403, ""},
		{"a token's prefix is refused", metaQuery("subscribe", metaToken[:5], "1158201444"), true, 403, ""},
		{"a longer token is refused", metaQuery("subscribe", metaToken+"x", "1158201444"), true, 403, ""},
		{"no token is refused", metaQuery("subscribe", "", "1158201444"), true, 403, ""},
		{"another mode is refused", metaQuery("unsubscribe", metaToken, "1158201444"), true, 403, ""},
		{"no challenge is refused", metaQuery("subscribe", metaToken, ""), true, 403, ""},
		{"a challenge with a space is refused", metaQuery("subscribe", metaToken, "a b"), true, 403, ""},
		{"a long challenge is refused", metaQuery("subscribe", metaToken, strings.Repeat("1", 257)), true, 403, ""},
		{"two tokens are refused", metaQuery("subscribe", metaToken, "1") + "&hub.verify_token=x", true, 403, ""},
		{"a bad escape is refused", "hub.mode=subscribe&hub.verify_token=%zz&hub.challenge=1", true, 403, ""},
		{"a GET without hub.mode is no handshake", "foo=bar", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/meta", RawQuery: tc.query}}
			reply, ok := v.UnsignedHandshake(r, nil)
			if ok != tc.handshake {
				t.Fatalf("UnsignedHandshake = %+v, %v", reply, ok)
			}
			if !ok {
				return
			}
			if reply.Status != tc.status || tc.status == 0 && (reply.ContentType != "text/plain" || string(reply.Body) != tc.body) {
				t.Fatalf("reply %+v %q", reply, reply.Body)
			}
			if tc.status != 0 && strings.Contains(string(reply.Body), "1158201444") {
				t.Fatalf("a refusal echoed the challenge: %q", reply.Body)
			}
		})
	}
	post := &http.Request{Method: http.MethodPost, URL: &url.URL{RawQuery: metaQuery("subscribe", metaToken, "1")}}
	if _, ok := v.UnsignedHandshake(post, []byte(metaBody)); ok {
		t.Error("a POST was answered as a subscription")
	}
	noToken := newTestMeta(t, "", metaSecret)
	reply, ok := noToken.UnsignedHandshake(&http.Request{Method: http.MethodGet, URL: &url.URL{RawQuery: metaQuery("subscribe", "", "1")}}, nil)
	if !ok || reply.Status != 403 {
		t.Errorf("without a verify_token: %+v, %v", reply, ok)
	}
}

// FuzzMetaSubscribe: whatever the query, the challenge comes back only
// for the exact token, once, and only as sent.
func FuzzMetaSubscribe(f *testing.F) {
	for _, seed := range []string{
		metaQuery("subscribe", metaToken, "1158201444"),
		metaQuery("subscribe", metaToken+"\x00", "1"),
		"hub.mode=subscribe&hub.mode=subscribe&hub.verify_token=" + metaToken + "&hub.challenge=1",
		"hub.mode=subscribe;hub.verify_token=" + metaToken + ";hub.challenge=1",
		"hub.mode=subscribe&hub.verify_token=meta%2Dverify%2Dtoken%2D1&hub.challenge=%31",
		"hub.mode&hub.verify_token&hub.challenge", "%", "", "&&&",
	} {
		f.Add(seed)
	}
	v, err := NewMeta(Config{Secrets: []string{metaSecret}}, metaToken)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		reply, ok := v.Subscribe(query)
		if !ok || reply.Status != 0 {
			return
		}
		q, err := url.ParseQuery(query)
		if err != nil || q.Get(MetaVerifyToken) != metaToken || q.Get(MetaMode) != "subscribe" || string(reply.Body) != q.Get(MetaChallenge) {
			t.Fatalf("answered %q to %q", reply.Body, query)
		}
	})
}
