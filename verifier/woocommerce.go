// WooCommerce's creation ping: saving a webhook, WooCommerce POSTs
// webhook_id=<id> form-encoded, without X-WC-Webhook-Signature, and
// keeps the webhook active only on a 2xx. It is answered 200 and not
// stored. Only that exact body without a signature header is the ping;
// anything else, a signed ping included, is verified as an event.

package verifier

import (
	"bytes"
	"net/http"
)

// wooCommercePing is the ping's body before its digits.
var wooCommercePing = []byte("webhook_id=")

// wooCommerce is the woocommerce preset with its ping answered.
type wooCommerce struct {
	*preset
	signature string // canonical signature header
}

// presetHandshakes wraps the verifier of a preset whose provider sends
// handshakes.
var presetHandshakes = map[string]func(*preset, Preset) Verifier{
	"woocommerce": func(p *preset, pr Preset) Verifier {
		return &wooCommerce{preset: p, signature: http.CanonicalHeaderKey(pr.HMAC.Header)}
	},
}

// UnsignedHandshake answers the ping: a POST of webhook_id=<digits> with
// no signature header.
func (v *wooCommerce) UnsignedHandshake(r *http.Request, body []byte) (*Reply, bool) {
	if r.Method != http.MethodPost || len(r.Header[v.signature]) > 0 || !IsWooCommercePing(body) {
		return nil, false
	}
	return &Reply{}, true
}

// IsWooCommercePing reports whether body is webhook_id= and 1 to 20 digits.
func IsWooCommercePing(body []byte) bool {
	digits, ok := bytes.CutPrefix(body, wooCommercePing)
	if !ok || len(digits) == 0 || len(digits) > 20 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// SignedHandshake: a signed request is an event.
func (v *wooCommerce) SignedHandshake(*http.Request, []byte, Signed) (*Reply, bool) {
	return nil, false
}

var _ Handshaker = (*wooCommerce)(nil)
