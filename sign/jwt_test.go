package sign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
	"github.com/hookgate/caddy-hookgate/verifier"
)

// A PEM private key picks its algorithm, and the route with the public
// key in its key file accepts what sign mints.
func TestSignJWTWithAPrivateKeyIsAcceptedByItsPublicKey(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	cases := []struct {
		name, alg string
		private   []byte
		public    crypto.PublicKey
	}{
		{"RS256 from a PKCS#1 key", verifier.JWTRS256, pkcs1, &rsaKey.PublicKey},
		{"ES256 from a SEC 1 key", verifier.JWTES256, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), &ecKey.PublicKey},
		{"EdDSA from a PKCS#8 key", verifier.JWTEdDSA, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), edKey.Public()},
	}
	at := time.Unix(1700000000, 0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			der, _ := x509.MarshalPKIXPublicKey(tc.public)
			keyFile := filepath.Join(t.TempDir(), "pub.pem")
			if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
				t.Fatal(err)
			}
			v, err := verifier.NewJWT(verifier.Config{Secrets: []string{"scope"}, Now: func() time.Time { return at }},
				verifier.JWTOptions{Algorithm: tc.alg, KeyFile: keyFile})
			if err != nil {
				t.Fatal(err)
			}
			h, err := sign.Sign("jwt", string(tc.private), []byte(`{}`), at, "jti-sign", sign.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s, err := v.Verify(h, []byte(`{}`))
			if err != nil || s.ID != "jti-sign" || s.ReplayTTL != sign.JWTLifetime+verifier.DefaultTolerance {
				t.Fatalf("Verify = %+v, %v", s, err)
			}
		})
	}
	t.Run("a body signature needs the HS256 secret", func(t *testing.T) {
		if _, err := sign.Sign("jwt", string(pkcs1), []byte(`{}`), at, "", sign.Options{Header: "X-Signature"}); err == nil || !strings.Contains(err.Error(), "HS256 secret") {
			t.Errorf("Sign = %v", err)
		}
	})
	t.Run("a PEM public key is no signing key", func(t *testing.T) {
		der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
		pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		if _, err := sign.Sign("jwt", string(pub), []byte(`{}`), at, "", sign.Options{}); err == nil || strings.Contains(err.Error(), "MII") {
			t.Errorf("Sign = %v", err)
		}
	})
}

// MailgunBody's signature object is what the route verifies, and the
// table's signer vouches only for a body carrying one under its secret.
func TestSignMailgunWritesTheSignatureIntoTheBody(t *testing.T) {
	at := time.Unix(1700000000, 0)
	v, err := verifier.NewMailgun(verifier.Config{Secrets: []string{"mg-key"}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	body, err := sign.MailgunBody("mg-key", []byte(`{"event-data":{"event":"delivered"},"signature":{"token":"stale"}}`), at, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(nil, body)
	if err != nil || len(s.ID) != 50 {
		t.Fatalf("Verify(%s) = %+v, %v; want a 50-character token", body, s, err)
	}
	if _, err := sign.Sign("mailgun", "mg-key", body, at, "", sign.Options{}); err != nil {
		t.Errorf("the signer refuses a body signed with its secret: %v", err)
	}
	for name, tc := range map[string]struct{ secret, body string }{
		"another secret":      {"mg-other", string(body)},
		"no signature object": {"mg-key", `{"event-data":{}}`},
	} {
		if _, err := sign.Sign("mailgun", tc.secret, []byte(tc.body), at, "", sign.Options{}); err == nil {
			t.Errorf("%s: the signer vouches for the body", name)
		}
	}
	if _, err := sign.MailgunBody("mg-key", []byte(`[1]`), at, ""); err == nil {
		t.Error("MailgunBody signs a body that is not an object")
	}
}
