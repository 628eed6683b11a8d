package sign

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

func init() { signers["discord"] = Discord }

// Discord sends X-Signature-Timestamp and X-Signature-Ed25519, the hex
// Ed25519 signature of timestamp + body. Discord signs with its private
// key and the route holds the public one (DiscordPublicKey): the secret
// here is the private key's seed as 64 hex digits, or any other string,
// whose SHA-256 is then the seed (a test key named by a passphrase).
func Discord(secret string, body []byte, at time.Time, _ string, _ Options) (http.Header, error) {
	ts := unix(at)
	msg := append(append([]byte(nil), ts...), body...)
	h := jsonHeader()
	h.Set("X-Signature-Timestamp", string(ts))
	h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(discordKey(secret), msg)))
	return h, nil
}

// DiscordPublicKey is the hex public key a route verifies what Discord
// signs with secret.
func DiscordPublicKey(secret string) string {
	return hex.EncodeToString(discordKey(secret).Public().(ed25519.PublicKey))
}

func discordKey(secret string) ed25519.PrivateKey {
	seed, err := hex.DecodeString(secret)
	if err != nil || len(seed) != ed25519.SeedSize {
		sum := sha256.Sum256([]byte(secret))
		seed = sum[:]
	}
	return ed25519.NewKeyFromSeed(seed)
}
