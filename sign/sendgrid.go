package sign

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { Register("sendgrid", SendGrid) }

// SendGrid sends X-Twilio-Email-Event-Webhook-Signature: the base64 ASN.1
// ECDSA P-256 signature of SHA-256(timestamp + body), with the timestamp
// beside it. secret is the private key (base64 DER, PKCS#8 or SEC 1, or
// PEM); the route's secret is its public key. The ids are in the body.
func SendGrid(secret string, body []byte, at time.Time, _ string, _ Options) (http.Header, error) {
	key, err := ecdsaPrivateKey(secret)
	if err != nil {
		return nil, err
	}
	ts := unix(at)
	digest := sha256.Sum256(append(append([]byte(nil), ts...), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	h := jsonHeader()
	h.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
	h.Set("X-Twilio-Email-Event-Webhook-Timestamp", string(ts))
	return h, nil
}

// ecdsaPrivateKey reads a P-256 private key as base64 DER or PEM.
func ecdsaPrivateKey(s string) (*ecdsa.PrivateKey, error) {
	der, err := verifier.KeyDER(s)
	if err != nil {
		return nil, errors.New("sendgrid: the secret must be an ECDSA P-256 private key, base64 DER or PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if ek, ok := k.(*ecdsa.PrivateKey); ok {
			return ek, nil
		}
		return nil, errors.New("sendgrid: the private key is not ECDSA")
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("sendgrid: the secret must be an ECDSA P-256 private key, base64 DER or PEM")
}
