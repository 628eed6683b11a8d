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
	// Verify returns nil when body, received with header h, carries a valid
	// signature made with one of the configured secrets and, where the
	// scheme signs a timestamp, that timestamp is within tolerance.
	Verify(h http.Header, body []byte) error
	// Locate says where this provider puts the event id and type, and which
	// headers are kept with the stored event.
	Locate() Locator
}

// Locator tells ingest where a provider's event id and type live. A header
// wins over a body field; with neither, ingest uses a hash of the body as id.
type Locator struct {
	IDHeader    string // header carrying the provider's event id
	IDField     string // top-level JSON field carrying the event id, read when IDHeader is empty
	TypeHeader  string // header carrying the event type
	TypeField   string // top-level JSON field carrying the event type
	ContentType string // media type the provider always sends; "" accepts any
	// DedupeOnBody is set where the id header is not signed and no signed
	// timestamp bounds a replay (GitHub): a captured body resent under
	// fresh ids must still be a duplicate, so the body hash is the key.
	DedupeOnBody bool
	// BodyIDField names a signed body field that, when present, must equal
	// the unsigned IDHeader (WordPress): a captured body replayed under a
	// fresh id header is refused instead of passing the dedupe.
	BodyIDField string
	Audit       []string // headers stored with the event for audit and normalization
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
