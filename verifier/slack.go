// Slack (https://docs.slack.dev/authentication/verifying-requests-from-slack):
// X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>">,
// keyed with the app's signing secret, the timestamp (unix seconds) held
// to five minutes. The scheme is the generic HMAC engine's with a
// template; what is Slack's own is the handshake and the bodies.
//
// One Request URL may get three kinds of body, all signed alike: Events
// API callbacks (JSON, named by event_id, typed by the inner event.type),
// slash commands (form-encoded fields, command and trigger_id) and
// interactions (a form whose payload field is JSON, typed by its type).
// No one Locator body kind fits, so Slack reads its bodies itself
// (FieldReader): JSON when the signed bytes open with '{', else a strict
// form. A form names its event by trigger_id where it has one, else by
// the hash of the signed bytes. url_verification is answered, after it
// verified, with its challenge as text/plain, as Slack's url_verification
// reference shows first, and a slash command URL's ssl_check (a form with
// ssl_check=1) with an empty 200; nothing is stored.

package verifier

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
)

// slackOptions is Slack's scheme over the generic engine.
var slackOptions = HMACOptions{
	Header: "X-Slack-Signature", Prefix: "v0=", Template: "v0:{ts}:{body}",
	TimestampFrom: "header:X-Slack-Request-Timestamp",
}

// SlackOptions returns Slack's scheme as generic HMAC options, for sign/.
func SlackOptions() HMACOptions { return slackOptions }

// Slack verifies Slack's signed requests and answers url_verification.
type Slack struct {
	*HMAC
	locator Locator
}

// NewSlack builds a Slack verifier; the secrets are signing secrets.
func NewSlack(cfg Config) (*Slack, error) {
	h, err := newHMAC("slack", cfg, slackOptions)
	if err != nil {
		return nil, err
	}
	loc := h.locator
	loc.IDField, loc.IDOptional, loc.TypeField, loc.Body = "event_id", true, "type", BodyOwn
	loc.Audit = append(append([]string(nil), loc.Audit...), "X-Slack-Retry-Num", "X-Slack-Retry-Reason")
	return &Slack{HMAC: h, locator: loc}, nil
}

// Locate returns Slack's locations; the slices are shared.
func (v *Slack) Locate() Locator { return v.locator }

// maxSlackFormFields bounds a form body's fields, as ingest's own form
// reading does.
const maxSlackFormFields = 1000

// slackJSONKeys are the top-level fields of an Events API body.
var slackJSONKeys = []string{"event_id", "type", "challenge"}

// slackInteractionKeys are the top-level fields of an interaction payload.
var slackInteractionKeys = []string{"trigger_id", "type"}

// ReadFields reads an Events API body (event_id; event.type, else the
// outer type) or a form: an interaction's payload (trigger_id, type) or a
// slash command (trigger_id, type slash_command).
func (v *Slack) ReadFields(body []byte, maxDepth int) (BodyFields, error) {
	if isJSONObject(body) {
		var out [3]string
		if err := scanStrict(body, maxDepth, slackJSONKeys, out[:]); err != nil {
			return BodyFields{}, err
		}
		f := BodyFields{ID: out[0], Type: out[1]}
		if inner := slackInnerType(body); inner != "" {
			f.Type = inner
		}
		return f, nil
	}
	form, err := SlackForm(body)
	if err != nil {
		return BodyFields{}, err
	}
	if payload := form.Get("payload"); payload != "" {
		var out [2]string
		if err := scanStrict([]byte(payload), maxDepth, slackInteractionKeys, out[:]); err != nil {
			return BodyFields{}, &bodyError{"payload: " + err.Error()}
		}
		return BodyFields{ID: out[0], Type: out[1]}, nil
	}
	if form.Get("command") != "" {
		return BodyFields{ID: form.Get("trigger_id"), Type: "slash_command"}, nil
	}
	return BodyFields{}, &bodyError{"a Slack form body carries a payload (an interaction) or a command"}
}

// slackInnerType is an event callback's event.type; "" for another body.
func slackInnerType(body []byte) string {
	if !bytes.Contains(body, []byte(`"event"`)) {
		return ""
	}
	var cb struct {
		Event struct {
			Type string `json:"type"`
		} `json:"event"`
	}
	// The body passed the strict scan: an error here is a field of an
	// unexpected type, which names no inner type.
	_ = json.Unmarshal(body, &cb)
	return cb.Event.Type
}

// SlackForm parses a Slack form body strictly: bad escapes, ';'
// separators and more than 1000 fields are errors.
func SlackForm(body []byte) (url.Values, error) {
	if bytes.Count(body, []byte{'&'}) >= maxSlackFormFields {
		return nil, &bodyError{"form body has more than 1000 fields"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &bodyError{"malformed form body"}
	}
	return form, nil
}

// UnsignedHandshake: Slack signs every request.
func (v *Slack) UnsignedHandshake(*http.Request, []byte) (*Reply, bool) { return nil, false }

// SignedHandshake answers url_verification with its challenge, and the
// ssl_check Slack posts to a slash command's URL with an empty 200.
func (v *Slack) SignedHandshake(_ *http.Request, body []byte, _ Signed) (*Reply, bool) {
	if !isJSONObject(body) {
		if !bytes.Contains(body, []byte("ssl_check=1")) {
			return nil, false
		}
		if form, err := SlackForm(body); err == nil && form.Get("ssl_check") == "1" && form.Get("command") == "" {
			return &Reply{}, true
		}
		return nil, false
	}
	if !bytes.Contains(body, []byte("url_verification")) {
		return nil, false
	}
	var out [3]string
	if scanStrict(body, DefaultHandshakeDepth, slackJSONKeys, out[:]) != nil || out[1] != "url_verification" || out[2] == "" {
		return nil, false
	}
	return &Reply{ContentType: "text/plain", Body: []byte(out[2])}, true
}

var (
	_ Verifier    = (*Slack)(nil)
	_ Handshaker  = (*Slack)(nil)
	_ FieldReader = (*Slack)(nil)
)
