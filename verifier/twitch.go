// Twitch EventSub over webhooks
// (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/):
// Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of
// message id + timestamp + body>, keyed with the secret given when the
// subscription was created. The id (Twitch-Eventsub-Message-Id) and the
// RFC 3339 timestamp (Twitch-Eventsub-Message-Timestamp, nanoseconds)
// are signed, so the id names the event (a resent message keeps its id)
// and the timestamp is held to the tolerance.
//
// The message type header is not signed, so what a message is comes from
// its signed body: a top-level challenge is the callback verification,
// answered with the challenge as text/plain and not stored; a body with
// an event is a notification, typed by subscription.type; a body with
// neither is a revocation, stored as an event of type "revocation" so
// that whoever consumes the stream learns the subscription is gone.

package verifier

import (
	"encoding/json"
	"net/http"
)

var twitchOptions = HMACOptions{
	Header: "Twitch-Eventsub-Message-Signature", Prefix: "sha256=", Template: "{id}{ts}{body}",
	IDFrom:        "header:Twitch-Eventsub-Message-Id",
	TimestampFrom: "header:Twitch-Eventsub-Message-Timestamp", TimestampFormat: TimestampRFC3339,
}

// TwitchOptions returns Twitch's scheme as generic HMAC options, for sign/.
func TwitchOptions() HMACOptions { return twitchOptions }

// TwitchRevocation is the stored type of a revocation message.
const TwitchRevocation = "revocation"

// Twitch verifies EventSub webhook messages and answers the callback
// verification.
type Twitch struct {
	*HMAC
	locator Locator
}

// NewTwitch builds a Twitch verifier; the secrets are subscription secrets.
func NewTwitch(cfg Config) (*Twitch, error) {
	h, err := newHMAC("twitch", cfg, twitchOptions)
	if err != nil {
		return nil, err
	}
	loc := h.locator
	loc.ContentType, loc.Body, loc.TypeField = "application/json", BodyOwn, "subscription.type"
	loc.Audit = append(append([]string(nil), loc.Audit...),
		"Twitch-Eventsub-Message-Type", "Twitch-Eventsub-Subscription-Type", "Twitch-Eventsub-Subscription-Version", "Twitch-Eventsub-Message-Retry")
	return &Twitch{HMAC: h, locator: loc}, nil
}

// Locate returns Twitch's locations; the slices are shared.
func (v *Twitch) Locate() Locator { return v.locator }

// twitchMessage is what names a message in its body.
type twitchMessage struct {
	Subscription struct {
		Type string `json:"type"`
	} `json:"subscription"`
	Event     json.RawMessage `json:"event"`
	Challenge *string         `json:"challenge"`
}

func readTwitch(body []byte, maxDepth int) (twitchMessage, error) {
	var m twitchMessage
	if err := scanStrict(body, maxDepth, nil, nil); err != nil {
		return m, err
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, &bodyError{"malformed EventSub message"}
	}
	return m, nil
}

// ReadFields types a notification by its subscription.type and a
// revocation as TwitchRevocation; the id is the signed message id.
func (v *Twitch) ReadFields(body []byte, maxDepth int) (BodyFields, error) {
	m, err := readTwitch(body, maxDepth)
	if err != nil {
		return BodyFields{}, err
	}
	if len(m.Event) == 0 || string(m.Event) == "null" {
		return BodyFields{Type: TwitchRevocation}, nil
	}
	return BodyFields{Type: m.Subscription.Type}, nil
}

// UnsignedHandshake: Twitch signs its verification requests.
func (v *Twitch) UnsignedHandshake(*http.Request, []byte) (*Reply, bool) { return nil, false }

// SignedHandshake answers the callback verification with its challenge.
func (v *Twitch) SignedHandshake(_ *http.Request, body []byte, _ Signed) (*Reply, bool) {
	var out [1]string
	if scanStrict(body, DefaultHandshakeDepth, []string{"challenge"}, out[:]) != nil || out[0] == "" {
		return nil, false
	}
	return &Reply{ContentType: "text/plain", Body: []byte(out[0])}, true
}

var (
	_ Verifier    = (*Twitch)(nil)
	_ Handshaker  = (*Twitch)(nil)
	_ FieldReader = (*Twitch)(nil)
)
