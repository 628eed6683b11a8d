// Square: x-square-hmacsha256-signature is the base64 HMAC-SHA256, keyed
// with the webhook subscription's signature key, of the notification URL
// (the subscription's URL exactly as configured in Square) followed by the
// raw body (developer.squareup.com/docs/webhooks/step3validate). Square
// signs no time; the body's event_id names the event and is signed with it.

package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
)

// URLOptions are the settings of a scheme that signs the request URL.
type URLOptions struct {
	// URL is the public URL of a request; nil is RequestURL.
	URL URLFunc
}

// Square verifies x-square-hmacsha256-signature.
type Square struct {
	keys []*macKey
	url  URLFunc
}

const squareHeader = "X-Square-Hmacsha256-Signature"

// NewSquare builds a Square verifier; the secrets are signature keys.
func NewSquare(cfg Config, opts URLOptions) (*Square, error) {
	keys, err := macKeys("square", cfg.Secrets, sha256.New)
	if err != nil {
		return nil, err
	}
	v := &Square{keys: keys, url: opts.URL}
	if v.url == nil {
		v.url = RequestURL
	}
	return v, nil
}

// Verify cannot check a signature over a URL it is not given: ingest
// calls VerifyRequest.
func (v *Square) Verify(http.Header, []byte) (Signed, error) {
	return Signed{}, errors.Join(ErrMismatch, errURLSigned)
}

// VerifyRequest checks the signature over r's public URL and body.
func (v *Square) VerifyRequest(r *http.Request, body []byte) (Signed, error) {
	sig := headerValue(r.Header, squareHeader)
	if sig == "" {
		return Signed{}, ErrMissing
	}
	var want [sha256.Size]byte
	if !decodeBase64(want[:], sig) {
		return Signed{}, ErrMalformed
	}
	u := v.url(r)
	if u == "" || !signedWith(v.keys, func(mac []byte) bool { return hmac.Equal(mac, want[:]) }, body, u) {
		return Signed{}, ErrMismatch
	}
	return Signed{}, nil
}

var squareLocator = Locator{IDField: "event_id", TypeField: "type", ContentType: "application/json",
	Audit: []string{"Square-Version", "Square-Retry-Number", "Square-Retry-Reason", "Square-Initial-Delivery-Timestamp"}}

// Locate returns Square's locations; the slices are shared and must not
// be modified.
func (v *Square) Locate() Locator { return squareLocator }

var (
	_ Verifier        = (*Square)(nil)
	_ RequestVerifier = (*Square)(nil)
)
