package sign

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { signers["twitch"] = Twitch }

// Twitch sends Twitch-Eventsub-Message-Id (a fresh one unless given),
// -Timestamp (RFC 3339) and -Signature: sha256=<hex HMAC-SHA256 of
// id + timestamp + body>, from verifier's Twitch options, with the
// message type Twitch would give the body: webhook_callback_verification
// for a challenge, notification for an event, else revocation; and the
// subscription type when --event names one.
func Twitch(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	h, err := signHMAC("twitch", verifier.TwitchOptions(), secret, body, at, id, "")
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	kind := "revocation"
	if _, ok := m["challenge"]; ok {
		kind = "webhook_callback_verification"
	} else if _, ok := m["event"]; ok {
		kind = "notification"
	}
	h.Set("Twitch-Eventsub-Message-Type", kind)
	if opts.Event != "" {
		h.Set("Twitch-Eventsub-Subscription-Type", opts.Event)
	}
	return h, nil
}
