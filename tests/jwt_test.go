package tests

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
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
