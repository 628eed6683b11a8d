package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

const (
	metaSecret      = "meta_e2e_app_secret"
	metaVerifyToken = "meta-e2e-verify-token-Qx7"
)

func metaGet(t *testing.T, c *caddy, path, query string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Base+path+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func metaSubscribe(token, challenge string) string {
	return url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {token}, "hub.challenge": {challenge}}.Encode()
}

// Meta end to end: the GET subscription answered 200 text/plain with the
// challenge only for the configured verify_token, 403 otherwise (and
// always without one configured), nothing stored; signed notifications
// stored, typed by their object; the verify token in no log line.
func TestMetaThroughCaddy(t *testing.T) {
	dir := t.TempDir()
	accessLog := filepath.Join(dir, "access.log")
	g := startGateway(t, fmt.Sprintf(`log {
		output file %s
		format json
	}
	webhook /meta meta {
		secret %s
		verify_token %s
	}
	webhook /meta-untokened meta {
		secret %s
	}`, accessLog, metaSecret, metaVerifyToken, metaSecret))
	const challenge = "1158201444"
	for _, tc := range []struct {
		name, path, query string
		status            int
		contentType, body string
	}{
		{"the right verify token gets the challenge", "/meta", metaSubscribe(metaVerifyToken, challenge), 200, "text/plain", challenge},
		{"a wrong verify token is a 403", "/meta", metaSubscribe("meta-e2e-verify-token-Qx8", challenge), 403, "application/json", `{"error":"subscription verification failed"}`},
		{"an escaped right token is the right token", "/meta", "hub.mode=subscribe&hub%2Everify_token=" + url.QueryEscape(metaVerifyToken) + "&hub.challenge=" + challenge, 200, "text/plain", challenge},
		{"a route without a verify token refuses every subscription", "/meta-untokened", metaSubscribe(metaVerifyToken, challenge), 403, "application/json", `{"error":"subscription verification failed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, reply := metaGet(t, g.caddy, tc.path, tc.query)
			g.checkHandshake(t, status, header, reply, tc.status, tc.contentType, tc.body)
		})
	}
	if status, _, _ := metaGet(t, g.caddy, "/meta", "foo=bar"); status != 405 {
		t.Errorf("a GET that is no subscription got %d, want 405", status)
	}
	if n := g.outcomes(t, "meta", "handshake"); n != 2 {
		t.Errorf("handshake outcome counted %v times, want 2", n)
	}
	if n := g.outcomes(t, "meta", "unauthorized"); n != 2 {
		t.Errorf("refused subscriptions counted %v times, want 2", n)
	}

	body := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","messages":[{"from":"16505551234","id":"wamid.1","timestamp":"` +
		fmt.Sprint(time.Now().Unix()) + `","type":"text","text":{"body":"hi"}}]},"field":"messages"}]}]}`
	h, err := sign.Sign("meta", metaSecret, []byte(body), time.Now(), "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, reply := g.post(t, "/meta", h, []byte(body)); status != 200 || !strings.Contains(reply, `"status":"accepted"`) {
		t.Fatalf("notification: %d %s", status, reply)
	}
	if status, _, reply := g.post(t, "/meta", h, []byte(body)); status != 200 || !strings.Contains(reply, `"status":"duplicate"`) {
		t.Fatalf("Meta's retry of it: %d %s", status, reply)
	}
	forged := http.Header{"Content-Type": {"application/json"}, "X-Hub-Signature-256": {"sha256=" + strings.Repeat("0", 64)}}
	if status, _, _ := g.post(t, "/meta", forged, []byte(body)); status != 401 {
		t.Fatalf("a forged notification got %d", status)
	}
	entries := g.stored(t)
	if len(entries) != 1 || entries[0].Values["type"] != "whatsapp_business_account" || entries[0].Values["body"] != body {
		t.Fatalf("stored %v", entries)
	}

	var logged []byte
	waitFor(t, 5*time.Second, "the access log's entries", func() bool {
		logged, _ = os.ReadFile(accessLog)
		return strings.Count(string(logged), "\n") >= 8
	})
	if strings.Contains(string(logged), metaVerifyToken) || strings.Contains(string(logged), url.QueryEscape(metaVerifyToken)) {
		t.Errorf("the verify token is in the access log:\n%s", logged)
	}
	if !strings.Contains(string(logged), "hub.verify_token=REDACTED") {
		t.Errorf("no access entry with the token redacted:\n%s", logged)
	}
}
