package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() { Register("jwt", JWT) }

// JWTLifetime is how long the tokens JWT mints are valid.
const JWTLifetime = 5 * time.Minute

// JWT sends Authorization: Bearer <JWT> with iat at, exp at+JWTLifetime
// and jti id (random when empty). secret is an HS256 key, or a PEM
// private key (PKCS#8, PKCS#1 or SEC 1) whose type picks RS256, ES256 or
// EdDSA; the route verifies with the secret or the matching public key.
// With opts.Header set it also sends that header as sha256=<hex
// HMAC-SHA256 of the body> under the same HS256 secret, as a route's
// body_signature <header> <secret> verifies.
func JWT(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	if id == "" {
		id = NewID("jti_")
	}
	method, key, err := jwtKey(secret)
	if err != nil {
		return nil, err
	}
	claims := jwt.RegisteredClaims{
		ID:        id,
		IssuedAt:  jwt.NewNumericDate(at),
		ExpiresAt: jwt.NewNumericDate(at.Add(JWTLifetime)),
	}
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		return nil, errors.New("jwt: signing the token failed")
	}
	h := jsonHeader()
	h.Set("Authorization", "Bearer "+token)
	if opts.Header != "" {
		if method != jwt.SigningMethodHS256 {
			return nil, errors.New("jwt: --header signs the body with the HS256 secret; this secret is a private key")
		}
		h.Set(opts.Header, BodySignature(secret, body))
	}
	return h, nil
}

// BodySignature is sha256=<hex HMAC-SHA256 of body>, the header a JWT
// route's body_signature checks.
func BodySignature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// jwtKey reads secret as a PEM private key, else as an HS256 key.
func jwtKey(secret string) (jwt.SigningMethod, any, error) {
	block, _ := pem.Decode([]byte(secret))
	if block == nil {
		return jwt.SigningMethodHS256, []byte(secret), nil
	}
	var key crypto.PrivateKey
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, nil, errors.New("jwt: the secret is PEM but not a private key")
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return jwt.SigningMethodRS256, k, nil
	case *ecdsa.PrivateKey:
		return jwt.SigningMethodES256, k, nil
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA, k, nil
	}
	return nil, nil, errors.New("jwt: the private key is not RSA, ECDSA or Ed25519")
}
