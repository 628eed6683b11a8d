// Standard Webhooks (and Svix, which uses the same scheme under svix-*
// names): webhook-id, webhook-timestamp (unix seconds) and
// webhook-signature, a space-separated list of "<version>,<base64>". A v1
// entry is the standard base64 HMAC-SHA256 of id + "." + timestamp + "." +
// body, keyed with the base64-decoded secret (after its whsec_ prefix).
// Other versions, such as the asymmetric v1a, are ignored; any one v1
// matching accepts.

package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// standardHeaders are the id, timestamp and signature header names of one
// naming family, in canonical form.
type standardHeaders struct{ id, timestamp, signature string }

var (
	webhookHeaders = standardHeaders{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
	svixHeaders    = standardHeaders{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}
)

// Standard verifies Standard Webhooks and Svix deliveries.
type Standard struct {
	keys   []*macKey
	window window
}

var standardLocator = Locator{
	TypeField:   "type",
	ContentType: "application/json",
	Audit:       []string{webhookHeaders.id, webhookHeaders.timestamp, svixHeaders.id, svixHeaders.timestamp},
}

// NewStandard builds a Standard Webhooks verifier. Each secret is base64,
// optionally prefixed with "whsec_"; one that does not decode is an error.
func NewStandard(cfg Config) (*Standard, error) {
	if err := checkSecrets("standard webhooks", cfg.Secrets); err != nil {
		return nil, err
	}
	v := &Standard{keys: make([]*macKey, len(cfg.Secrets))}
	for i, s := range cfg.Secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil || len(key) == 0 {
			// The decoder's error would quote an offset into the secret.
			return nil, fmt.Errorf("standard webhooks: secret %d is not whsec_ followed by base64", i+1)
		}
		v.keys[i] = newMACKey(sha256.New, key)
	}
	var err error
	if v.window, err = newWindow("standard webhooks", cfg); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify checks the webhook-* headers or, when webhook-signature is absent,
// the svix-* ones, and returns the id and timestamp of the family that was
// signed: a header of the other family is not covered and is ignored.
func (v *Standard) Verify(h http.Header, body []byte) (Signed, error) {
	names := webhookHeaders
	if _, ok := h[names.signature]; !ok {
		names = svixHeaders
	}
	id := headerValue(h, names.id)
	ts := headerValue(h, names.timestamp)
	list := headerValue(h, names.signature)
	if id == "" || ts == "" || list == "" {
		return Signed{}, ErrMissing
	}
	unix, ok := parseTimestamp(ts)
	if !ok || !standardWellFormed(list) {
		return Signed{}, ErrMalformed
	}
	if !signedWith(v.keys, func(mac []byte) bool { return standardMatches(list, mac) }, body, id, ".", ts, ".") {
		return Signed{}, ErrMismatch
	}
	if !v.window.contains(unix) {
		return Signed{}, ErrStale
	}
	return Signed{ID: id, Timestamp: ts}, nil
}

// Locate returns the Standard Webhooks locations: the id is the signed
// one Verify returns, the type a body field. The slices are shared and must
// not be modified.
func (v *Standard) Locate() Locator { return standardLocator }

// standardWellFormed reports whether the list holds at least one v1 entry
// carrying a well-formed signature.
func standardWellFormed(list string) bool {
	var sig [sha256.Size]byte
	for rest, more := list, true; more; {
		var entry string
		entry, rest, more = strings.Cut(rest, " ")
		if s, ok := strings.CutPrefix(entry, "v1,"); ok && decodeBase64(sig[:], s) {
			return true
		}
	}
	return false
}

func standardMatches(list string, mac []byte) bool {
	var sig [sha256.Size]byte
	for rest, more := list, true; more; {
		var entry string
		entry, rest, more = strings.Cut(rest, " ")
		if s, ok := strings.CutPrefix(entry, "v1,"); ok && decodeBase64(sig[:], s) && hmac.Equal(sig[:], mac) {
			return true
		}
	}
	return false
}

var _ Verifier = (*Standard)(nil)
