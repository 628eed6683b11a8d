// HubSpot v3: X-HubSpot-Signature-v3 is the base64 HMAC-SHA256, keyed
// with the app's client secret, of method + URI + body + timestamp, where
// the URI is the full URL HubSpot requested (https://host/path?query)
// with the percent-escapes of : / ? @ ! $ ' ( ) * , ; decoded, and the
// timestamp is X-HubSpot-Request-Timestamp as sent, in unix milliseconds
// (developers.hubspot.com/docs/api/webhooks/validating-requests). HubSpot
// says to refuse a timestamp older than five minutes; a future one is
// refused too, as everywhere here.
//
// The body is a JSON array of events, each named by its eventId.

package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"time"
)

// HubSpot verifies X-HubSpot-Signature-v3.
type HubSpot struct {
	keys   []*macKey
	url    URLFunc
	window window
}

const (
	hubspotHeader   = "X-Hubspot-Signature-V3"
	hubspotTSHeader = "X-Hubspot-Request-Timestamp"
)

// NewHubSpot builds a HubSpot v3 verifier; the secrets are client secrets.
func NewHubSpot(cfg Config, opts URLOptions) (*HubSpot, error) {
	keys, err := macKeys("hubspot", cfg.Secrets, sha256.New)
	if err != nil {
		return nil, err
	}
	v := &HubSpot{keys: keys, url: opts.URL}
	if v.window, err = newWindow("hubspot", cfg); err != nil {
		return nil, err
	}
	if v.url == nil {
		v.url = RequestURL
	}
	return v, nil
}

// Verify cannot check a signature over a URL it is not given: ingest
// calls VerifyRequest.
func (v *HubSpot) Verify(http.Header, []byte) (Signed, error) {
	return Signed{}, errors.Join(ErrMismatch, errURLSigned)
}

// VerifyRequest checks the v3 signature over r's method, public URL, body
// and timestamp, then the timestamp's age.
func (v *HubSpot) VerifyRequest(r *http.Request, body []byte) (Signed, error) {
	sig, ts := headerValue(r.Header, hubspotHeader), headerValue(r.Header, hubspotTSHeader)
	if sig == "" || ts == "" {
		return Signed{}, ErrMissing
	}
	var want [sha256.Size]byte
	if !decodeBase64(want[:], sig) {
		return Signed{}, ErrMalformed
	}
	ms, ok := parseDigits(ts, 15)
	if !ok {
		return Signed{}, ErrMalformed
	}
	u := v.url(r)
	if u == "" {
		return Signed{}, ErrMismatch
	}
	before := [2]string{r.Method, HubSpotURI(u)}
	after := [1]string{ts}
	if !signedAround(v.keys, func(mac []byte) bool { return hmac.Equal(mac, want[:]) }, before[:], body, after[:]) {
		return Signed{}, ErrMismatch
	}
	if !v.window.containsTime(time.UnixMilli(ms)) {
		return Signed{}, ErrStale
	}
	return Signed{Timestamp: ts}, nil
}

// hubspotDecoded are the characters whose escapes HubSpot decodes in the
// URI it signs, and only those: %26 (&), %3D (=), %23 (#), %2B (+), %25
// (%) and the rest stay escaped, or a decoded query would mean something
// else.
const hubspotDecoded = ":/?@!$'()*,;"

// HubSpotURI is u as HubSpot v3 signs it: the escapes of hubspotDecoded
// decoded (either case of hex digit), every other byte as it is. It
// returns u itself when there is nothing to decode.
func HubSpotURI(u string) string {
	i := strings.IndexByte(u, '%')
	if i < 0 {
		return u
	}
	var b strings.Builder
	b.Grow(len(u))
	b.WriteString(u[:i])
	for ; i < len(u); i++ {
		if c, ok := hubspotEscape(u, i); ok {
			b.WriteByte(c)
			i += 2
			continue
		}
		b.WriteByte(u[i])
	}
	return b.String()
}

// hubspotEscape reports whether u[i:] starts with an escape HubSpot
// decodes, and what it decodes to.
func hubspotEscape(u string, i int) (byte, bool) {
	if u[i] != '%' || i+2 >= len(u) {
		return 0, false
	}
	hi, ok1 := fromHexChar(u[i+1])
	lo, ok2 := fromHexChar(u[i+2])
	c := hi<<4 | lo
	return c, ok1 && ok2 && strings.IndexByte(hubspotDecoded, c) >= 0
}

var hubspotLocator = Locator{IDField: "eventId", TypeField: "subscriptionType", ContentType: "application/json",
	Body: BodyJSONArray, Audit: []string{"X-Hubspot-Request-Timestamp"}}

// Locate returns HubSpot's locations: each element of the array body is
// an event named by its eventId, typed by its subscriptionType. The
// slices are shared and must not be modified.
func (v *HubSpot) Locate() Locator { return hubspotLocator }

var (
	_ Verifier        = (*HubSpot)(nil)
	_ RequestVerifier = (*HubSpot)(nil)
)
