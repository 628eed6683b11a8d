package tests

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Secrets that travel as they are, in a header of every request.
const (
	gitlabToken  = "glt-log-secret-7Qm2vX9c"
	retiredToken = "glt-log-retired-Rk3pW8"
	bearerToken  = "Bearer bt-log-secret-Zc4nL6"
)

// TestNoSecretInLogs runs Caddy with its access log and its own log (the
// error log with the handlers' entries, at DEBUG) written as JSON to
// files, sends every provider good and forged requests, and reads the
// files: no configured secret, no token a request carried and no signature
// of a refused request may be in them, and every request still has its
// access entry, with a secret header's value replaced by REDACTED.
func TestNoSecretInLogs(t *testing.T) {
	for _, credentials := range []bool{false, true} {
		t.Run(fmt.Sprintf("log_credentials %v", credentials), func(t *testing.T) {
			dir := t.TempDir()
			accessLog, caddyLog := filepath.Join(dir, "access.log"), filepath.Join(dir, "caddy.log")
			globals := fmt.Sprintf("log default {\n\t\toutput file %s\n\t\tformat json\n\t\tlevel DEBUG\n\t}\n", caddyLog)
			if credentials {
				// Caddy then logs Authorization in clear: the bearer
				// route's token must be redacted by Hookgate itself. Trace
				// logs every handler's configuration as it runs.
				globals += "\tservers {\n\t\tlog_credentials\n\t\ttrace\n\t}\n"
			}
			c := startCaddyWithGlobals(t, globals, fmt.Sprintf(`
	log {
		output file %s
		format json
	}
	webhook /token token {
		secret %s %s
		header X-Gitlab-Token
		id_field id
	}
	webhook /bearer token {
		secret "%s"
		header Authorization
		id_field id
	}
	webhook /stripe stripe {
		secret %s
	}
	webhook /github github {
		secret %s
	}
	webhook /standard standard {
		secret %s
	}
	webhook /wordpress wordpress {
		secret %s
	}
	webhook /hmac hmac {
		secret %s
		header X-Signature
		prefix sha256=
		id_field id
	}
	respond "the WordPress site"`, accessLog, gitlabToken, retiredToken, bearerToken,
				stripeSecret, githubSecret, standardSecret, wordpressSecret, hmacSecret))

			now := time.Now()
			type sent struct {
				uri       string
				status    int
				secret    string // the header that carries a secret, "" for a MAC provider
				signature string // the header's value that must not reach Caddy's own log
			}
			var requests []sent
			send := func(method, path string, h http.Header, body string, want int, secret, signature string) {
				t.Helper()
				uri := fmt.Sprintf("%s?n=%d", path, len(requests))
				req, err := http.NewRequest(method, c.Base+uri, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header = h
				if status, _, reply := do(t, req); status != want {
					t.Fatalf("%s %s: %d %s, want %d", method, uri, status, reply, want)
				}
				requests = append(requests, sent{uri, want, secret, signature})
			}
			token := func(name, value string) http.Header {
				return http.Header{"Content-Type": {"application/json"}, name: {value}}
			}
			event := func(id string) string { return fmt.Sprintf(`{"id":%q,"type":"push"}`, id) }

			send("POST", "/token", token("X-Gitlab-Token", gitlabToken), event("tok-1"), 202, "X-Gitlab-Token", gitlabToken)
			send("POST", "/token", token("X-Gitlab-Token", retiredToken), event("tok-2"), 202, "X-Gitlab-Token", retiredToken)
			send("POST", "/token", token("X-Gitlab-Token", gitlabToken+"-typo"), event("tok-3"), 401, "X-Gitlab-Token", gitlabToken+"-typo")
			send("GET", "/token", token("X-Gitlab-Token", gitlabToken), "", 405, "X-Gitlab-Token", gitlabToken)
			send("POST", "/bearer", token("Authorization", bearerToken), event("bear-1"), 202, "Authorization", bearerToken)
			send("POST", "/bearer", token("Authorization", bearerToken+"x"), event("bear-2"), 401, "Authorization", bearerToken+"x")

			// The MAC providers: their headers carry no secret, so Caddy
			// logs its own entry; a refused request's signature must not
			// be repeated in Caddy's own log.
			stripeBody, githubBody := stripeEvent("evt_log_1"), `{"action":"opened"}`
			standardBody, wordpressBody, hmacBody := event("msg_log_1"), `{"event":"post.published"}`, event("hmac-log-1")
			signed := map[string]http.Header{
				"/stripe":    stripeSigned(stripeBody, now),
				"/github":    githubSigned(githubBody, "delivery-log-1"),
				"/standard":  standardSigned(standardBody, "msg_log_1", now),
				"/wordpress": wordpressSigned(wordpressBody, "wp-log-1", now),
				"/hmac": {
					"Content-Type": {"application/json"},
					"X-Signature":  {"sha256=" + hex.EncodeToString(mac([]byte(hmacSecret), hmacBody))},
				},
			}
			bodies := map[string]string{"/stripe": stripeBody, "/github": githubBody, "/standard": standardBody, "/wordpress": wordpressBody, "/hmac": hmacBody}
			signatureHeader := map[string]string{"/stripe": "Stripe-Signature", "/github": "X-Hub-Signature-256", "/standard": "Webhook-Signature", "/wordpress": "X-Wp-Signature", "/hmac": "X-Signature"}
			for _, path := range []string{"/stripe", "/github", "/standard", "/wordpress", "/hmac"} {
				h := signed[path]
				sig := h.Get(signatureHeader[path])
				send("POST", path, h, bodies[path], 202, "", sig)
				// The same signature over a body changed after signing.
				send("POST", path, h, bodies[path]+" ", 401, "", sig)
			}

			uris := make([]string, len(requests))
			for i, r := range requests {
				uris[i] = r.uri
			}
			entries := awaitAccessEntries(t, accessLog, uris)
			var caddyLogger string // the logger Caddy's own entries come from
			for _, r := range requests {
				if e, ok := entries[r.uri]; ok && r.secret == "" {
					caddyLogger = e.Logger
				}
			}
			for _, r := range requests {
				e, ok := entries[r.uri]
				if !ok {
					t.Errorf("no access entry for %s", r.uri)
					continue
				}
				if e.Status != r.status {
					t.Errorf("the access entry for %s has status %d, want %d", r.uri, e.Status, r.status)
				}
				if e.Logger != caddyLogger || e.Msg != "handled request" {
					t.Errorf("the access entry for %s comes from %q as %q, want %q as Caddy's own %q", r.uri, e.Logger, e.Msg, "handled request", caddyLogger)
				}
				if r.secret != "" {
					if got := e.Request.Headers[r.secret]; len(got) != 1 || got[0] != "REDACTED" {
						t.Errorf("the access entry for %s logs %s as %q, want [REDACTED]", r.uri, r.secret, got)
					}
				}
			}

			logs := map[string][]byte{"the access log": readFile(t, accessLog), "Caddy's log": readFile(t, caddyLog), "Caddy's output": []byte(c.Log.String())}
			// The file read is the one the handlers write to.
			if !bytes.Contains(logs["Caddy's log"], []byte(`"msg":"webhook rejected"`)) {
				t.Errorf("Caddy's log has no entry of the handler's refusals")
			}
			secrets := []string{gitlabToken, retiredToken, bearerToken, strings.TrimPrefix(bearerToken, "Bearer "),
				stripeSecret, githubSecret, standardSecret, strings.TrimPrefix(standardSecret, "whsec_"), wordpressSecret, hmacSecret}
			for _, r := range requests {
				if r.secret != "" {
					secrets = append(secrets, r.signature) // what the sender sent as the token, typos too
				}
			}
			for where, b := range logs {
				for _, s := range secrets {
					if bytes.Contains(b, []byte(s)) {
						t.Errorf("%s holds the secret %q", where, s)
					}
				}
			}
			for _, r := range requests {
				if r.secret == "" && r.status >= 400 {
					for _, where := range []string{"Caddy's log", "Caddy's output"} {
						if bytes.Contains(logs[where], []byte(r.signature)) {
							t.Errorf("%s holds the signature of the refused request %s", where, r.uri)
						}
					}
				}
			}
			if t.Failed() {
				t.Logf("access log:\n%s\nCaddy's log:\n%s", logs["the access log"], logs["Caddy's log"])
			}
		})
	}
}

// accessEntry is what the test reads of one access log line.
type accessEntry struct {
	Logger  string `json:"logger"`
	Msg     string `json:"msg"`
	Status  int    `json:"status"`
	Request struct {
		URI     string              `json:"uri"`
		Headers map[string][]string `json:"headers"`
	} `json:"request"`
}

// awaitAccessEntries waits for an entry of every URI in the access log
// (Caddy writes one after the response has gone) and returns them by URI.
func awaitAccessEntries(t *testing.T, path string, uris []string) map[string]accessEntry {
	t.Helper()
	var entries map[string]accessEntry
	waitFor(t, 10*time.Second, fmt.Sprintf("an entry for each of %d requests in the access log", len(uris)), func() bool {
		entries = map[string]accessEntry{}
		b, _ := os.ReadFile(path)
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e accessEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("an access log line is not JSON: %v\n%s", err, sc.Bytes())
			}
			entries[e.Request.URI] = e
		}
		for _, u := range uris {
			if _, ok := entries[u]; !ok {
				return false
			}
		}
		return true
	})
	return entries
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startCaddyWithGlobals is startCaddy with more global options, inserted
// at the top of the global block (logging, servers), and a Redis of its own.
func startCaddyWithGlobals(t *testing.T, globals, site string) *caddy {
	t.Helper()
	srv := redistest.Start(t)
	port := redistest.FreePort(t)
	return startCaddyWith(t, port, func(c *caddy) string {
		return strings.Replace(c.caddyfile(port, srv.URL(), "", site), "{\n", "{\n\t"+globals, 1)
	})
}
