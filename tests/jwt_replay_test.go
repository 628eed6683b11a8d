package tests

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// a bearer JWT does not sign the body; its single use (the jti
// as Signed.Replay) is all that keeps a captured token from carrying a
// second body. append.lua records the jti only when its event is
// *accepted*: a sender's retry of an event already stored, under a fresh
// token, is a duplicate and leaves that token unspent. Whoever captured
// the retry then posts any event under it until exp: 202, stored.
func TestAJWTRetryTokenCannotCarryAForgedEvent(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `webhook /jwt/wp jwt {
		secret jwt-wp-hs-secret
		algorithm HS256
		id_from json:id
		type_from json:event
	}`)
	now := time.Now()
	tok := func(jti string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": jti, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).SignedString([]byte("jwt-wp-hs-secret"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	event := `{"id":"wp_1","event":"post.published"}`
	retry := jsonBearer(tok("jti-retry"))
	steps := []struct {
		name   string
		header map[string][]string
		body   string
		want   int
	}{
		{"the sender's event is stored", jsonBearer(tok("jti-first")), event, 202},
		{"the sender retries it under a fresh token: a duplicate", retry, event, 200},
		{"a forged event under the retry's captured token", retry, `{"id":"forged_1","event":"user.deleted"}`, 401},
	}
	for _, s := range steps {
		status, _, reply := c.post(t, "/jwt/wp", s.header, []byte(s.body))
		if status != s.want {
			t.Errorf("%s: %d %s, want %d", s.name, status, strings.TrimSpace(reply), s.want)
		}
	}
	if n, _ := srv.Do("XLEN", "hookgate:{events}"); n != ":1" {
		t.Errorf("stream holds %s entries, want 1", n)
	}
}

// with RS256/ES256/EdDSA the route's `secret` only names the
// dedupe and replay scope; the signer is the key file. Two routes trusting
// the same key (the same WordPress site) under two scope names keep two
// replay namespaces: a token spent at one route is fresh at the other,
// and since the token does not sign the body, its capture carries any
// event there.
func TestAJWTSpentOnOneRouteIsSpentOnAnotherWithTheSameKey(t *testing.T) {
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
	c := startCaddy(t, srv.URL(), "", fmt.Sprintf(`webhook /jwt/posts jwt {
		secret wp-posts
		algorithm RS256
		key_file %[1]s
		id_from json:id
	}
	webhook /jwt/users jwt {
		secret wp-users
		algorithm RS256
		key_file %[1]s
		id_from json:id
	}`, keyFile))
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"jti": "jti-once", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	if status, _, reply := c.post(t, "/jwt/posts", jsonBearer(tok), []byte(`{"id":"post_1","type":"post.published"}`)); status != 202 {
		t.Fatalf("the genuine request: %d %s", status, reply)
	}
	status, _, reply := c.post(t, "/jwt/users", jsonBearer(tok), []byte(`{"id":"forged_2","type":"user.deleted"}`))
	if status != 401 {
		t.Errorf("the same token, spent, with a forged body at the other route of the same key: %d %s, want 401", status, strings.TrimSpace(reply))
	}
}

// the replay key is <source>:<Scopes[0]>:<hash>, the first scope
// only. During a rotation one HS256 route lists "old new" and another
// (same stream, so the config is accepted) lists "new": a token signed
// with the new key, spent at the first route, is fresh at the second.
func TestAJWTSpentDuringARotationIsSpentOnTheOtherRoute(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `webhook /jwt/a jwt {
		secret jwt-old-hs-secret jwt-new-hs-secret
		algorithm HS256
		id_from json:id
	}
	webhook /jwt/b jwt {
		secret jwt-new-hs-secret
		algorithm HS256
		id_from json:id
	}`)
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "jti-rot", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}).SignedString([]byte("jwt-new-hs-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if status, _, reply := c.post(t, "/jwt/a", jsonBearer(tok), []byte(`{"id":"a_1"}`)); status != 202 {
		t.Fatalf("genuine: %d %s", status, reply)
	}
	if status, _, reply := c.post(t, "/jwt/b", jsonBearer(tok), []byte(`{"id":"forged_b"}`)); status != 401 {
		t.Errorf("the spent token with a forged body at the other route: %d %s, want 401", status, strings.TrimSpace(reply))
	}
}
