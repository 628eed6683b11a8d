// GitHub: X-Hub-Signature-256: sha256=<hex>, the HMAC-SHA256 of the raw body
// keyed with the secret's bytes. Nothing signed carries a time or an id:
// X-GitHub-Delivery and X-GitHub-Event are not signed. So the event is named
// by the hash of its body, deduplicated at ingest (the only replay guard, as
// long as dedupe_ttl), with the delivery id kept as a label; the type is
// the event header joined with the signed body's action ("issues.opened"),
// read from the first delivery only. The legacy SHA-1
// X-Hub-Signature is not accepted. The "ping" event sent on hook creation is
// an ordinary delivery: no handshake.

package verifier

import "net/http"

// GitHub verifies GitHub webhook deliveries.
type GitHub struct {
	signature *HMAC
}

var githubLocator = Locator{
	IDHeader:    "X-Github-Delivery",
	TypeHeader:  "X-Github-Event",
	ActionField: "action",
	ContentType: "application/json",
	Audit: []string{
		"X-Github-Event",
		"X-Github-Delivery",
		"X-Github-Hook-Id",
		"X-Github-Hook-Installation-Target-Type",
		"X-Github-Hook-Installation-Target-Id",
	},
}

// NewGitHub builds a GitHub verifier; the secrets are used as plain bytes.
func NewGitHub(cfg Config) (*GitHub, error) {
	sig, err := newHMAC("github", cfg, HMACOptions{
		Header:    "X-Hub-Signature-256",
		Algorithm: "sha256",
		Encoding:  "hex",
		Prefix:    "sha256=",
	})
	if err != nil {
		return nil, err
	}
	return &GitHub{signature: sig}, nil
}

// Verify checks X-Hub-Signature-256.
func (g *GitHub) Verify(h http.Header, body []byte) (Signed, error) {
	return g.signature.Verify(h, body)
}

// Locate returns GitHub's locations, header names in canonical form; the
// slices are shared and must not be modified.
func (g *GitHub) Locate() Locator { return githubLocator }

var _ Verifier = (*GitHub)(nil)
