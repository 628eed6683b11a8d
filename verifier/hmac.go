// Generic HMAC, for senders without a scheme of their own: a configured
// header carries [prefix]<signature>, the hex or base64 HMAC (SHA-1, SHA-256
// or SHA-512) of the raw body or, when a timestamp header is configured, of
// "<timestamp>.<body>" with the timestamp in unix seconds held to the
// tolerance. Each value of a repeated signature header is a candidate, and
// any one matching accepts.

package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// HMACOptions describe a generic HMAC scheme.
type HMACOptions struct {
	Header          string // header carrying the signature; required
	Algorithm       string // "sha1", "sha256" (default) or "sha512"
	Encoding        string // "hex" (default, either case) or "base64" (standard, padded)
	Prefix          string // text before the signature, such as "sha256="
	TimestampHeader string // optional header with unix seconds, signed as "<ts>.<body>"

	IDHeader, IDField     string // where the event id lives, for the Locator
	TypeHeader, TypeField string // where the event type lives, for the Locator
}

// HMAC verifies a configurable HMAC signature header.
type HMAC struct {
	header          string
	prefix          string
	timestampHeader string
	size            int
	base64          bool
	keys            []*macKey
	window          window
	locator         Locator
}

// NewHMAC builds a generic HMAC verifier; the secrets are used as plain bytes.
func NewHMAC(cfg Config, opts HMACOptions) (*HMAC, error) {
	return newHMAC("hmac", cfg, opts)
}

func newHMAC(scheme string, cfg Config, opts HMACOptions) (*HMAC, error) {
	if opts.Header == "" {
		return nil, errors.New(scheme + ": signature header is required")
	}
	var newHash func() hash.Hash
	switch opts.Algorithm {
	case "sha1":
		newHash = sha1.New
	case "", "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	default:
		return nil, fmt.Errorf("%s: unknown algorithm %q (want sha1, sha256 or sha512)", scheme, opts.Algorithm)
	}
	v := &HMAC{
		header: http.CanonicalHeaderKey(opts.Header),
		prefix: opts.Prefix,
		size:   newHash().Size(),
	}
	switch opts.Encoding {
	case "", "hex":
	case "base64":
		v.base64 = true
	default:
		return nil, fmt.Errorf("%s: unknown encoding %q (want hex or base64)", scheme, opts.Encoding)
	}
	var err error
	if v.keys, err = macKeys(scheme, cfg.Secrets, newHash); err != nil {
		return nil, err
	}
	if v.window, err = newWindow(scheme, cfg); err != nil {
		return nil, err
	}
	loc := fieldsLocator(opts.IDHeader, opts.IDField, opts.TypeHeader, opts.TypeField)
	if opts.TimestampHeader != "" {
		v.timestampHeader = http.CanonicalHeaderKey(opts.TimestampHeader)
	}
	for _, name := range []string{loc.IDHeader, loc.TypeHeader, v.timestampHeader} {
		if name == v.header {
			// It would be stored with the event, and the signature with it.
			return nil, errors.New(scheme + ": the id, type or timestamp header must not be the signature header")
		}
		if name != "" {
			loc.Audit = append(loc.Audit, name)
		}
	}
	v.locator = loc
	return v, nil
}

func canonicalOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return http.CanonicalHeaderKey(name)
}

// fieldsLocator is the Locator of a generic scheme. An id header is only a
// label (it is not signed); the type header is read when no type field is
// set, and cannot re-type a replay since the dedupe key leaves it out.
func fieldsLocator(idHeader, idField, typeHeader, typeField string) Locator {
	return Locator{
		IDHeader:   canonicalOrEmpty(idHeader),
		IDField:    idField,
		TypeHeader: canonicalOrEmpty(typeHeader),
		TypeField:  typeField,
	}
}

// Verify checks the signature header and, if configured, the timestamp.
func (v *HMAC) Verify(h http.Header, body []byte) (Signed, error) {
	values := h[v.header]
	if len(values) == 0 || values[0] == "" {
		return Signed{}, ErrMissing
	}
	var ts string
	var unix int64
	if v.timestampHeader != "" {
		if ts = headerValue(h, v.timestampHeader); ts == "" {
			return Signed{}, ErrMissing
		}
		var ok bool
		if unix, ok = parseTimestamp(ts); !ok {
			return Signed{}, ErrMalformed
		}
	}
	if !v.anyWellFormed(values) {
		return Signed{}, ErrMalformed
	}
	var prefix []string
	if ts != "" {
		prefix = []string{ts, "."}
	}
	if !signedWith(v.keys, func(mac []byte) bool { return v.anyMatches(values, mac) }, body, prefix...) {
		return Signed{}, ErrMismatch
	}
	if ts != "" && !v.window.contains(unix) {
		return Signed{}, ErrStale
	}
	return Signed{Timestamp: ts}, nil
}

// Locate returns the locations given in the options; the slices are shared
// and must not be modified.
func (v *HMAC) Locate() Locator { return v.locator }

func (v *HMAC) anyWellFormed(values []string) bool {
	var sig [sha512.Size]byte
	for _, value := range values {
		if v.decode(sig[:v.size], value) {
			return true
		}
	}
	return false
}

func (v *HMAC) anyMatches(values []string, mac []byte) bool {
	var sig [sha512.Size]byte
	for _, value := range values {
		if v.decode(sig[:v.size], value) && hmac.Equal(sig[:v.size], mac) {
			return true
		}
	}
	return false
}

func (v *HMAC) decode(dst []byte, value string) bool {
	s, ok := strings.CutPrefix(value, v.prefix)
	if !ok {
		return false
	}
	if v.base64 {
		return decodeBase64(dst, s)
	}
	return decodeHex(dst, s)
}

var _ Verifier = (*HMAC)(nil)
