package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// jwtRoutes: the WordPress plugin's scheme (RS256 from a key file, iss
// and aud pinned, the body's id naming the event, and an HMAC of the body
// beside the token), and an HS256 route named by the jti.
func jwtRoutes(keyFile string) string {
	return fmt.Sprintf(`log
	webhook /jwt/wp jwt {
		secret jwt-wp-scope
		algorithm RS256
		key_file %s
		issuer https://wp.example
		audience hookgate
		id_from json:id
		type_from json:event
		body_signature X-Signature jwt-body-secret
	}
	webhook /jwt/hs jwt {
		secret jwt-hs-secret
		algorithm HS256
	}`, keyFile)
}

// Through the built Caddy: a token is accepted once, its jti refused
// under another event (401, nothing stored), the claims and both checks
// enforced, and the token never logged.
func TestJWTRoutesThroughCaddy(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keyFile := filepath.Join(t.TempDir(), "wp-jwt.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", jwtRoutes(keyFile))
	xlen := func() string {
		t.Helper()
		n, err := srv.Do("XLEN", "hookgate:{events}")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(n, ":")
	}

	now := time.Now()
	claims := func(jti string, kv ...any) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "https://wp.example", "aud": "hookgate", "jti": jti, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
		for i := 0; i+1 < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	token := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rs := func(c jwt.MapClaims) string { return token(jwt.SigningMethodRS256, key, c) }
	wp := func(tok, body string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok},
			"X-Signature": {sign.BodySignature("jwt-body-secret", []byte(body))}}
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims("jti-none")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	first := rs(claims("jti-1"))
	bodyA := `{"id":"wp_1","event":"post.published"}`
	bodyB := `{"id":"wp_2","event":"post.deleted"}`

	cases := []struct {
		name   string
		path   string
		header http.Header
		body   string
		status int
		reply  string
		xlen   string
	}{
		{"a token and body signature are accepted", "/jwt/wp", wp(first, bodyA), bodyA, 202, `{"status":"accepted","id":"wp_1"}`, "1"},
		{"the same request again is a duplicate", "/jwt/wp", wp(first, bodyA), bodyA, 200, `{"status":"duplicate","id":"wp_1"}`, "1"},
		{"the same jti with another event is a replay", "/jwt/wp", wp(first, bodyB), bodyB, 401, `{"error":"signature already used for another event"}`, "1"},
		{"a fresh token for that event is accepted", "/jwt/wp", wp(rs(claims("jti-2")), bodyB), bodyB, 202, `{"status":"accepted","id":"wp_2"}`, "2"},
		{"an expired token is refused", "/jwt/wp", wp(rs(claims("jti-3", "exp", now.Add(-10*time.Minute).Unix())), bodyA), bodyA, 401, `{"error":"timestamp outside tolerance"}`, "2"},
		{"a token for another audience is refused", "/jwt/wp", wp(rs(claims("jti-4", "aud", "other")), bodyA), bodyA, 401, `{"error":"signature mismatch"}`, "2"},
		{"alg none is refused", "/jwt/wp", wp(none, bodyA), bodyA, 401, `{"error":"malformed signature header"}`, "2"},
		{"HS256 signed with the public key is refused", "/jwt/wp", wp(token(jwt.SigningMethodHS256, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), claims("jti-5")), bodyA), bodyA, 401, `{"error":"signature mismatch"}`, "2"},
		{"a body signature under another secret is refused", "/jwt/wp", func() http.Header {
			h := wp(rs(claims("jti-6")), bodyA)
			h.Set("X-Signature", sign.BodySignature("guess", []byte(bodyA)))
			return h
		}(), bodyA, 401, `{"error":"signature mismatch"}`, "2"},
		{"a token without its body signature is refused", "/jwt/wp", func() http.Header {
			h := wp(rs(claims("jti-7")), bodyA)
			h.Del("X-Signature")
			return h
		}(), bodyA, 401, `{"error":"missing signature"}`, "2"},
		{"no token is refused", "/jwt/wp", http.Header{"Content-Type": {"application/json"}}, bodyA, 401, `{"error":"missing signature"}`, "2"},
		{"on a route named by the jti, a token is accepted", "/jwt/hs", jsonBearer(token(jwt.SigningMethodHS256, []byte("jwt-hs-secret"), claims("jti-hs"))), bodyA, 202, `{"status":"accepted","id":"jti-hs"}`, "3"},
		{"there, the same token with another body is the same event: nothing stored", "/jwt/hs", jsonBearer(token(jwt.SigningMethodHS256, []byte("jwt-hs-secret"), claims("jti-hs"))), bodyB, 200, `{"status":"duplicate","id":"jti-hs"}`, "3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := c.post(t, tc.path, tc.header, []byte(tc.body))
			if status != tc.status || strings.TrimSpace(reply) != tc.reply {
				t.Fatalf("%d %s, want %d %s", status, reply, tc.status, tc.reply)
			}
			if n := xlen(); n != tc.xlen {
				t.Fatalf("stream holds %s entries, want %s", n, tc.xlen)
			}
		})
	}
	waitFor(t, 5*time.Second, "the access entries", func() bool { return strings.Count(c.Log.String(), `"uri":"/jwt/`) >= len(cases) })
	if log := c.Log.String(); strings.Contains(log, first) || strings.Contains(log, strings.SplitN(first, ".", 2)[1]) {
		t.Error("a bearer token reached Caddy's log")
	} else if !strings.Contains(log, `"Authorization":["REDACTED"]`) {
		t.Error(`the access entries do not show Authorization as ["REDACTED"]`)
	}
}

func jsonBearer(token string) http.Header {
	return http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}
}

// A JWKS rewritten by the key owner: Caddy picks up the new key within
// about a second, without a reload, and refuses the removed one.
func TestJWTKeySetRotationThroughCaddy(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dir := t.TempDir()
	path := filepath.Join(dir, "jwks.json")
	publish := func(keys map[string]*ecdsa.PublicKey) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, ecJWKS(t, keys), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	publish(map[string]*ecdsa.PublicKey{"k1": &k1.PublicKey})
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", fmt.Sprintf("webhook /jwt/es jwt {\n\t\tsecret jwt-es-scope\n\t\talgorithm ES256\n\t\tjwks_file %s\n\t}", path))
	n := 0
	post := func(key *ecdsa.PrivateKey, kid string) int {
		t.Helper()
		n++
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"jti": fmt.Sprintf("es-%d", n), "exp": time.Now().Add(time.Minute).Unix()})
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"type":"key.test","n":%d}`, n)
		status, _, _ := c.post(t, "/jwt/es", jsonBearer(s), []byte(body))
		return status
	}
	if got := post(k1, "k1"); got != 202 {
		t.Fatalf("the published key: %d, want 202", got)
	}
	if got := post(k2, "k2"); got != 401 {
		t.Fatalf("a key not yet published: %d, want 401", got)
	}
	publish(map[string]*ecdsa.PublicKey{"k2": &k2.PublicKey})
	waitFor(t, 5*time.Second, "the rotated key accepted", func() bool { return post(k2, "k2") == 202 })
	if got := post(k1, "k1"); got != 401 {
		t.Errorf("the removed key: %d, want 401", got)
	}
}

// ecJWKS is a JSON Web Key Set of P-256 keys by kid (RFC 7518 6.2).
func ecJWKS(t *testing.T, keys map[string]*ecdsa.PublicKey) []byte {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		xy, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
			"x": base64.RawURLEncoding.EncodeToString(xy[1:33]), "y": base64.RawURLEncoding.EncodeToString(xy[33:])})
	}
	out, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Each jwt option is checked on its line; which key source the algorithm
// needs, and the key file itself, when the config loads.
func TestJWTOptionsAreCheckedWhenCaddyLoads(t *testing.T) {
	cases := []struct {
		name, option, want string
		adapt              bool // refused by the adapter, naming its line (5, or the option's last)
	}{
		{"alg none is refused", "algorithm none", `algorithm "none" is not accepted`, true},
		{"body_signature needs a secret", "body_signature X-Signature", "needs a header and at least one secret", true},
		{"id_from is jti, hash or json:", "id_from header:X-Id", "want jti, hash or json:", true},
		{"type_from is a body field", "type_from header:X-Type", "headers are not signed here", true},
		{"max_age is a duration", "max_age soon", "invalid duration", true},
		{"an unknown option", "colour red", `unknown jwt option "colour"`, true},
		{"body_signature is one header", "body_signature X-Signature a\n\t\tbody_signature X-Other b", "body_signature is one header", true},
		{"RS256 needs a key file", "algorithm RS256", "exactly one of key_file and jwks_file", false},
		{"HS256 takes no key file", "key_file /etc/hookgate/none.pem", "HS256 keys are the route's secrets", false},
		{"a key file that does not exist", "algorithm ES256\n\t\tkey_file /nonexistent/jwt.pem", "no such file", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "http://localhost:8080 {\n\twebhook /x jwt {\n\t\tsecret {env.HG_TEST_SECRET}\n\t\talgorithm HS256\n\t\t" + c.option + "\n\t}\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := "validate"
			if c.adapt {
				cmd = "adapt"
			}
			out, err := caddyCmd(t, []string{"HG_TEST_SECRET=s"}, cmd, "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("%s accepted:\n%s", cmd, cfg)
			}
			out = strings.ReplaceAll(out, `\"`, `"`)
			line := path + ":" + strconv.Itoa(5+strings.Count(c.option, "\n"))
			if !strings.Contains(out, c.want) || (c.adapt && !strings.Contains(out, line)) {
				t.Fatalf("error does not say %q (at %s for the adapter):\n%s", c.want, line, out)
			}
		})
	}
}
