// Meta (WhatsApp, Instagram, Messenger and every Graph API webhook;
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started):
// X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>, keyed with
// the app secret (App settings > Basic). Meta signs no timestamp and no
// id, so an event is named by the hash of its body, and typed by its
// object (whatsapp_business_account, page, instagram, …).
//
// Subscribing, Meta sends an unsigned GET with hub.mode=subscribe,
// hub.verify_token (the token typed into the app dashboard) and
// hub.challenge: answered with the challenge as text/plain when the token
// equals the route's verify_token (compared in constant time, lengths
// included), 403 otherwise, and without a verify_token always 403.

package verifier

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
)

var metaOptions = HMACOptions{Header: "X-Hub-Signature-256", Prefix: "sha256=", TypeFrom: "json:object"}

// MetaOptions returns Meta's scheme as generic HMAC options, for sign/.
func MetaOptions() HMACOptions { return metaOptions }

// Meta's subscription request parameters.
const (
	MetaMode        = "hub.mode"
	MetaVerifyToken = "hub.verify_token"
	MetaChallenge   = "hub.challenge"
)

// maxMetaChallenge bounds the challenge echoed back.
const maxMetaChallenge = 256

// Meta verifies Meta's signed webhooks and answers the GET subscription
// handshake.
type Meta struct {
	*HMAC
	locator Locator
	// token is the SHA-256 of the verify token, so a comparison costs the
	// same whatever the length of what was sent; nil without one.
	token []byte
}

// NewMeta builds a Meta verifier; the secrets are app secrets and
// verifyToken the subscription's verify token ("" refuses every
// subscription request).
func NewMeta(cfg Config, verifyToken string) (*Meta, error) {
	h, err := newHMAC("meta", cfg, metaOptions)
	if err != nil {
		return nil, err
	}
	loc := h.locator
	loc.ContentType = "application/json"
	// Meta asks for 200 OK to every notification.
	loc.Accepted = http.StatusOK
	v := &Meta{HMAC: h, locator: loc}
	if verifyToken != "" {
		sum := sha256.Sum256([]byte(verifyToken))
		v.token = sum[:]
	}
	return v, nil
}

// Locate returns Meta's locations; the slices are shared.
func (v *Meta) Locate() Locator { return v.locator }

var metaRefused = &Reply{Status: http.StatusForbidden, ContentType: "application/json",
	Body: []byte(`{"error":"subscription verification failed"}`)}

// UnsignedHandshake answers a GET carrying hub.mode: 200 with the
// challenge for a subscription with the right token, else 403. A GET
// without hub.mode is not a handshake.
func (v *Meta) UnsignedHandshake(r *http.Request, body []byte) (*Reply, bool) {
	if r.Method != http.MethodGet || body != nil {
		return nil, false
	}
	return v.Subscribe(r.URL.RawQuery)
}

// Subscribe answers the subscription request whose query is rawQuery;
// ok is false when it is none (no hub.mode).
func (v *Meta) Subscribe(rawQuery string) (*Reply, bool) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		if q.Get(MetaMode) == "" {
			return nil, false
		}
		return metaRefused, true
	}
	mode := q[MetaMode]
	if len(mode) == 0 {
		return nil, false
	}
	tokens, challenges := q[MetaVerifyToken], q[MetaChallenge]
	if len(mode) != 1 || mode[0] != "subscribe" || len(tokens) != 1 || len(challenges) != 1 || v.token == nil {
		return metaRefused, true
	}
	sum := sha256.Sum256([]byte(tokens[0]))
	if subtle.ConstantTimeCompare(sum[:], v.token) != 1 || !visibleASCII(challenges[0], maxMetaChallenge) {
		return metaRefused, true
	}
	return &Reply{ContentType: "text/plain", Body: []byte(challenges[0])}, true
}

// SignedHandshake: Meta's only handshake is the unsigned GET.
func (v *Meta) SignedHandshake(*http.Request, []byte, Signed) (*Reply, bool) { return nil, false }

var (
	_ Verifier   = (*Meta)(nil)
	_ Handshaker = (*Meta)(nil)
)
