package verifier

import "github.com/hookgate/caddy-hookgate/event"

// BodyOwn is the Locator body kind of a FieldReader: the provider checks
// and reads its verified bodies itself.
const BodyOwn = "own"

// FieldReader is a Verifier that reads its event's id, type and action
// from the verified body itself, where no Locator can point: a provider
// sending bodies of more than one kind to one route (Slack: JSON event
// callbacks, form-encoded slash commands and interactions), or naming its
// event below the top level (Slack's event.type, Twitch's
// subscription.type) or by number (Discord's interaction types). Its
// Locator's Body is BodyOwn, and the Locator's field names only label
// Identify's messages.
type FieldReader interface {
	// ReadFields checks a verified body as strictly as ingest checks
	// its own body kinds (JSON by event.ScanStrict within maxDepth, forms
	// strictly) and returns what names the event. An error is a 400; its
	// message is safe to send.
	ReadFields(body []byte, maxDepth int) (BodyFields, error)
}

// bodyError is a verified body ReadFields refuses; its message is safe to
// send.
type bodyError struct{ msg string }

func (e *bodyError) Error() string { return e.msg }

// DefaultHandshakeDepth bounds the nesting of a handshake body read
// before ingest's own checks: handshakes are small and flat.
const DefaultHandshakeDepth = 64

// isJSONObject reports whether body opens with '{' after white space.
func isJSONObject(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// scanStrict is event.ScanStrict with its error made a bodyError.
func scanStrict(body []byte, maxDepth int, keys, out []string) error {
	if err := event.ScanStrict(body, maxDepth, keys, out); err != nil {
		return &bodyError{"malformed JSON body: " + err.Error()}
	}
	return nil
}
