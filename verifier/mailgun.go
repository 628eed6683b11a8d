// Mailgun: the signature travels inside the JSON body, beside the event:
//
//	{"signature":{"timestamp":"1770920772","token":"<50 random chars>",
//	              "signature":"<hex HMAC-SHA256 of timestamp+token>"},
//	 "event-data":{…}}
//
// keyed with the HTTP webhook signing key (Mailgun: Sending > Webhooks >
// HTTP webhook signing key). A subaccount's events also carry a
// "parent-signature", the same HMAC under the primary account's key:
// either one matching any configured key accepts.
//
// What it covers, and what it does not: the HMAC is of timestamp and
// token only, not of the body. Whoever holds one captured signature object
// can put it beside any event-data they like, and it still verifies
// while the timestamp is within tolerance. So nothing in the body may make
// an event new or name it: the event id is the token (signed, random, one
// per request), and the token is Signed.Replay, refused a second time for
// as long as the timestamp is accepted, which is what stops a captured
// object from carrying a second body. event-data (its id, its event
// type, everything) is the sender's word, accepted once per token; the
// stored type is event-data.event read as such, never a dedupe input.

package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"time"
)

// maxMailgunToken bounds the token: Mailgun's are 50 characters, and it
// becomes the event id and a key part.
const maxMailgunToken = MaxIDLen

// Mailgun verifies the signature object of Mailgun's webhooks.
type Mailgun struct {
	keys   []*macKey
	window window
}

// NewMailgun builds the verifier; each secret is a webhook signing key.
func NewMailgun(cfg Config) (*Mailgun, error) {
	keys, err := macKeys("mailgun", cfg.Secrets, sha256.New)
	if err != nil {
		return nil, err
	}
	w, err := newWindow("mailgun", cfg)
	if err != nil {
		return nil, err
	}
	return &Mailgun{keys: keys, window: w}, nil
}

// mailgunBody is the part of the body the signature is in.
type mailgunBody struct {
	Signature *struct {
		Timestamp       json.RawMessage `json:"timestamp"` // a string of digits, or a number
		Token           string          `json:"token"`
		Signature       string          `json:"signature"`
		ParentSignature string          `json:"parent-signature"`
	} `json:"signature"`
}

// Verify checks the signature object's HMAC, then its timestamp.
func (v *Mailgun) Verify(_ http.Header, body []byte) (Signed, error) {
	var b mailgunBody
	if err := json.Unmarshal(body, &b); err != nil || b.Signature == nil {
		// Not JSON, or no signature object: nothing signed to check.
		return Signed{}, ErrMissing
	}
	s := b.Signature
	ts, ok := mailgunTimestamp(s.Timestamp)
	if !ok || !visibleASCII(s.Token, maxMailgunToken) || (!wellFormedHexMAC(s.Signature) && !wellFormedHexMAC(s.ParentSignature)) {
		return Signed{}, ErrMalformed
	}
	unix, ok := parseTimestamp(ts)
	if !ok {
		return Signed{}, ErrMalformed
	}
	matches := func(mac []byte) bool { return hexMACEqual(s.Signature, mac) || hexMACEqual(s.ParentSignature, mac) }
	if !signedWith(v.keys, matches, nil, ts, s.Token) {
		return Signed{}, ErrMismatch
	}
	at := time.Unix(unix, 0)
	if !v.window.containsTime(at) {
		return Signed{}, ErrStale
	}
	// Accepted until tolerance after the timestamp: the token is
	// remembered that long (and a second more for the clock's rounding).
	ttl := max(at.Add(v.window.tolerance).Sub(v.window.now())+time.Second, time.Second)
	return Signed{ID: s.Token, Timestamp: ts, Replay: s.Token, ReplayTTL: ttl}, nil
}

// mailgunTimestamp is the timestamp as Mailgun signed it: the digits of a
// JSON string (the documented form) or of a JSON integer.
func mailgunTimestamp(raw json.RawMessage) (string, bool) {
	s := string(raw)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	_, ok := parseTimestamp(s)
	return s, ok
}

func wellFormedHexMAC(s string) bool {
	var sig [sha256.Size]byte
	return decodeHex(sig[:], s)
}

func hexMACEqual(s string, mac []byte) bool {
	var sig [sha256.Size]byte
	return decodeHex(sig[:], s) && hmac.Equal(sig[:], mac)
}

// ReadFields reads event-data.event as the type, checking the body as
// ingest checks a JSON object. The id stays the signed token (Signed.ID):
// event-data.id is not signed.
func (v *Mailgun) ReadFields(body []byte, maxDepth int) (BodyFields, error) {
	if err := scanStrict(body, maxDepth, nil, nil); err != nil {
		return BodyFields{}, err
	}
	var b struct {
		EventData *struct {
			Event string `json:"event"`
		} `json:"event-data"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return BodyFields{}, &bodyError{`"event-data" must be an object with a string "event"`}
	}
	if b.EventData == nil {
		return BodyFields{}, nil
	}
	return BodyFields{Type: b.EventData.Event}, nil
}

// Locate: a JSON object Mailgun's own ReadFields reads (the type is
// event-data.event, below the top level). The id is the signed token.
func (v *Mailgun) Locate() Locator {
	return Locator{TypeField: "event-data.event", ContentType: "application/json", Body: BodyOwn}
}

// Interface guards
var (
	_ Verifier    = (*Mailgun)(nil)
	_ FieldReader = (*Mailgun)(nil)
)
