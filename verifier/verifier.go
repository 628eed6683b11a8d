// Package verifier holds the providers' webhook signature schemes. Every
// scheme works on the exact raw body bytes, compares in constant time, accepts
// any of several configured secrets (rotation on our side) and any of several
// signatures in one header (rotation on the sender's side).
package verifier

import (
	"errors"
	"net/http"
	"time"
)

// DefaultTolerance is how far a signed timestamp may lie from our clock, in
// either direction, when the configuration does not say.
const DefaultTolerance = 5 * time.Minute

// Errors a Verifier returns. They are safe to show to the sender: none names
// a secret or an expected signature.
var (
	ErrNoSecret  = errors.New("no secret configured")
	ErrMissing   = errors.New("missing signature")
	ErrMalformed = errors.New("malformed signature header")
	ErrMismatch  = errors.New("signature mismatch")
	ErrStale     = errors.New("timestamp outside tolerance")
)

// Verifier checks that a request was signed by the provider and is fresh.
type Verifier interface {
	// Verify returns what the signature vouches for when body, received
	// with header h, carries a valid signature made with one of the
	// configured secrets and, where the scheme signs a timestamp, that
	// timestamp is within tolerance. It never changes h.
	Verify(h http.Header, body []byte) (Signed, error)
	// Locate says where this provider puts the event id and type, and which
	// headers are kept with the stored event.
	Locate() Locator
}

// Signed is what a verified signature covers besides the body: the parts of
// a request that an attacker who captured it cannot change. Everything else
// in the request is the attacker's (see Identify).
type Signed struct {
	// ID is an event id the signature covers (Standard Webhooks'
	// webhook-id); "" where the scheme signs none.
	ID string
	// Timestamp is the signed timestamp as sent; "" where the scheme signs
	// none.
	Timestamp string
	// Replay, when set, is a value the sender promises never to sign
	// twice (a JWT's jti, Mailgun's token): ingest refuses a second event
	// under it with a 401, atomically with storing the first, and
	// remembers it for ReplayTTL (the signature's remaining validity).
	Replay    string
	ReplayTTL time.Duration
}

// Locator tells ingest where a provider's event id and type live. Only the
// body and Signed are covered by the signature: a header here is a label,
// never what makes an event new (see Identify).
type Locator struct {
	// IDField is the top-level body field with the event id. The body is
	// signed, so the field may key the dedupe.
	IDField string
	// IDOptional lets a body without IDField be identified by the hash of
	// its signed bytes (WordPress) instead of being refused.
	IDOptional bool
	// IDHeader is an unsigned header naming the event, kept for audit.
	// Where the body names the event too, the two must agree.
	IDHeader string
	// TypeField is the top-level body field with the event type.
	TypeField string
	// TypeHeader is an unsigned header with the event type, read only
	// when no TypeField is set (GitHub signs no type). The dedupe key never
	// includes it, so a replay cannot re-type a stored event.
	TypeHeader string
	// TypeOf, when set, turns a TypeHeader value into the stored type
	// (event.TypeOf: Shopify's orders/create is stored as orders.create, so
	// dotted type globs match it); nil stores the header as sent.
	TypeOf func(header string) string
	// ActionField is a top-level body field whose value, when a string,
	// is joined to the type ("issues" + "opened" is "issues.opened", from
	// GitHub's event header; Linear's body "type" and "action" give
	// "Issue.create"), so a type glob can tell an issue opened from one
	// closed.
	ActionField string
	ContentType string // media type the provider always sends; "" accepts any
	// Accepted is the status a new event is answered with where the
	// provider counts only that one as delivered (Zoom: 200 or 204; Meta:
	// 200); 0 is 202.
	Accepted int
	// Body is what the body must be (BodyJSONObject, BodyJSONArray,
	// BodyForm, BodyAny); the fields above are read from it.
	Body  string
	Audit []string // headers stored with the event for audit and normalization
}

// Config is what every scheme is built from.
type Config struct {
	// Secrets are tried in turn; several allow rotation without downtime.
	Secrets []string
	// Tolerance bounds the age (and future skew) of signed timestamps;
	// zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now. Tests inject a fixed one.
	Now func() time.Time
}
