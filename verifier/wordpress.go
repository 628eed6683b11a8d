// WordPress (this project's seed scheme, signed by the companion plugin):
// X-WP-Signature is the base64 HMAC-SHA256 of X-WP-Timestamp + "." + body,
// keyed with the secret's bytes; the timestamp is unix seconds held to the
// tolerance. The plugin puts the event id in the signed body as "id", which
// names the event; X-Event-Id carries it too but is not signed, so it is a
// label that must agree. A body without a string "id" is named by the hash
// of the signed timestamp and body.

package verifier

import "net/http"

// WordPress verifies events signed by the WordPress plugin.
type WordPress struct {
	signature *HMAC
}

var wordpressLocator = Locator{
	IDField:     "id",
	IDOptional:  true,
	IDHeader:    "X-Event-Id",
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
func (w *WordPress) Verify(h http.Header, body []byte) (Signed, error) {
	return w.signature.Verify(h, body)
}

// Locate returns WordPress's locations, header names in canonical form; the
// slices are shared and must not be modified.
func (w *WordPress) Locate() Locator { return wordpressLocator }

var _ Verifier = (*WordPress)(nil)
