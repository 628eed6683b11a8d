package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

func zoomSigned(t *testing.T, secret, body string, at time.Time) http.Header {
	t.Helper()
	h, err := sign.Sign("zoom", secret, []byte(body), at, "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func zoomToken(secret, plain string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil))
}

// Zoom end to end: endpoint.url_validation answered with plainToken and
// its encryptedToken only when its own signature verifies (else the route
// would MAC anything for anyone), under the secret that verified it, and
// never stored; events stored by the hash of their body, so Zoom's retry
// with a new timestamp is a duplicate.
func TestZoomThroughCaddy(t *testing.T) {
	const current, next = "zoom_e2e_secret_token", "zoom_e2e_next_token"
	g := startGateway(t, `webhook /zoom zoom {
		secret `+current+` `+next+`
	}`)
	now := time.Now()
	const plain = "qgg8vlvZRS6UYooatFL8Aw"
	validation := `{"payload":{"plainToken":"` + plain + `"},"event_ts":` + strconv.FormatInt(now.UnixMilli(), 10) + `,"event":"endpoint.url_validation"}`

	t.Run("an unsigned or forged validation is a 401 with no encryptedToken", func(t *testing.T) {
		for _, h := range []http.Header{
			{"Content-Type": {"application/json"}},
			zoomSigned(t, "not_the_secret_token", validation, now),
			zoomSigned(t, current, validation, now.Add(-10*time.Minute)),
		} {
			status, _, reply := g.post(t, "/zoom", h, []byte(validation))
			if status != 401 || strings.Contains(reply, "encryptedToken") || strings.Contains(reply, zoomToken(current, plain)) {
				t.Fatalf("%d %s", status, reply)
			}
		}
	})
	for _, secret := range []string{current, next} {
		t.Run("a validation signed with "+secret+" is answered with its token under that secret", func(t *testing.T) {
			status, header, reply := g.post(t, "/zoom", zoomSigned(t, secret, validation, now), []byte(validation))
			g.checkHandshake(t, status, header, reply, 200, "application/json",
				`{"plainToken":"`+plain+`","encryptedToken":"`+zoomToken(secret, plain)+`"}`)
		})
	}
	if n := g.outcomes(t, "zoom", "handshake"); n != 2 {
		t.Errorf("handshake outcome counted %v times, want 2", n)
	}

	started := `{"event":"meeting.started","event_ts":` + strconv.FormatInt(now.UnixMilli(), 10) + `,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","host_id":"x1yCzABCDEfg23HiJKl4mN"}}}`
	if status, _, reply := g.post(t, "/zoom", zoomSigned(t, current, started, now), []byte(started)); status != 200 || !strings.Contains(reply, `"status":"accepted"`) {
		t.Fatalf("event: %d %s", status, reply)
	}
	if status, _, reply := g.post(t, "/zoom", zoomSigned(t, current, started, now.Add(2*time.Second)), []byte(started)); status != 200 || !strings.Contains(reply, "duplicate") {
		t.Fatalf("Zoom's retry: %d %s", status, reply)
	}
	entries := g.stored(t)
	if len(entries) != 1 || entries[0].Values["type"] != "meeting.started" || entries[0].Values["body"] != started ||
		!strings.HasPrefix(entries[0].Values["id"].(string), "sha256:") {
		t.Fatalf("stored %v", entries)
	}
}

// With per-tenant secrets, a tenant's validation is answered under that
// tenant's secret only; another tenant's secret is a 401 with no token.
func TestZoomValidationUsesTheTenantsSecret(t *testing.T) {
	const acme, beta = "zoom_e2e_acme_token", "zoom_e2e_beta_token"
	g := startGateway(t, `webhook /zoom/* zoom {
		tenant {http.request.uri.path.1}
		tenant_secret acme `+acme+`
		tenant_secret beta `+beta+`
	}`)
	now := time.Now()
	const plain = "tenant-plain-token"
	validation := `{"payload":{"plainToken":"` + plain + `"},"event_ts":` + strconv.FormatInt(now.UnixMilli(), 10) + `,"event":"endpoint.url_validation"}`
	status, header, reply := g.post(t, "/zoom/acme", zoomSigned(t, acme, validation, now), []byte(validation))
	g.checkHandshake(t, status, header, reply, 200, "application/json", `{"plainToken":"`+plain+`","encryptedToken":"`+zoomToken(acme, plain)+`"}`)
	for _, path := range []string{"/zoom/beta", "/zoom/gamma"} {
		status, _, reply := g.post(t, path, zoomSigned(t, acme, validation, now), []byte(validation))
		if status != 401 || strings.Contains(reply, "encryptedToken") {
			t.Errorf("%s signed with acme's secret: %d %s", path, status, reply)
		}
	}
}
