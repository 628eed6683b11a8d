// JWT: a sender that authenticates with Authorization: Bearer <JWT> (the
// WordPress plugin's seed scheme, and any sender minting short-lived
// tokens). The token is verified by golang-jwt; what is parsed here is
// only the front: one Authorization value, the Bearer scheme and a token
// of three base64url segments, bounded, so nothing else reaches the JOSE
// library.
//
// Pinned: the route names one algorithm (RS256, ES256, EdDSA or HS256)
// and a token whose alg header says anything else is refused, "none"
// included; the key handed to golang-jwt has the type of that algorithm
// only (an RSA public key is never an HMAC key), so a token signed with
// HS256 using the public key's bytes fails on an RS256 route.
//
// Claims: exp is required, nbf and iat are checked when present, all with
// the route's tolerance as leeway; iss and aud when configured; max_age
// bounds how old iat may be (and makes iat required). jti is required: a
// bearer token does not sign the body, so a captured token is a
// credential for any body until exp, and only a token that can be used
// once (Signed.Replay, refused on its second use for as long as the token
// is valid) closes that. A sender that sends no jti is refused rather
// than silently left without replay protection.
//
// What the token does not cover: the body. With body_signature the route
// also requires an HMAC of the body in a header (X-Signature:
// sha256=<hex>, the WordPress plugin's second check), and both must pass;
// without it the body is vouched for only by TLS and the single use of
// the token.

package verifier

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWT algorithms a route may pin.
const (
	JWTRS256 = "RS256"
	JWTES256 = "ES256"
	JWTEdDSA = "EdDSA"
	JWTHS256 = "HS256"
)

// maxBearerToken bounds the token before anything decodes it: a JWT with
// a few claims and an RSA-4096 signature is under 1.5 KiB.
const maxBearerToken = 8 << 10

// JWTOptions describe a JWT route.
type JWTOptions struct {
	// Algorithm is the only alg a token may name: RS256, ES256, EdDSA or
	// HS256. Required.
	Algorithm string
	// KeyFile is a PEM file of one or more public keys (or certificates)
	// of the algorithm; JWKSFile a JSON Web Key Set, whose kid picks the
	// key. One of them for RS256, ES256 and EdDSA, neither for HS256 (the
	// secrets are the keys). Both are re-read when they change.
	KeyFile, JWKSFile string
	// Issuer and Audience, when set, must be the token's iss and one of
	// its aud.
	Issuer, Audience string
	// MaxAge, when set, is how old the token's iat may be.
	MaxAge time.Duration
	// BodySignatureHeader and BodySignatureSecrets add a second check:
	// the header must carry sha256=<hex HMAC-SHA256 of the body> under
	// one of the secrets.
	BodySignatureHeader  string
	BodySignatureSecrets []string
	// IDFrom names the event: "jti" (the default: signed, one per
	// token), "json:<field>" (a top-level body field) or "hash" (the
	// body's hash, so a resend of the same body under a fresh token is a
	// duplicate). TypeFrom is "json:<field>", default json:type.
	IDFrom, TypeFrom string
}

// JWT verifies bearer tokens.
type JWT struct {
	parser  *jwt.Parser
	keys    jwtKeys
	maxAge  time.Duration
	body    *HMAC // body_signature; nil without
	idJTI   bool
	window  window
	locator Locator
}

// NewJWT builds a JWT verifier. With HS256 the secrets are the keys; with
// the other algorithms the keys are in KeyFile or JWKSFile, read now.
func NewJWT(cfg Config, opts JWTOptions) (*JWT, error) {
	v, err := buildJWT(opts)
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	if v.window, err = newWindow("jwt", cfg); err != nil {
		return nil, err
	}
	switch {
	case opts.Algorithm == JWTHS256:
		if err := checkSecrets("jwt", cfg.Secrets); err != nil {
			return nil, err
		}
		v.keys = hmacKeys(cfg.Secrets)
	case opts.KeyFile != "":
		if v.keys, err = newKeyFile(opts.KeyFile, opts.Algorithm, false, v.window.now); err != nil {
			return nil, fmt.Errorf("jwt: key_file: %w", err)
		}
	default:
		if v.keys, err = newKeyFile(opts.JWKSFile, opts.Algorithm, true, v.window.now); err != nil {
			return nil, fmt.Errorf("jwt: jwks_file: %w", err)
		}
	}
	if opts.BodySignatureHeader != "" {
		v.body, err = newHMAC("jwt body_signature", Config{Secrets: opts.BodySignatureSecrets, Now: cfg.Now},
			HMACOptions{Header: opts.BodySignatureHeader, Prefix: "sha256="})
		if err != nil {
			return nil, err
		}
	}
	p := []jwt.ParserOption{
		jwt.WithValidMethods([]string{opts.Algorithm}),
		jwt.WithLeeway(v.window.tolerance),
		jwt.WithTimeFunc(v.window.now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		// One spelling per token: unused bits of a segment's last
		// character must be zero, so a re-spelled capture is not another
		// token that verifies.
		jwt.WithStrictDecoding(),
	}
	if opts.Issuer != "" {
		p = append(p, jwt.WithIssuer(opts.Issuer))
	}
	if opts.Audience != "" {
		p = append(p, jwt.WithAudience(opts.Audience))
	}
	v.parser = jwt.NewParser(p...)
	return v, nil
}

// CheckJWTOptions reports what NewJWT would refuse in opts, keys and
// secrets aside, for the Caddyfile adapter.
func CheckJWTOptions(opts JWTOptions) error {
	_, err := buildJWT(opts)
	return err
}

func buildJWT(opts JWTOptions) (*JWT, error) {
	v := &JWT{maxAge: opts.MaxAge}
	switch opts.Algorithm {
	case JWTHS256:
		if opts.KeyFile != "" || opts.JWKSFile != "" {
			return nil, errors.New("HS256 keys are the route's secrets: key_file and jwks_file are for RS256, ES256 and EdDSA")
		}
	case JWTRS256, JWTES256, JWTEdDSA:
		if (opts.KeyFile == "") == (opts.JWKSFile == "") {
			return nil, fmt.Errorf("%s needs exactly one of key_file and jwks_file", opts.Algorithm)
		}
	case "":
		return nil, errors.New("algorithm is required (RS256, ES256, EdDSA or HS256)")
	default:
		// "none" and everything else.
		return nil, fmt.Errorf("algorithm %q is not accepted (want RS256, ES256, EdDSA or HS256)", opts.Algorithm)
	}
	if opts.MaxAge < 0 {
		return nil, errors.New("max_age must not be negative")
	}
	if opts.BodySignatureHeader != "" && !validHeaderName(opts.BodySignatureHeader) {
		return nil, fmt.Errorf("body_signature header %q is not a header name", opts.BodySignatureHeader)
	}
	if strings.EqualFold(opts.BodySignatureHeader, "Authorization") {
		return nil, errors.New("body_signature must not use the Authorization header")
	}
	v.locator = Locator{ContentType: "application/json", Body: BodyJSONObject}
	switch id := opts.IDFrom; {
	case id == "" || id == "jti":
		v.idJTI = true
	case id == "hash":
	case strings.HasPrefix(id, "json:"):
		src, err := parseSource("id_from", id)
		if err != nil {
			return nil, err
		}
		v.locator.IDField = src.json
	default:
		return nil, fmt.Errorf("id_from %q: want jti, hash or json:<top-level field>", id)
	}
	typ := opts.TypeFrom
	if typ == "" {
		typ = "json:type"
	}
	src, err := parseSource("type_from", typ)
	if err != nil || src.json == "" {
		return nil, fmt.Errorf("type_from %q: want json:<top-level field> (headers are not signed here)", typ)
	}
	v.locator.TypeField = src.json
	return v, nil
}

// Verify checks the bearer token and, with body_signature, the body's
// HMAC. Signature and key problems are ErrMismatch; a token outside its
// validity (exp, nbf, iat, max_age) is ErrStale, decided only after its
// signature verified.
func (v *JWT) Verify(h http.Header, body []byte) (Signed, error) {
	token, err := bearerToken(h)
	if err != nil {
		return Signed{}, err
	}
	var claims jwt.RegisteredClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.keys.keyfunc); err != nil {
		return Signed{}, jwtError(err)
	}
	now := v.window.now()
	if v.maxAge > 0 {
		if claims.IssuedAt == nil {
			return Signed{}, ErrMalformed
		}
		if now.Sub(claims.IssuedAt.Time) > v.maxAge+v.window.tolerance {
			return Signed{}, ErrStale
		}
	}
	if claims.ID == "" || !visibleASCII(claims.ID, MaxIDLen) {
		// No jti, no single use: see the file comment.
		return Signed{}, ErrMalformed
	}
	if v.body != nil {
		if _, err := v.body.Verify(h, body); err != nil {
			return Signed{}, err
		}
	}
	// The token is accepted until exp plus the leeway: the jti is
	// remembered that long.
	s := Signed{Replay: claims.ID, ReplayTTL: max(claims.ExpiresAt.Sub(now)+v.window.tolerance, time.Second)}
	if v.idJTI {
		s.ID = claims.ID
	}
	return s, nil
}

// jwtError maps golang-jwt's errors onto the fixed ones, so nothing of
// what was expected reaches the sender.
func jwtError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ErrStale
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return ErrMalformed
	}
	// A bad signature, an alg other than the pinned one, an unknown kid,
	// a wrong iss or aud.
	return ErrMismatch
}

// bearerToken is the front: exactly one Authorization value, "Bearer"
// (any case, RFC 9110 schemes are case-insensitive), one space and a
// token of three non-empty base64url segments (no padding), at most
// maxBearerToken bytes. An empty signature segment (alg none) never
// reaches the library.
func bearerToken(h http.Header) (string, error) {
	values := h["Authorization"]
	if len(values) == 0 || values[0] == "" {
		return "", ErrMissing
	}
	if len(values) > 1 {
		return "", ErrMalformed
	}
	return parseBearer(values[0])
}

// parseBearer reads "Bearer <token>" as bearerToken describes.
func parseBearer(value string) (string, error) {
	const scheme = "bearer "
	if len(value) <= len(scheme) || !strings.EqualFold(value[:len(scheme)], scheme) {
		return "", ErrMalformed
	}
	token := value[len(scheme):]
	if len(token) > maxBearerToken || !jwtSegments(token) {
		return "", ErrMalformed
	}
	return token, nil
}

// jwtSegments reports whether token is three non-empty runs of base64url
// characters joined by dots.
func jwtSegments(token string) bool {
	segments, run := 1, 0
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c == '.':
			if run == 0 {
				return false
			}
			segments, run = segments+1, 0
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			run++
		default:
			return false
		}
	}
	return segments == 3 && run > 0
}

// Locate: a JSON object whose type (and, with id_from json:, id) is a
// body field. Nothing from the headers is kept: Authorization is the
// credential itself.
func (v *JWT) Locate() Locator { return v.locator }

var _ Verifier = (*JWT)(nil)
