package sign

import (
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { signers["meta"] = Meta }

// Meta sends X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>
// under the app secret, from verifier's Meta options. It signs no time.
func Meta(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	return signHMAC("meta", verifier.MetaOptions(), secret, body, at, id, opts.Event)
}
