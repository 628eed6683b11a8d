package verifier

import "net/http"

// Reply is an answer a provider requires in place of an event (a URL
// verification's challenge, a ping's acknowledgement): ingest sends it as
// it is and stores nothing.
type Reply struct {
	Status      int // 0 is 200
	ContentType string
	Body        []byte
}

// Handshaker is a Verifier whose provider sends handshakes besides events.
type Handshaker interface {
	// UnsignedHandshake answers a handshake the provider does not sign
	// (Meta's GET with hub.challenge, WooCommerce's creation ping) before
	// any signature is checked; body is nil for a GET. Whatever it
	// answers, nothing is stored, and it must tell a stranger nothing a
	// stranger may not learn.
	UnsignedHandshake(r *http.Request, body []byte) (*Reply, bool)
	// SignedHandshake answers a handshake once its signature verified
	// (Slack's url_verification, Zoom's endpoint.url_validation, Twitch's
	// callback verification, Discord's PING). It reads only what the
	// signature covers; an answer computed with a secret is computed only
	// here, so the route is never an oracle for unsigned input.
	SignedHandshake(r *http.Request, body []byte, s Signed) (*Reply, bool)
}

// RequestVerifier is a Verifier whose scheme signs the request's method or
// URL as well as its body (HubSpot v3, Twilio, Square): ingest calls
// VerifyRequest in place of Verify.
type RequestVerifier interface {
	VerifyRequest(r *http.Request, body []byte) (Signed, error)
}

// Body kinds of a Locator: what ingest accepts and parses as the body.
const (
	BodyJSONObject = ""      // a JSON object; fields are top-level members (the default)
	BodyJSONArray  = "array" // a JSON array of events, each its own entry
	BodyForm       = "form"  // application/x-www-form-urlencoded; fields are form fields
	BodyAny        = "any"   // any bytes, stored as received; no fields
)

// Acknowledger is a Verifier whose provider needs a particular answer once
// its event is stored (Slack's empty 200 to a slash command or an
// interaction, Discord's deferred response to an interaction), where
// Hookgate's JSON would be shown to a user or refused. The handler sends
// it for a new event and a duplicate alike; ok false keeps the JSON.
type Acknowledger interface {
	Acknowledge(body []byte, typ string) (*Reply, bool)
}
