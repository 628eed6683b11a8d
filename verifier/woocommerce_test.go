package verifier

import (
	"net/http"
	"strings"
	"testing"
)

// WooCommerce's creation ping is webhook_id=<id>, form-encoded and
// unsigned (WC_Webhook::deliver_ping); only that is answered before a
// signature is checked.
func TestWooCommerceAnswersItsPing(t *testing.T) {
	v, err := NewPreset("woocommerce", Config{Secrets: []string{"wc_secret"}})
	if err != nil {
		t.Fatal(err)
	}
	hs, ok := v.(Handshaker)
	if !ok {
		t.Fatal("the woocommerce preset answers no handshake")
	}
	post := func(h http.Header) *http.Request { return &http.Request{Method: http.MethodPost, Header: h} }
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	signed := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Wc-Webhook-Signature": {"dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="}}
	for _, tc := range []struct {
		name string
		r    *http.Request
		body string
		ping bool
	}{
		{"webhook_id=<digits> without a signature is the ping", post(form), "webhook_id=17", true},
		{"a long webhook id is a ping", post(form), "webhook_id=" + strings.Repeat("9", 20), true},
		{"a signed ping is verified as an event", post(signed), "webhook_id=17", false},
		{"an empty id is no ping", post(form), "webhook_id=", false},
		{"a non-digit id is no ping", post(form), "webhook_id=17a", false},
		{"a too long id is no ping", post(form), "webhook_id=" + strings.Repeat("9", 21), false},
		{"another field is no ping", post(form), "webhook_id=17&x=1", false},
		{"a JSON body is no ping", post(form), `{"webhook_id":17}`, false},
		{"a GET is no ping", &http.Request{Method: http.MethodGet, Header: form}, "webhook_id=17", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, ok := hs.UnsignedHandshake(tc.r, []byte(tc.body))
			if ok != tc.ping {
				t.Fatalf("UnsignedHandshake = %+v, %v", reply, ok)
			}
			if ok && (reply.Status != 0 || len(reply.Body) != 0) {
				t.Fatalf("reply %+v", reply)
			}
		})
	}
	if _, ok := hs.SignedHandshake(post(signed), []byte("webhook_id=17"), Signed{}); ok {
		t.Error("a signed request was answered as a handshake")
	}
	// The preset's verification and locations are the preset's.
	if err := verifyErr(v.Verify(headers("X-WC-Webhook-Signature", "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="), []byte(`{"id":42,"status":"processing"}`))); err != nil {
		t.Fatal(err)
	}
	if loc := v.Locate(); loc.TypeHeader != "X-Wc-Webhook-Topic" {
		t.Fatalf("Locate = %+v", loc)
	}
}

// FuzzWooCommercePing: a body is the ping exactly when it is webhook_id=
// and 1 to 20 ASCII digits.
func FuzzWooCommercePing(f *testing.F) {
	for _, seed := range []string{"webhook_id=17", "webhook_id=", "webhook_id=1&", "webhook_id=١", "Webhook_id=1", "webhook_id=+1", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		digits, ok := strings.CutPrefix(string(body), "webhook_id=")
		want := ok && len(digits) >= 1 && len(digits) <= 20 && strings.Trim(digits, "0123456789") == ""
		if IsWooCommercePing(body) != want {
			t.Fatalf("IsWooCommercePing(%q) = %v", body, !want)
		}
	})
}
