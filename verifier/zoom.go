// Zoom (https://developers.zoom.us/docs/api/webhooks/): x-zm-signature:
// v0=<hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<body>">, keyed
// with the app's secret token; the timestamp is unix seconds, held to the
// tolerance. The body is JSON; its event names the type. Zoom sends no
// event id, and a retry is a new request with a new timestamp, so an
// event is named by the hash of its body alone (which carries the event's
// own event_ts): a retry is a duplicate.
//
// endpoint.url_validation is answered with {"plainToken","encryptedToken"},
// encryptedToken the hex HMAC-SHA256 of plainToken under the secret that
// verified the request, and only once it verified: answered for anyone,
// the route would MAC whatever a stranger sent it.

package verifier

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

var zoomOptions = HMACOptions{
	Header: "x-zm-signature", Prefix: "v0=", Template: "v0:{ts}:{body}",
	TimestampFrom: "header:x-zm-request-timestamp", TypeFrom: "json:event",
}

// ZoomOptions returns Zoom's scheme as generic HMAC options, for sign/.
func ZoomOptions() HMACOptions { return zoomOptions }

// Zoom verifies Zoom's webhooks and answers endpoint.url_validation.
type Zoom struct {
	*HMAC
	locator Locator
}

// NewZoom builds a Zoom verifier; the secrets are secret tokens.
func NewZoom(cfg Config) (*Zoom, error) {
	h, err := newHMAC("zoom", cfg, zoomOptions)
	if err != nil {
		return nil, err
	}
	loc := h.locator
	loc.ContentType = "application/json"
	// Zoom counts only a 200 or a 204 as delivered (its webhook delays
	// guide): a new event is answered 200.
	loc.Accepted = http.StatusOK
	return &Zoom{HMAC: h, locator: loc}, nil
}

// Locate returns Zoom's locations; the slices are shared.
func (v *Zoom) Locate() Locator { return v.locator }

// Verify checks the signature and the timestamp. The timestamp is not
// returned as signed: it is the request's, not the event's, and would
// make every retry a new event.
func (v *Zoom) Verify(h http.Header, body []byte) (Signed, error) {
	s, err := v.HMAC.Verify(h, body)
	s.Timestamp = ""
	return s, err
}

// UnsignedHandshake: Zoom signs its validation requests.
func (v *Zoom) UnsignedHandshake(*http.Request, []byte) (*Reply, bool) { return nil, false }

// SignedHandshake answers endpoint.url_validation with the plainToken
// MACed under the secret that verified r.
func (v *Zoom) SignedHandshake(r *http.Request, body []byte, _ Signed) (*Reply, bool) {
	if !bytes.Contains(body, []byte("endpoint.url_validation")) {
		return nil, false
	}
	var out [1]string
	if scanStrict(body, DefaultHandshakeDepth, []string{"event"}, out[:]) != nil || out[0] != "endpoint.url_validation" {
		return nil, false
	}
	var validation struct {
		Payload struct {
			PlainToken string `json:"plainToken"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &validation) != nil || validation.Payload.PlainToken == "" {
		return nil, false
	}
	key := v.verifiedBy(r.Header, body)
	if key == nil {
		// Verify passed moments ago with the same keys; not reached.
		return nil, false
	}
	m := key.get()
	m.writeString(validation.Payload.PlainToken)
	token := hex.EncodeToString(m.mac())
	key.put(m)
	reply, _ := json.Marshal(struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{validation.Payload.PlainToken, token})
	return &Reply{ContentType: "application/json", Body: reply}, true
}

// verifiedBy is the key whose MAC h's signature matches for body: which
// of several secrets (rotation) signed a request Verify accepted.
func (v *HMAC) verifiedBy(h http.Header, body []byte) *macKey {
	values := h[v.header]
	if len(values) == 0 {
		return nil
	}
	ts, id := headerValue(h, v.tsHeader), headerValue(h, v.idHeader)
	var before, after [maxTemplateParts]string
	nb, na := v.template.expand(&before, &after, ts, id)
	for _, k := range v.keys {
		if signedAround([]*macKey{k}, func(mac []byte) bool { return v.anyMatches(values, mac) }, before[:nb], body, after[:na]) {
			return k
		}
	}
	return nil
}

var (
	_ Verifier   = (*Zoom)(nil)
	_ Handshaker = (*Zoom)(nil)
)
