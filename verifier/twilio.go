// Twilio: X-Twilio-Signature is the base64 HMAC-SHA1, keyed with the
// account's auth token, of the full public URL Twilio requested followed,
// for a form post, by every POST parameter sorted by name, each name then
// its value with no separator (twilio.com/docs/usage/webhooks/webhooks-security).
// A JSON body is not in the signed string: Twilio adds bodySHA256=<hex
// SHA-256 of the body> to the URL's query instead, and signs the URL.
//
// The URL comes from the route (URLFunc): what Twilio saw, not what this
// server was asked for. Twilio's own validators accept the URL with and
// without the scheme's default port (:443, :80), and so does this one.
//
// Identity: Twilio signs no id or time. A message's status callbacks all
// carry the same MessageSid (queued, sent, delivered), so the Sid is not
// the event: an event is the hash of its signed body, so a retry of the
// same bytes is a duplicate and the next status is a new event. The
// I-Twilio-Idempotency-Token header is unsigned: a label, kept for audit.
// The type is a form field the route names (default MessageStatus).

package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// TwilioOptions are a Twilio route's own settings.
type TwilioOptions struct {
	// URL is the public URL of a request; nil is RequestURL.
	URL URLFunc
	// TypeField is the form field read as the event type: MessageStatus
	// (default) for messaging status callbacks, CallStatus for voice,
	// SmsStatus for incoming messages too. "-" reads none.
	TypeField string
	// JSON makes the route take JSON object bodies (the bodySHA256
	// variant) instead of form posts.
	JSON bool
}

// Twilio verifies X-Twilio-Signature.
type Twilio struct {
	keys    []*macKey
	url     URLFunc
	locator Locator
}

const twilioHeader = "X-Twilio-Signature"

// twilioHeaders are the unsigned headers Twilio sends that are kept with
// an event.
var twilioHeaders = []string{"I-Twilio-Idempotency-Token"}

// NewTwilio builds a Twilio verifier; the secrets are auth tokens.
func NewTwilio(cfg Config, opts TwilioOptions) (*Twilio, error) {
	keys, err := macKeys("twilio", cfg.Secrets, sha1.New)
	if err != nil {
		return nil, err
	}
	v := &Twilio{keys: keys, url: opts.URL}
	if v.url == nil {
		v.url = RequestURL
	}
	v.locator = Locator{IDHeader: twilioHeaders[0], Audit: twilioHeaders,
		ContentType: "application/x-www-form-urlencoded", Body: BodyForm}
	switch opts.TypeField {
	case "":
		v.locator.TypeField = "MessageStatus"
	case "-":
	default:
		v.locator.TypeField = opts.TypeField
	}
	if opts.JSON {
		// The JSON variant's fields are not Twilio's form fields.
		v.locator.ContentType, v.locator.Body, v.locator.TypeField = "application/json", BodyJSONObject, ""
	}
	return v, nil
}

// errURLSigned is Verify without the request: the URL cannot be known.
var errURLSigned = errors.New("the scheme signs the request URL: " + ErrMismatch.Error())

// Verify cannot check a signature over a URL it is not given: ingest
// calls VerifyRequest.
func (v *Twilio) Verify(http.Header, []byte) (Signed, error) {
	return Signed{}, errors.Join(ErrMismatch, errURLSigned)
}

// VerifyRequest checks X-Twilio-Signature over r's public URL and body.
func (v *Twilio) VerifyRequest(r *http.Request, body []byte) (Signed, error) {
	sig := headerValue(r.Header, twilioHeader)
	if sig == "" {
		return Signed{}, ErrMissing
	}
	var want [sha1.Size]byte
	if !decodeBase64(want[:], sig) {
		return Signed{}, ErrMalformed
	}
	u := v.url(r)
	if u == "" {
		return Signed{}, ErrMismatch
	}
	matches := func(mac []byte) bool { return hmac.Equal(mac, want[:]) }
	if hash, ok := bodySHA256(u); ok {
		// The JSON variant: the URL alone is signed, and it names the body.
		signed := u
		if !signedWith(v.keys, matches, nil, u) {
			if signed = portVariant(u); !v.signedURL(matches, signed) {
				return Signed{}, ErrMismatch
			}
		}
		sum := sha256.Sum256(body)
		if !hmac.Equal(sum[:], hash[:]) {
			return Signed{}, ErrMismatch
		}
		return Signed{ID: signedHash("", []byte(signed))}, nil
	}
	p := formPool.Get().(*formParams)
	defer formPool.Put(p)
	if p.parse(body) != nil {
		// Not a form Twilio could have signed; ingest would refuse it too.
		return Signed{}, ErrMismatch
	}
	p.sortByName()
	// The other spelling of the port is built only when the first fails.
	signed := u
	if !v.signedParams(p, matches, u) {
		if signed = portVariant(u); !v.signedParams(p, matches, signed) {
			return Signed{}, ErrMismatch
		}
	}
	// Named by what the MAC covers, not by the body's bytes: the same
	// fields re-spelled (reordered, %-escaped, "+" for "%20", empty "&&")
	// or regrouped across the unseparated name+value stream verify under
	// the same signature, and must be the same event.
	d := sha256.New()
	_, _ = io.WriteString(d, signed)
	for _, f := range p.pairs {
		d.Write(p.buf[f.name:f.end])
	}
	var sum [sha256.Size]byte
	return Signed{ID: "sha256:" + hex.EncodeToString(d.Sum(sum[:0]))}, nil
}

// signedParams reports whether u followed by p's fields is MACed to a
// signature matches accepts under any secret.
func (v *Twilio) signedParams(p *formParams, matches func([]byte) bool, u string) bool {
	if u == "" {
		return false
	}
	for _, k := range v.keys {
		m := k.get()
		m.writeString(u)
		for _, f := range p.pairs {
			m.write(p.buf[f.name:f.end])
		}
		ok := matches(m.mac())
		k.put(m)
		if ok {
			return true
		}
	}
	return false
}

// signedURL reports whether u alone is MACed to a signature matches
// accepts; "" is no URL.
func (v *Twilio) signedURL(matches func([]byte) bool, u string) bool {
	return u != "" && signedWith(v.keys, matches, nil, u)
}

// bodySHA256 reads the bodySHA256 query parameter of u: 64 hex digits.
// A URL whose query has it once is the JSON variant; one with it twice
// or malformed has a hash no body can match, so it is the variant, with
// a zero hash.
func bodySHA256(u string) ([sha256.Size]byte, bool) {
	var sum [sha256.Size]byte
	_, query, ok := strings.Cut(u, "?")
	if !ok || !strings.Contains(query, "bodySHA256=") {
		return sum, false
	}
	query, _, _ = strings.Cut(query, "#")
	values, err := url.ParseQuery(query)
	got := values["bodySHA256"]
	switch {
	case len(got) == 0 && err == nil:
		return sum, false
	case err != nil || len(got) != 1 || !decodeHex(sum[:], got[0]):
		// Poisoned: sha256 of no body is all zeros.
		return [sha256.Size]byte{}, true
	}
	return sum, true
}

// Locate returns Twilio's locations; the slices are shared and must not
// be modified.
func (v *Twilio) Locate() Locator { return v.locator }

var (
	_ Verifier        = (*Twilio)(nil)
	_ RequestVerifier = (*Twilio)(nil)
)
