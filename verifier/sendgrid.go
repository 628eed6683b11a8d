// SendGrid's Signed Event Webhook: X-Twilio-Email-Event-Webhook-Signature
// is the base64 ASN.1 ECDSA P-256 signature of SHA-256(timestamp + body),
// with X-Twilio-Email-Event-Webhook-Timestamp in unix seconds, held to the
// tolerance. The secret is the Verification Key from Mail Settings >
// Signed Event Webhook: base64 DER (SubjectPublicKeyInfo), with or without
// PEM armour. The body is a JSON array of events: each is stored on its
// own, deduped by its sg_event_id, typed by its event field.

package verifier

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

const (
	sendGridSignature = "X-Twilio-Email-Event-Webhook-Signature"
	sendGridTimestamp = "X-Twilio-Email-Event-Webhook-Timestamp"
	// maxECDSASignature bounds the decoded DER signature: a P-256 one is
	// at most 72 bytes; the base64 form is bounded before decoding.
	maxECDSASignature = 72
)

// SendGrid verifies SendGrid's Signed Event Webhook.
type SendGrid struct {
	keys   []*ecdsa.PublicKey
	window window
}

// NewSendGrid builds the verifier; each secret is a verification key.
func NewSendGrid(cfg Config) (*SendGrid, error) {
	if err := checkSecrets("sendgrid", cfg.Secrets); err != nil {
		return nil, err
	}
	v := &SendGrid{}
	for i, s := range cfg.Secrets {
		key, err := parseECDSAPublicKey(s)
		if err != nil {
			// Public, but still not echoed: a private key pasted by
			// mistake would be.
			return nil, fmt.Errorf("sendgrid: secret %d is not a P-256 verification key (base64 DER from Mail Settings > Signed Event Webhook): %w", i+1, err)
		}
		v.keys = append(v.keys, key)
	}
	var err error
	if v.window, err = newWindow("sendgrid", cfg); err != nil {
		return nil, err
	}
	return v, nil
}

// KeyDER reads a key written as PEM or as base64 DER (the form SendGrid's
// dashboard shows) into its DER bytes.
func KeyDER(s string) ([]byte, error) {
	if block, _ := pem.Decode([]byte(s)); block != nil {
		return block.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not base64")
	}
	return der, nil
}

// parseECDSAPublicKey reads a P-256 public key as base64 DER or PEM.
func parseECDSAPublicKey(s string) (*ecdsa.PublicKey, error) {
	der, err := KeyDER(s)
	if err != nil {
		return nil, err
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a DER public key")
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errors.New("not an ECDSA P-256 key")
	}
	return key, nil
}

// Verify checks the signature over timestamp + body, then the timestamp.
func (v *SendGrid) Verify(h http.Header, body []byte) (Signed, error) {
	sig64, ts := headerValue(h, sendGridSignature), headerValue(h, sendGridTimestamp)
	if sig64 == "" || ts == "" {
		return Signed{}, ErrMissing
	}
	unix, ok := parseTimestamp(ts)
	if !ok || len(sig64) > base64.StdEncoding.EncodedLen(maxECDSASignature) {
		return Signed{}, ErrMalformed
	}
	var sig [maxECDSASignature]byte
	n, err := base64.StdEncoding.Decode(sig[:], []byte(sig64))
	if err != nil {
		return Signed{}, ErrMalformed
	}
	d := sha256.New()
	d.Write([]byte(ts))
	d.Write(body)
	var sum [sha256.Size]byte
	digest := d.Sum(sum[:0])
	matched := false
	for _, key := range v.keys {
		if ecdsa.VerifyASN1(key, digest, sig[:n]) {
			matched = true
			break
		}
	}
	if !matched {
		return Signed{}, ErrMismatch
	}
	if !v.window.contains(unix) {
		return Signed{}, ErrStale
	}
	return Signed{Timestamp: ts}, nil
}

// Locate: a batch of events, each with its sg_event_id and event type.
func (v *SendGrid) Locate() Locator {
	return Locator{IDField: "sg_event_id", TypeField: "event", Body: BodyJSONArray, Audit: []string{sendGridTimestamp}}
}

var _ Verifier = (*SendGrid)(nil)
