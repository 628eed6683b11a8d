package sign

import (
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { signers["zoom"] = Zoom }

// Zoom sends x-zm-request-timestamp and x-zm-signature: v0=<hex
// HMAC-SHA256 of v0:<ts>:<body>> under the secret token, from verifier's
// Zoom options.
func Zoom(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	return signHMAC("zoom", verifier.ZoomOptions(), secret, body, at, id, opts.Event)
}
