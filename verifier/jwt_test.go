package verifier

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The test keys, made once: RSA keys take a while.
var (
	jwtKeysOnce sync.Once
	jwtRSA      *rsa.PrivateKey
	jwtRSA2     *rsa.PrivateKey
	jwtEC       *ecdsa.PrivateKey
	jwtEC2      *ecdsa.PrivateKey
	jwtEd       ed25519.PrivateKey
)

func testJWTKeys(t testing.TB) {
	t.Helper()
	jwtKeysOnce.Do(func() {
		jwtRSA, _ = rsa.GenerateKey(rand.Reader, 2048)
		jwtRSA2, _ = rsa.GenerateKey(rand.Reader, 2048)
		jwtEC, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwtEC2, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, jwtEd, _ = ed25519.GenerateKey(rand.Reader)
	})
}

const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// jwtNow is the clock of the JWT tests.
var jwtNow = time.Unix(1700000000, 0)

func publicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// jwks is a JSON Web Key Set of public keys by kid, written as RFC 7517
// says (n/e, x/y, x), with golang-jwt's base64url.
func jwks(t testing.TB, keys map[string]any) []byte {
	t.Helper()
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		m := map[string]string{"kid": kid, "use": "sig"}
		switch k := k.(type) {
		case *rsa.PublicKey:
			m["kty"], m["alg"], m["n"], m["e"] = "RSA", "RS256", b64(k.N.Bytes()), b64([]byte{1, 0, 1})
		case *ecdsa.PublicKey:
			xy, err := k.Bytes() // 0x04 || x || y
			if err != nil {
				t.Fatal(err)
			}
			m["kty"], m["crv"], m["alg"], m["x"], m["y"] = "EC", "P-256", "ES256", b64(xy[1:33]), b64(xy[33:])
		case ed25519.PublicKey:
			m["kty"], m["crv"], m["alg"], m["x"] = "OKP", "Ed25519", "EdDSA", b64(k)
		}
		set.Keys = append(set.Keys, m)
	}
	out, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// claims are a valid token's: issued now, valid 5 minutes, with a jti.
func claims() jwt.MapClaims {
	return jwt.MapClaims{"iss": "https://wp.example", "aud": "hookgate", "jti": "jti-1",
		"iat": jwtNow.Unix(), "exp": jwtNow.Add(5 * time.Minute).Unix()}
}

// signToken is golang-jwt signing: the oracle every token here comes from.
func signToken(t testing.TB, m jwt.SigningMethod, key any, c jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func newTestJWT(t testing.TB, opts JWTOptions, secrets ...string) *JWT {
	t.Helper()
	v, err := NewJWT(Config{Secrets: secrets, Now: func() time.Time { return jwtNow }}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func TestJWTRules(t *testing.T) {
	testJWTKeys(t)
	dir := t.TempDir()
	rsaPEM := publicPEM(t, &jwtRSA.PublicKey)
	rsRoute := newTestJWT(t, JWTOptions{Algorithm: JWTRS256, KeyFile: writeFile(t, dir, "rs.pem", rsaPEM), Issuer: "https://wp.example", Audience: "hookgate"}, "scope")
	hsRoute := newTestJWT(t, JWTOptions{Algorithm: JWTHS256}, "hs-old-secret", "hs-secret")
	ageRoute := newTestJWT(t, JWTOptions{Algorithm: JWTHS256, MaxAge: time.Minute}, "hs-secret")
	esRoute := newTestJWT(t, JWTOptions{Algorithm: JWTES256, JWKSFile: writeFile(t, dir, "es.json", jwks(t, map[string]any{"es-1": &jwtEC.PublicKey}))}, "scope")
	edRoute := newTestJWT(t, JWTOptions{Algorithm: JWTEdDSA, JWKSFile: writeFile(t, dir, "ed.json", jwks(t, map[string]any{"ed-1": jwtEd.Public()}))}, "scope")
	bodyRoute := newTestJWT(t, JWTOptions{Algorithm: JWTHS256, BodySignatureHeader: "X-Signature", BodySignatureSecrets: []string{"body-secret"}}, "hs-secret")
	rs := func(c jwt.MapClaims) http.Header { return bearer(signToken(t, jwt.SigningMethodRS256, jwtRSA, c, "")) }
	hs := func(c jwt.MapClaims) http.Header {
		return bearer(signToken(t, jwt.SigningMethodHS256, []byte("hs-secret"), c, ""))
	}
	tol := DefaultTolerance
	body := []byte(`{"type":"post.published","id":"p1"}`)
	bodySigned := func(h http.Header, secret string) http.Header {
		h.Set("X-Signature", "sha256="+hexMAC(secret, string(body)))
		return h
	}
	noneToken := func(withSig bool) http.Header {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if withSig {
			s += "c2ln"
		}
		return bearer(s)
	}
	cases := []struct {
		name string
		v    *JWT
		h    http.Header
		want error
	}{
		{"an RS256 token from the key file is accepted", rsRoute, rs(claims()), nil},
		{"an HS256 token under the route's second secret is accepted", hsRoute, hs(claims()), nil},
		{"an HS256 token under the first (rotation) secret is accepted", hsRoute, bearer(signToken(t, jwt.SigningMethodHS256, []byte("hs-old-secret"), claims(), "")), nil},
		{"an ES256 token with its kid is accepted", esRoute, bearer(signToken(t, jwt.SigningMethodES256, jwtEC, claims(), "es-1")), nil},
		{"an EdDSA token with its kid is accepted", edRoute, bearer(signToken(t, jwt.SigningMethodEdDSA, jwtEd, claims(), "ed-1")), nil},
		{"a token without kid is tried against the set", esRoute, bearer(signToken(t, jwt.SigningMethodES256, jwtEC, claims(), "")), nil},
		{"exp within the leeway is accepted", rsRoute, rs(with(claims(), "exp", jwtNow.Add(-tol+time.Second).Unix())), nil},
		{"the bearer scheme in lower case is accepted", hsRoute, http.Header{"Authorization": {"bearer " + signToken(t, jwt.SigningMethodHS256, []byte("hs-secret"), claims(), "")}}, nil},

		{"an expired token is stale", rsRoute, rs(with(claims(), "exp", jwtNow.Add(-tol-time.Second).Unix())), ErrStale},
		{"a token not yet valid is stale", rsRoute, rs(with(claims(), "nbf", jwtNow.Add(tol+time.Minute).Unix())), ErrStale},
		{"a token issued in the future is stale", rsRoute, rs(with(claims(), "iat", jwtNow.Add(tol+time.Minute).Unix())), ErrStale},
		{"a token older than max_age is stale", ageRoute, hs(with(claims(), "iat", jwtNow.Add(-time.Minute-tol-time.Second).Unix())), ErrStale},
		{"a token within max_age is accepted", ageRoute, hs(with(claims(), "iat", jwtNow.Add(-time.Minute).Unix())), nil},
		{"max_age needs iat", ageRoute, hs(with(claims(), "iat", nil)), ErrMalformed},
		{"a wrong audience is refused", rsRoute, rs(with(claims(), "aud", "someone-else")), ErrMismatch},
		{"a wrong issuer is refused", rsRoute, rs(with(claims(), "iss", "https://evil.example")), ErrMismatch},
		{"no issuer is refused where one is configured", rsRoute, rs(with(claims(), "iss", nil)), ErrMalformed},
		{"a token without exp is refused", hsRoute, hs(with(claims(), "exp", nil)), ErrMalformed},
		{"a token without jti is refused", hsRoute, hs(with(claims(), "jti", nil)), ErrMalformed},
		{"a jti that cannot be an id is refused", hsRoute, hs(with(claims(), "jti", "has space")), ErrMalformed},

		{"alg none without a signature never reaches the library", rsRoute, noneToken(false), ErrMalformed},
		{"alg none with a signature is refused", rsRoute, noneToken(true), ErrMismatch},
		{"alg none on an HS256 route is refused", hsRoute, noneToken(true), ErrMismatch},
		{"HS256 signed with the RS256 public key's bytes is refused", rsRoute, bearer(signToken(t, jwt.SigningMethodHS256, rsaPEM, claims(), "")), ErrMismatch},
		{"HS256 signed with the public key's DER is refused", rsRoute, bearer(signToken(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&jwtRSA.PublicKey), claims(), "")), ErrMismatch},
		{"an RS256 token on an HS256 route is refused", hsRoute, rs(claims()), ErrMismatch},
		{"RS384 by the same key is refused: the algorithm is pinned", rsRoute, bearer(signToken(t, jwt.SigningMethodRS384, jwtRSA, claims(), "")), ErrMismatch},
		{"another RSA key is refused", rsRoute, bearer(signToken(t, jwt.SigningMethodRS256, jwtRSA2, claims(), "")), ErrMismatch},
		{"a wrong HS256 secret is refused", hsRoute, bearer(signToken(t, jwt.SigningMethodHS256, []byte("guess"), claims(), "")), ErrMismatch},
		{"a kid the set does not hold is refused", esRoute, bearer(signToken(t, jwt.SigningMethodES256, jwtEC, claims(), "es-2")), ErrMismatch},
		{"the right kid on another key is refused", esRoute, bearer(signToken(t, jwt.SigningMethodES256, jwtEC2, claims(), "es-1")), ErrMismatch},
		{"a number as kid is refused", esRoute, func() http.Header {
			tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims())
			tok.Header["kid"] = 1
			s, _ := tok.SignedString(jwtEC)
			return bearer(s)
		}(), ErrMismatch},

		{"no Authorization header is missing", hsRoute, http.Header{}, ErrMissing},
		{"Basic credentials are malformed", hsRoute, http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, ErrMalformed},
		{"two Authorization headers are malformed", hsRoute, http.Header{"Authorization": {"Bearer a.b.c", "Bearer a.b.c"}}, ErrMalformed},
		{"a token of two segments is malformed", hsRoute, bearer("eyJhbGciOiJIUzI1NiJ9.e30"), ErrMalformed},
		{"a padded segment is malformed", hsRoute, bearer("eyJhbGciOiJIUzI1NiJ9.e30=.c2ln"), ErrMalformed},
		{"a signature re-spelled in its unused bits is refused", rsRoute, func() http.Header {
			tok := signToken(t, jwt.SigningMethodRS256, jwtRSA, claims(), "")
			// 256 signature bytes leave 4 unused bits in the last character.
			last := strings.IndexByte(base64URLAlphabet, tok[len(tok)-1])
			return bearer(tok[:len(tok)-1] + string(base64URLAlphabet[last^1]))
		}(), ErrMalformed},

		{"body_signature: both checks passing is accepted", bodyRoute, bodySigned(hs(claims()), "body-secret"), nil},
		{"body_signature: a body HMAC under another secret is refused", bodyRoute, bodySigned(hs(claims()), "hs-secret"), ErrMismatch},
		{"body_signature: no body HMAC is missing", bodyRoute, hs(claims()), ErrMissing},
		{"body_signature: a good body HMAC does not save a bad token", bodyRoute, bodySigned(bearer(signToken(t, jwt.SigningMethodHS256, []byte("guess"), claims(), "")), "body-secret"), ErrMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.v.Verify(tc.h, body)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %+v, %v; want %v", s, err, tc.want)
			}
			if tc.want == nil && (s.ID != "jti-1" || s.Replay != "jti-1" || s.ReplayTTL <= 0) {
				t.Errorf("Signed = %+v, want the jti as id and replay value", s)
			}
		})
	}
}

func TestJWTReplayLastsUntilTheTokenExpires(t *testing.T) {
	v := newTestJWT(t, JWTOptions{Algorithm: JWTHS256}, "hs-secret")
	s, err := v.Verify(bearer(signToken(t, jwt.SigningMethodHS256, []byte("hs-secret"), claims(), "")), nil)
	if err != nil {
		t.Fatal(err)
	}
	// exp is 5 minutes away and accepted for the leeway after it.
	if want := 5*time.Minute + DefaultTolerance; s.ReplayTTL != want {
		t.Errorf("ReplayTTL = %v, want %v", s.ReplayTTL, want)
	}
}

func TestJWTIDSources(t *testing.T) {
	body := []byte(`{"id":"wp_42","type":"post.published"}`)
	tok := bearer(signToken(t, jwt.SigningMethodHS256, []byte("hs-secret"), claims(), ""))
	cases := []struct {
		name, idFrom string
		wantID       string
		wantLocator  Locator
	}{
		{"by default the jti names the event", "", "jti-1", Locator{TypeField: "type"}},
		{"json:id names it by the body's id", "json:id", "", Locator{IDField: "id", TypeField: "type"}},
		{"hash names it by the body's hash", "hash", "", Locator{TypeField: "type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestJWT(t, JWTOptions{Algorithm: JWTHS256, IDFrom: tc.idFrom}, "hs-secret")
			s, err := v.Verify(tok, body)
			if err != nil || s.ID != tc.wantID || s.Replay != "jti-1" {
				t.Fatalf("Verify = %+v, %v", s, err)
			}
			loc := v.Locate()
			if loc.IDField != tc.wantLocator.IDField || loc.TypeField != tc.wantLocator.TypeField || loc.ContentType != "application/json" {
				t.Errorf("Locate = %+v", loc)
			}
		})
	}
}

// A JWKS rewritten with a new key: the new key verifies once the file is
// looked at again (at most a second later), and the old one no longer
// does. A file that does not parse leaves the keys in place.
func TestJWTJWKSRotation(t *testing.T) {
	testJWTKeys(t)
	dir := t.TempDir()
	path := writeFile(t, dir, "jwks.json", jwks(t, map[string]any{"old": &jwtRSA.PublicKey}))
	now := jwtNow
	v, err := NewJWT(Config{Secrets: []string{"scope"}, Now: func() time.Time { return now }}, JWTOptions{Algorithm: JWTRS256, JWKSFile: path})
	if err != nil {
		t.Fatal(err)
	}
	c := func() jwt.MapClaims { return with(claims(), "iat", now.Unix(), "exp", now.Add(time.Minute).Unix()) }
	oldTok := func() http.Header { return bearer(signToken(t, jwt.SigningMethodRS256, jwtRSA, c(), "old")) }
	newTok := func() http.Header { return bearer(signToken(t, jwt.SigningMethodRS256, jwtRSA2, c(), "new")) }
	rewrite := func(data []byte) {
		t.Helper()
		tmp := writeFile(t, dir, "jwks.json.tmp", data)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		advance time.Duration
		rewrite []byte
		old     error
		new     error
	}{
		{"before the rotation only the old key verifies", 0, nil, nil, ErrMismatch},
		{"both keys published: both verify once looked at", 2 * time.Second, jwks(t, map[string]any{"old": &jwtRSA.PublicKey, "new": &jwtRSA2.PublicKey}), nil, nil},
		{"the old key removed: only the new one verifies", 2 * time.Second, jwks(t, map[string]any{"new": &jwtRSA2.PublicKey}), ErrMismatch, nil},
		{"within a second of a change the file is not looked at", 100 * time.Millisecond, jwks(t, map[string]any{"old": &jwtRSA.PublicKey}), ErrMismatch, nil},
		{"then it is", time.Second, nil, nil, ErrMismatch},
		{"a file that does not parse keeps the keys in place", 2 * time.Second, []byte(`{"keys":[`), nil, ErrMismatch},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.rewrite != nil {
				rewrite(st.rewrite)
			}
			now = now.Add(st.advance)
			if _, err := v.Verify(oldTok(), nil); !errors.Is(err, st.old) || (st.old == nil && err != nil) {
				t.Errorf("old key: %v, want %v", err, st.old)
			}
			if _, err := v.Verify(newTok(), nil); !errors.Is(err, st.new) || (st.new == nil && err != nil) {
				t.Errorf("new key: %v, want %v", err, st.new)
			}
		})
	}
}

// A PEM key file with two keys is a rotation: either verifies.
func TestJWTKeyFileWithTwoKeys(t *testing.T) {
	testJWTKeys(t)
	path := writeFile(t, t.TempDir(), "keys.pem", append(publicPEM(t, &jwtRSA.PublicKey), publicPEM(t, &jwtRSA2.PublicKey)...))
	v := newTestJWT(t, JWTOptions{Algorithm: JWTRS256, KeyFile: path}, "scope")
	for _, k := range []*rsa.PrivateKey{jwtRSA, jwtRSA2} {
		if _, err := v.Verify(bearer(signToken(t, jwt.SigningMethodRS256, k, claims(), "")), nil); err != nil {
			t.Error(err)
		}
	}
}

func TestJWTConfigurationsRefused(t *testing.T) {
	testJWTKeys(t)
	dir := t.TempDir()
	rsaPEM := writeFile(t, dir, "rs.pem", publicPEM(t, &jwtRSA.PublicKey))
	ecPEM := writeFile(t, dir, "ec.pem", publicPEM(t, &jwtEC.PublicKey))
	der, _ := x509.MarshalPKCS8PrivateKey(jwtRSA)
	private := writeFile(t, dir, "private.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallPEM := writeFile(t, dir, "small.pem", publicPEM(t, &small.PublicKey))
	privJWKS := writeFile(t, dir, "priv.json", []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"hs"}]}`))
	cases := []struct {
		name    string
		opts    JWTOptions
		secrets []string
		want    string
	}{
		{"no algorithm", JWTOptions{}, []string{"s"}, "algorithm is required"},
		{"alg none", JWTOptions{Algorithm: "none"}, []string{"s"}, "not accepted"},
		{"HS512", JWTOptions{Algorithm: "HS512"}, []string{"s"}, "not accepted"},
		{"HS256 with a key file", JWTOptions{Algorithm: JWTHS256, KeyFile: rsaPEM}, []string{"s"}, "HS256 keys are the route's secrets"},
		{"RS256 without a key source", JWTOptions{Algorithm: JWTRS256}, []string{"s"}, "exactly one of key_file and jwks_file"},
		{"RS256 with both key sources", JWTOptions{Algorithm: JWTRS256, KeyFile: rsaPEM, JWKSFile: rsaPEM}, []string{"s"}, "exactly one"},
		{"an EC key for RS256", JWTOptions{Algorithm: JWTRS256, KeyFile: ecPEM}, []string{"s"}, "is not a RS256 public key"},
		{"a private key in the key file", JWTOptions{Algorithm: JWTRS256, KeyFile: private}, []string{"s"}, "never a private key"},
		{"an RSA key under 2048 bits", JWTOptions{Algorithm: JWTRS256, KeyFile: smallPEM}, []string{"s"}, "at least 2048"},
		{"a symmetric key in the JWKS", JWTOptions{Algorithm: JWTRS256, JWKSFile: privJWKS}, []string{"s"}, "private or symmetric"},
		{"a key file that does not exist", JWTOptions{Algorithm: JWTES256, KeyFile: filepath.Join(dir, "nope.pem")}, []string{"s"}, "no such file"},
		{"HS256 without a secret", JWTOptions{Algorithm: JWTHS256}, nil, "no secret"},
		{"body_signature without a secret", JWTOptions{Algorithm: JWTHS256, BodySignatureHeader: "X-Signature"}, []string{"s"}, "no secret"},
		{"body_signature in the Authorization header", JWTOptions{Algorithm: JWTHS256, BodySignatureHeader: "authorization", BodySignatureSecrets: []string{"b"}}, []string{"s"}, "Authorization"},
		{"an id_from that is a header", JWTOptions{Algorithm: JWTHS256, IDFrom: "header:X-Id"}, []string{"s"}, "want jti, hash or json:"},
		{"a type_from that is a header", JWTOptions{Algorithm: JWTHS256, TypeFrom: "header:X-Type"}, []string{"s"}, "headers are not signed"},
		{"a negative max_age", JWTOptions{Algorithm: JWTHS256, MaxAge: -time.Second}, []string{"s"}, "max_age"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewJWT(Config{Secrets: tc.secrets}, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewJWT = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// FuzzBearer: the front accepts exactly "Bearer " (any case) and three
// non-empty base64url segments within the bound, as a plain reference
// reads it, and whatever it accepts golang-jwt can be handed.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer a.b.c", "bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "Bearer a..c", "Bearer a.b.", "Basic a.b.c",
		"Bearer  a.b.c", "Bearer a.b.c.d", "Bearer a=.b.c", "BEARER x.y.z", "Bearer ", "Bearer a.b.c\n"} {
		f.Add(s)
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{JWTHS256}))
	f.Fuzz(func(t *testing.T, value string) {
		token, err := parseBearer(value)
		want := referenceBearer(value)
		if (err == nil) != want {
			t.Fatalf("parseBearer(%q) = %q, %v; the reference says %v", value, token, err, want)
		}
		if err != nil {
			return
		}
		if !strings.EqualFold(value[:7], "Bearer ") || value[7:] != token {
			t.Fatalf("parseBearer(%q) = %q, not the rest of the value", value, token)
		}
		_, _ = p.Parse(token, func(*jwt.Token) (any, error) { return []byte("k"), nil })
	})
}

func referenceBearer(value string) bool {
	scheme, token, ok := strings.Cut(value, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || len(token) > maxBearerToken {
		return false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if part == "" || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}
