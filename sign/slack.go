package sign

import (
	"bytes"
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { signers["slack"] = Slack }

// Slack sends X-Slack-Request-Timestamp and X-Slack-Signature:
// v0=<hex HMAC-SHA256 of v0:<ts>:<body>> under the signing secret, from
// verifier's Slack options. A body that is not a JSON object (a slash
// command, an interaction's payload=…) goes as a form.
func Slack(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	h, err := signHMAC("slack", verifier.SlackOptions(), secret, body, at, id, opts.Event)
	if err != nil {
		return nil, err
	}
	formUnlessJSON(h, body)
	return h, nil
}

// formUnlessJSON sets a form content type for a body that is not a JSON
// object.
func formUnlessJSON(h http.Header, body []byte) {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
}
