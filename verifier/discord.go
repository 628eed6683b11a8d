// Discord (https://discord.com/developers/docs/interactions/overview,
// "Setting Up an Endpoint"; the same signing for webhook events):
// X-Signature-Ed25519 is the hex Ed25519 signature of
// X-Signature-Timestamp + body under the application's key pair; the
// secret is the application's public key, 64 hex digits, from the
// Developer Portal's General Information page. The timestamp is unix
// seconds, held to the tolerance after the signature verified.
//
// A PING interaction (type 1, no event) is answered {"type":1} as
// application/json; a webhook-event PING (type 0) is answered 204. Both
// only once they verified, and neither is stored. An interaction is named
// by its id and typed by its kind (application_command, …); a webhook
// event, which has no id, by the hash of its signed bytes and its
// event.type (APPLICATION_AUTHORIZED, …).

package verifier

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// Discord's headers, canonical.
const (
	discordSignature = "X-Signature-Ed25519"
	discordTimestamp = "X-Signature-Timestamp"
)

// Discord verifies Discord's Ed25519-signed interactions and webhook events.
type Discord struct {
	keys    []ed25519.PublicKey
	window  window
	locator Locator
}

// NewDiscord builds a Discord verifier; each secret is a public key in
// hex. A secret of another length or alphabet is refused, without being
// quoted.
func NewDiscord(cfg Config) (*Discord, error) {
	if err := checkSecrets("discord", cfg.Secrets); err != nil {
		return nil, err
	}
	v := &Discord{locator: Locator{IDField: "id", IDOptional: true, TypeField: "type", ContentType: "application/json",
		Body: BodyOwn, Audit: []string{discordTimestamp}}}
	for i, s := range cfg.Secrets {
		key := make([]byte, ed25519.PublicKeySize)
		if !decodeHex(key, s) {
			return nil, fmt.Errorf("discord: secret %d is not an application public key (64 hex digits)", i+1)
		}
		v.keys = append(v.keys, ed25519.PublicKey(key))
	}
	var err error
	if v.window, err = newWindow("discord", cfg); err != nil {
		return nil, err
	}
	return v, nil
}

// signedMessages holds the buffers timestamp + body is built in:
// ed25519.Verify takes the message whole.
var signedMessages = sync.Pool{New: func() any { return new([]byte) }}

// pooledMessage keeps one huge body from pinning its buffer in the pool.
const pooledMessage = 1 << 20

// Verify checks the signature, then the timestamp's age.
func (v *Discord) Verify(h http.Header, body []byte) (Signed, error) {
	sigHex, ts := headerValue(h, discordSignature), headerValue(h, discordTimestamp)
	if sigHex == "" || ts == "" {
		return Signed{}, ErrMissing
	}
	var sig [ed25519.SignatureSize]byte
	if !decodeHex(sig[:], sigHex) {
		return Signed{}, ErrMalformed
	}
	unix, ok := parseTimestamp(ts)
	if !ok {
		return Signed{}, ErrMalformed
	}
	bufp := signedMessages.Get().(*[]byte)
	msg := append(append((*bufp)[:0], ts...), body...)
	verified := false
	for _, k := range v.keys {
		if ed25519.Verify(k, msg, sig[:]) {
			verified = true
			break
		}
	}
	if cap(msg) <= pooledMessage {
		*bufp = msg[:0]
		signedMessages.Put(bufp)
	}
	if !verified {
		return Signed{}, ErrMismatch
	}
	if !v.window.contains(unix) {
		return Signed{}, ErrStale
	}
	return Signed{Timestamp: ts}, nil
}

// Locate returns Discord's locations; the slices are shared.
func (v *Discord) Locate() Locator { return v.locator }

// discordInteractionTypes names Discord's interaction types.
var discordInteractionTypes = map[string]string{
	"1": "ping", "2": "application_command", "3": "message_component",
	"4": "application_command_autocomplete", "5": "modal_submit",
}

var discordKeys = []string{"id", "type"}

// ReadFields names an interaction by its id and kind, and a webhook event
// by its event.type.
func (v *Discord) ReadFields(body []byte, maxDepth int) (BodyFields, error) {
	var out [2]string
	if err := scanStrict(body, maxDepth, discordKeys, out[:]); err != nil {
		return BodyFields{}, err
	}
	if out[0] != "" {
		return BodyFields{ID: out[0], Type: discordInteractionTypes[out[1]]}, nil
	}
	var we struct {
		Event struct {
			Type string `json:"type"`
		} `json:"event"`
	}
	_ = json.Unmarshal(body, &we) // passed the strict scan; a mistyped field names nothing
	return BodyFields{Type: we.Event.Type}, nil
}

// UnsignedHandshake: Discord signs its PINGs.
func (v *Discord) UnsignedHandshake(*http.Request, []byte) (*Reply, bool) { return nil, false }

// discordPong is the answer to a PING interaction.
var discordPong = []byte(`{"type":1}`)

// SignedHandshake answers a PING interaction (type 1, with the id every
// interaction has) with a PONG, and a webhook-event PING (type 0, which
// like every webhook event has no id) with 204.
func (v *Discord) SignedHandshake(_ *http.Request, body []byte, _ Signed) (*Reply, bool) {
	var out [2]string
	if scanStrict(body, DefaultHandshakeDepth, discordKeys[:2], out[:]) != nil {
		return nil, false
	}
	switch {
	case out[1] == "1" && out[0] != "":
		return &Reply{ContentType: "application/json", Body: discordPong}, true
	case out[1] == "0" && out[0] == "":
		return &Reply{Status: http.StatusNoContent}, true
	}
	return nil, false
}

var (
	_ Verifier    = (*Discord)(nil)
	_ Handshaker  = (*Discord)(nil)
	_ FieldReader = (*Discord)(nil)
)
