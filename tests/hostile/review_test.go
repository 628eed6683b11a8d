package hostile

// Regression tests from the security review of the hardened edge. Each
// TestReview… names a defect found against the built Caddy; they fail on
// the code they were written against and pass once it is fixed.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// The same signed bytes must never be accepted twice. A route's stream is
// not signed by anyone, and dedupe keys live beside their stream (one slot,
// one atomic step): two routes of the same signer (a secret or a
// dedupe_scope in common) on different streams would each store a capture.
// Such a configuration is refused, naming both streams.
func TestReviewSameSignedBytesOnAnotherStreamIsADuplicate(t *testing.T) {
	for _, tc := range []struct{ name, site string }{
		{"the same secret on a route with another stream", `
	webhook /stripe stripe {
		secret ` + ct.StripeSecret + `
	}
	webhook /stripe-archive stripe {
		secret ` + ct.StripeSecret + `
		stream archive
	}`},
		{"one rotation secret in common", `
	webhook /stripe stripe {
		secret whsec_new ` + ct.StripeSecret + `
	}
	webhook /stripe-archive stripe {
		secret ` + ct.StripeSecret + `
		stream archive
	}`},
		{"one dedupe_scope on routes with different streams", `
	webhook /shared-a stripe {
		secret ` + ct.StripeSecret + `
		dedupe_scope shared
	}
	webhook /shared-b stripe {
		secret ` + otherStripeSecret + `
		dedupe_scope shared
		stream other
	}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := validate(t, tc.site)
			if err == nil || !strings.Contains(out, "stores into stream") {
				t.Fatalf("caddy validate: %v\n%s\nwant the second stream refused", err, out)
			}
		})
	}
	t.Run("the same secret on routes of one stream is one namespace", func(t *testing.T) {
		g := startGateway(t, "", `
	webhook /stripe stripe {
		secret `+ct.StripeSecret+`
	}
	webhook /stripe-too stripe {
		secret `+ct.StripeSecret+`
	}`)
		body := ct.StripeEvent("evt_review_stream")
		if status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body)); status != http.StatusAccepted {
			t.Fatalf("first delivery: %d %s", status, reply)
		}
		if status, _, reply := g.Post(t, "/stripe-too", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body)); status != http.StatusOK {
			t.Fatalf("the same event on the other route: %d %s, want 200 duplicate", status, strings.TrimSpace(reply))
		}
	})
}

// validate runs caddy validate on a config with site in its site block.
func validate(t *testing.T, site string) (string, error) {
	t.Helper()
	srv := redistest.Start(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n\thookgate {\n\t\tredis %s\n\t}\n}\n\nhttp://:%d {\n%s\n}\n", srv.URL(), redistest.FreePort(t), site)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddyBin, "validate", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dedupe_ttl is the only replay guard inside the signed timestamp's
// tolerance. A dedupe_ttl shorter than the span a signature stays valid
// (tolerance both ways) lets the very same capture be accepted again once
// the key expired. Either the configuration is refused or the replay is a
// duplicate; today Caddy starts and the replay gets a second 202.
func TestReviewReplayAfterDedupeTTLWithinToleranceIsNotNew(t *testing.T) {
	site := `
	webhook /short stripe {
		secret ` + ct.StripeSecret + `
		dedupe_ttl 1s
	}`
	// Is the configuration refused? Then the defect is fixed that way.
	if out, err := validate(t, site); err != nil {
		if !strings.Contains(out, "dedupe_ttl") {
			t.Fatalf("validate failed without naming dedupe_ttl: %v\n%s", err, out)
		}
		return
	}
	g := startGateway(t, "", site)
	body := ct.StripeEvent("evt_review_ttl")
	h := ct.StripeSigned(ct.StripeSecret, body, time.Now())
	if status, _, reply := g.Post(t, "/short", h, []byte(body)); status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", status, reply)
	}
	time.Sleep(2500 * time.Millisecond)
	status, _, reply := g.Post(t, "/short", h, []byte(body))
	if status != http.StatusOK {
		t.Fatalf("the same capture 2.5 s later, well inside the 5m tolerance: %d %s, want 200 duplicate (or dedupe_ttl below the tolerance refused)", status, strings.TrimSpace(reply))
	}
	if n := g.length(t); n != 1 {
		t.Fatalf("stream holds %d entries, want 1", n)
	}
}

// README: a body must be I-JSON; RFC 7493 §2.1 requires UTF-8 and forbids
// escapes of lone surrogates. Such a body is accepted today, stored, and
// the envelope the relay delivers carries the bytes on: PHP's json_decode
// (the WordPress plugin) refuses it ("Malformed UTF-8", "Single unpaired
// UTF-16 surrogate"), so the event is dead-lettered instead of refused at
// the edge, and Go reads U+FFFD where other decoders fail.
func TestReviewBodiesThatAreNotIJSONAreRefused(t *testing.T) {
	g := startGateway(t, "", replaySite)
	now := time.Now()
	for _, tc := range []struct{ name, body string }{
		{"a lone high surrogate escape", `{"id":"evt_review_u1","type":"customer.created","data":{"object":{"name":"\ud800"}}}`},
		{"a lone low surrogate escape", `{"id":"evt_review_u2","type":"customer.created","data":{"object":{"name":"a\udc00b"}}}`},
		{"a byte that is not UTF-8 in a value", "{\"id\":\"evt_review_u3\",\"type\":\"customer.created\",\"data\":{\"object\":{\"name\":\"\xff\"}}}"},
		{"a truncated UTF-8 sequence in a key", "{\"id\":\"evt_review_u4\",\"type\":\"customer.created\",\"n\xc3\":1}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := g.length(t)
			status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, tc.body, now), []byte(tc.body))
			if status != http.StatusBadRequest {
				t.Errorf("%d %s, want 400", status, strings.TrimSpace(reply))
			}
			if n := g.length(t); n != before {
				t.Errorf("the stream grew by %d", n-before)
			}
		})
	}
}

// Member names that differ only in case are one name to encoding/json's
// struct decoding, which the normalizers use, and two names to everything
// else: ScanStrict lets {"email":A,"EMAIL":B} through, the envelope's
// actor.email (what user-sync links accounts by) says B while data, which
// the receiver's handlers read, says A. Either such a body is refused at
// the edge, or the envelope reads the body as every other decoder does.
func TestReviewCaseVariantKeysMeanOneThingToEveryReader(t *testing.T) {
	type delivered struct {
		Actor struct{ Email string }
		Data  map[string]any `json:"data"` // Stripe's data.object
	}
	var mu sync.Mutex
	var got []delivered
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var d delivered
		if json.Unmarshal(b, &d) == nil {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(target.Close)
	g := startGateway(t, "relay review {\n\t\t\tto "+target.URL+"\n\t\t\tsecret "+ct.StandardSecret+"\n\t\t\tbackoff 50ms 1s\n\t\t}", `
	webhook /stripe stripe {
		secret `+ct.StripeSecret+`
	}`)
	body := `{"id":"evt_review_case","type":"customer.created","data":{"object":{"object":"customer","id":"cus_1","email":"victim@example.com","EMAIL":"attacker@example.com"}}}`
	status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body))
	if status == http.StatusBadRequest {
		return // refused at the edge
	}
	if status != http.StatusAccepted {
		t.Fatalf("%d %s", status, reply)
	}
	ct.WaitFor(t, 15*time.Second, "the delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	mu.Lock()
	d := got[0]
	mu.Unlock()
	if want, _ := d.Data["email"].(string); d.Actor.Email != want {
		t.Fatalf("envelope actor.email %q but data.object.email %q: one signed body, two readings", d.Actor.Email, want)
	}
}

// README: "No secret reaches Caddy's logs". With automatic HTTPS on (the
// default, which TestNoSecretInLogs turns off) and the DEBUG level that
// servers { trace } needs, Caddy's http.auto_https logger prints the whole
// adjusted config at start-up. Secrets read at run time ({env.NAME}) stay
// placeholders there; a secret written into the config (a literal, or a
// {$NAME} the adapter replaced) cannot be kept out of that dump, so the
// route warns about it at start-up, naming no secret.
func TestReviewNoSecretInDebugLogWithAutomaticHTTPS(t *testing.T) {
	const tokenSecret = "review-env-token-9Fq2"
	const stripeSecret = "whsec_review_env_Lm7"
	const literal = "whsec_review_literal_Qz3"
	srv := redistest.Start(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "caddy.log")
	port, admin := redistest.FreePort(t), redistest.FreePort(t)
	cfg := fmt.Sprintf(`{
	admin 127.0.0.1:%d
	persist_config off
	log {
		output file %s
		level DEBUG
	}
	servers {
		trace
	}
	hookgate {
		redis %s
	}
}

http://127.0.0.1:%d {
	webhook /token token {
		secret {env.REVIEW_TOKEN}
		header X-Token
		id_field id
	}
	webhook /stripe stripe {
		secret {env.REVIEW_STRIPE}
	}
	webhook /literal stripe {
		secret %s
	}
}
`, admin, logPath, srv.URL(), port, literal)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir, "REVIEW_TOKEN="+tokenSecret, "REVIEW_STRIPE="+stripeSecret)
	var out ct.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := fmt.Sprintf("127.0.0.1:%d", port)
	ct.WaitFor(t, 30*time.Second, "caddy to serve", func() bool {
		select {
		case <-done:
			t.Fatalf("caddy exited:\n%s", out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", base, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	req, _ := http.NewRequest(http.MethodPost, "http://"+base+"/token", strings.NewReader(`{"id":"evt_review_log"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Token", tokenSecret)
	if status, _, reply := ct.Do(t, req); status != http.StatusAccepted {
		t.Fatalf("token event: %d %s", status, reply)
	}
	time.Sleep(200 * time.Millisecond)
	logs, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	logs = append(logs, out.String()...)
	for _, s := range []string{tokenSecret, stripeSecret} {
		if i := bytes.Index(logs, []byte(s)); i >= 0 {
			from := max(0, bytes.LastIndexByte(logs[:i], '\n')+1)
			line := logs[from:min(len(logs), from+200)]
			t.Errorf("the log holds the secret %q, in: %s…", s, line)
		}
	}
	if !bytes.Contains(logs, []byte("a secret is written into the config")) {
		t.Error("no start-up warning about the secret written into the config")
	}
}

// max_buffered bounds what bodies hold before anyone checked who sent
// them, "while small events keep getting through" (README). At 06f1651 a
// body's first buffer (4 KiB, or a pooled one of up to 64 KiB) was charged
// before its first byte arrived, so connections that sent headers and no
// body at all held the budget for read_timeout: 256 of them filled 1 MiB
// and every honest event got 503. 600 connections and a 1 s settle keep
// the test meaningful on a loaded machine. The seed field can pre-grow the
// pool with refused 40 KB chunked bodies.
func TestReviewConnectionsWithoutBodyBytesDoNotFillMaxBuffered(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget string
		seed   int // refused 40 KB chunked bodies sent first
		idle   int // connections that send headers only
	}{
		{"headers only", "1MiB", 0, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, "max_buffered "+tc.budget, `
	webhook /stripe stripe {
		secret `+ct.StripeSecret+`
		max_size 256KiB
	}`)
			addr := strings.TrimPrefix(g.Base, "http://")
			var wg sync.WaitGroup
			for range tc.seed {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial("tcp", addr)
					if err != nil {
						return
					}
					defer c.Close()
					chunk := strings.Repeat("a", 40000)
					fmt.Fprintf(c, "POST /stripe HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nStripe-Signature: t=1,v1=%s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
						addr, strings.Repeat("0", 64), len(chunk), chunk)
					_, _ = io.Copy(io.Discard, c)
				}()
			}
			wg.Wait()
			var idle []net.Conn
			t.Cleanup(func() {
				for _, c := range idle {
					c.Close()
				}
			})
			for range tc.idle {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(c, "POST /stripe HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", addr)
				idle = append(idle, c)
			}
			time.Sleep(time.Second) // every handler is waiting for its body
			body := ct.StripeEvent("evt_review_idle_" + strings.ReplaceAll(tc.name, " ", "_"))
			status, _, reply := g.Post(t, "/stripe", ct.StripeSigned(ct.StripeSecret, body, time.Now()), []byte(body))
			if status != http.StatusAccepted {
				t.Fatalf("an honest %d-byte event while %d connections sent no body byte: %d %s, want 202", len(body), tc.idle, status, strings.TrimSpace(reply))
			}
		})
	}
}
