// WordPress (this project's seed scheme, signed by the companion plugin):
// X-WP-Signature is the base64 HMAC-SHA256 of X-WP-Timestamp + "." + body,
// keyed with the secret's bytes; the timestamp is unix seconds held to the
// tolerance, and X-Event-Id names the event. The plugin also puts the id in
// the signed body as "id"; when present it must equal X-Event-Id.

package verifier

import "net/http"

// WordPress verifies events signed by the WordPress plugin.
type WordPress struct {
	signature *HMAC
}

var wordpressLocator = Locator{
	IDHeader:    "X-Event-Id",
	BodyIDField: "id",
	TypeField:   "event",
	ContentType: "application/json",
	Audit:       []string{"X-Event-Id", "X-Wp-Timestamp"},
}

// NewWordPress builds a WordPress verifier; the secrets are used as plain bytes.
func NewWordPress(cfg Config) (*WordPress, error) {
	sig, err := newHMAC("wordpress", cfg, HMACOptions{
		Header:          "X-WP-Signature",
		Algorithm:       "sha256",
		Encoding:        "base64",
		TimestampHeader: "X-WP-Timestamp",
	})
	if err != nil {
		return nil, err
	}
	return &WordPress{signature: sig}, nil
}

// Verify checks X-WP-Signature and the freshness of X-WP-Timestamp.
func (w *WordPress) Verify(h http.Header, body []byte) error { return w.signature.Verify(h, body) }

// Locate returns WordPress's locations, header names in canonical form; the
// slices are shared and must not be modified.
func (w *WordPress) Locate() Locator { return wordpressLocator }

var _ Verifier = (*WordPress)(nil)
