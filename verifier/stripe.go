// Stripe: Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=<hex>], where
// v1 is the lowercase hex HMAC-SHA256 of t + "." + body keyed with the
// whsec_… string's bytes as they are. Several v1 appear while a secret rolls
// on Stripe's side; v0 (legacy test signatures) and unknown keys are
// ignored. The header is parsed as strictly as stripe-go does: every field
// is exactly one key=value, and t appears once.

package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
)

const stripeHeader = "Stripe-Signature"

// Stripe verifies Stripe webhook events.
type Stripe struct {
	keys   []*macKey
	window window
}

var stripeLocator = Locator{
	IDField:     "id",
	TypeField:   "type",
	ContentType: "application/json",
	Audit:       []string{"User-Agent"},
}

// NewStripe builds a Stripe verifier from the endpoint's whsec_… secrets.
func NewStripe(cfg Config) (*Stripe, error) {
	keys, err := macKeys("stripe", cfg.Secrets, sha256.New)
	if err != nil {
		return nil, err
	}
	w, err := newWindow("stripe", cfg)
	if err != nil {
		return nil, err
	}
	return &Stripe{keys: keys, window: w}, nil
}

// Verify checks Stripe-Signature. The MAC is checked before the age, so
// ErrStale always means an authentic but late (or replayed) event.
func (s *Stripe) Verify(h http.Header, body []byte) (Signed, error) {
	header := headerValue(h, stripeHeader)
	if header == "" {
		return Signed{}, ErrMissing
	}
	ts, unix, ok := parseStripeHeader(header)
	if !ok {
		return Signed{}, ErrMalformed
	}
	if !signedWith(s.keys, func(mac []byte) bool { return stripeMatches(header, mac) }, body, ts, ".") {
		return Signed{}, ErrMismatch
	}
	if !s.window.contains(unix) {
		return Signed{}, ErrStale
	}
	return Signed{Timestamp: ts}, nil
}

// Locate returns Stripe's locations: id and type are body fields. The slices
// are shared and must not be modified.
func (s *Stripe) Locate() Locator { return stripeLocator }

// parseStripeHeader returns the t field, as signed and as a number, and
// whether the header is well formed with at least one usable v1.
func parseStripeHeader(header string) (ts string, unix int64, ok bool) {
	var sig [sha256.Size]byte
	seenT, usable := false, false
	for rest, more := header, true; more; {
		var field string
		field, rest, more = strings.Cut(rest, ",")
		key, value, found := strings.Cut(field, "=")
		if !found || strings.IndexByte(value, '=') >= 0 {
			return "", 0, false
		}
		switch key {
		case "t":
			if seenT {
				return "", 0, false
			}
			seenT = true
			if unix, ok = parseTimestamp(value); !ok {
				return "", 0, false
			}
			ts = value
		case "v1":
			usable = usable || decodeHex(sig[:], value)
		}
	}
	return ts, unix, seenT && usable
}

// stripeMatches reports whether any v1 in a header parseStripeHeader
// accepted equals mac.
func stripeMatches(header string, mac []byte) bool {
	var sig [sha256.Size]byte
	for rest, more := header, true; more; {
		var field string
		field, rest, more = strings.Cut(rest, ",")
		if value, ok := strings.CutPrefix(field, "v1="); ok && decodeHex(sig[:], value) && hmac.Equal(sig[:], mac) {
			return true
		}
	}
	return false
}

var _ Verifier = (*Stripe)(nil)
