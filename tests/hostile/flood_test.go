package hostile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
)

// capture is a request a sender made, as an attacker who saw it holds it.
type capture struct {
	path   string
	header http.Header
	body   []byte
}

// TestTenThousandMalformedRequests sends captured requests back mutated in
// every way an attacker can (fuzzed and dropped headers, truncated, grown
// and swapped bodies, other routes, methods, oversized bodies) from several
// connections at once. Nothing may be stored, nothing may get a 5xx or a
// 202, Caddy must not panic, and its goroutines and heap must come back to
// where they were.
func TestTenThousandMalformedRequests(t *testing.T) {
	g := startGateway(t, "", replaySite)
	now := time.Now()
	captures := []capture{
		{"/stripe", ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_flood"), now), []byte(ct.StripeEvent("evt_flood"))},
		{"/stripe-b", ct.StripeSigned(otherStripeSecret, ct.StripeEvent("evt_flood_b"), now), []byte(ct.StripeEvent("evt_flood_b"))},
		{"/tenant/header", withHeaders(ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_flood_t"), now), "X-Tenant", "acme"), []byte(ct.StripeEvent("evt_flood_t"))},
		{"/tenant/host", ct.StripeSigned(ct.StripeSecret, ct.StripeEvent("evt_flood_h"), now), []byte(ct.StripeEvent("evt_flood_h"))},
		{"/standard", ct.StandardSigned("Webhook", ct.StandardSecret, `{"type":"a.b"}`, "msg_flood", now), []byte(`{"type":"a.b"}`)},
		{"/standard", ct.StandardSigned("Svix", ct.StandardSecret, `{"type":"a.c"}`, "msg_flood_svix", now), []byte(`{"type":"a.c"}`)},
		{"/github", ct.GitHubSigned(`{"action":"flood"}`, "issues", "guid-flood"), []byte(`{"action":"flood"}`)},
		{"/wordpress", ct.WordPressSigned(`{"id":"wp-flood","event":"post.published"}`, "wp-flood", now), []byte(`{"id":"wp-flood","event":"post.published"}`)},
		{"/hmac", withHeaders(ct.HMACSigned(`{"o":"flood"}`, time.Time{}), "X-Id", "i1", "X-Type", "t.x"), []byte(`{"o":"flood"}`)},
		{"/hmac-ts", withHeaders(ct.HMACSigned(`{"o":"flood-ts"}`, now), "X-Id", "i2"), []byte(`{"o":"flood-ts"}`)},
		{"/token", http.Header{"Content-Type": {"application/json"}, "X-Token": {ct.TokenSecret}}, []byte(`{"o":"flood-token"}`)},
	}
	for _, c := range captures {
		if status, _, reply := g.Post(t, c.path, c.header, c.body); status != 202 {
			t.Fatalf("storing the capture on %s: %d %s", c.path, status, reply)
		}
	}
	stored := g.length(t)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	goroutinesBefore := g.goroutines(t)
	heapBefore := g.heap(t)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	const total, workers = 10000, 8
	var mu sync.Mutex
	statuses := map[int]int{}
	var bad []string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := w; i < total; i += workers {
				method, path, header, body, kind := mutate(rng, captures)
				req, _ := http.NewRequest(method, g.Base+path, bytes.NewReader(body))
				for k, v := range header {
					if k == "Host" {
						req.Host = v[0]
						continue
					}
					req.Header[k] = v
				}
				status := 0
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				statuses[status]++
				// A server may close on an oversized body before reading it
				// all, so the sender sees the reset before the 413.
				reset := err != nil && kind == "oversized body" && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
				if status == 0 && !reset || status >= 500 || status == 202 {
					bad = append(bad, fmt.Sprintf("%s %s %s → %d %v", kind, method, path, status, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	t.Logf("statuses: %v", statuses)
	if len(bad) > 0 {
		t.Fatalf("%d requests got a 202, a 5xx or no answer, e.g. %v", len(bad), bad[:min(5, len(bad))])
	}
	if n := g.length(t); n != stored {
		t.Fatalf("the flood stored %d events", n-stored)
	}
	if !g.Alive() || strings.Contains(g.Log.String(), "panic") {
		t.Fatal("caddy panicked or died")
	}
	ct.WaitFor(t, 10*time.Second, "goroutines to come back", func() bool {
		return g.goroutines(t) <= goroutinesBefore+5
	})
	heapAfter := g.heap(t)
	t.Logf("goroutines before %d; heap in use before %d KiB, after %d KiB", goroutinesBefore, heapBefore>>10, heapAfter>>10)
	if heapAfter > heapBefore+16<<20 {
		t.Fatalf("heap grew from %d to %d bytes", heapBefore, heapAfter)
	}
}

// mutate returns a request made from a random capture that no route may
// accept as a new event.
func mutate(rng *rand.Rand, captures []capture) (method, path string, h http.Header, body []byte, kind string) {
	c := captures[rng.IntN(len(captures))]
	method, path, h, body = http.MethodPost, c.path, c.header.Clone(), bytes.Clone(c.body)
	k := rng.IntN(12)
	if c.path == "/token" && (k == 2 || k == 3 || k == 4 || k == 9) {
		// A token signs nothing: whoever holds it may send any body, so
		// changing the body is no attack on this route.
		k = 10
	}
	switch k {
	case 0:
		kind = "fuzzed header value"
		names := make([]string, 0, len(h))
		for n := range h {
			names = append(names, n)
		}
		n := names[rng.IntN(len(names))]
		h.Set(n, randomText(rng, rng.IntN(200)))
	case 1:
		kind = "dropped header"
		for n := range h {
			if rng.IntN(2) == 0 {
				h.Del(n)
			}
		}
	case 2:
		kind = "truncated body"
		body = body[:rng.IntN(len(body))]
	case 3:
		kind = "grown body"
		body = append(body[:len(body)-1], []byte(`,"x":`+strconv.Itoa(rng.IntN(1000))+`}`)...)
	case 4:
		kind = "random body"
		body = []byte(randomText(rng, rng.IntN(4096)))
	case 5:
		kind = "another route"
		path = captures[rng.IntN(len(captures))].path
		if path == c.path {
			path = "/stripe"
			if c.path == "/stripe" {
				path = "/github"
			}
		}
	case 6:
		kind = "method"
		method = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch}[rng.IntN(4)]
	case 7:
		kind = "oversized body"
		if rng.IntN(10) == 0 {
			body = bytes.Repeat([]byte("a"), 1<<20+1+rng.IntN(1024))
		} else {
			body = bytes.Repeat([]byte("{"), 1+rng.IntN(100))
		}
	case 8:
		kind = "content type"
		h.Set("Content-Type", []string{"text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=\"", "application/jsonx"}[rng.IntN(5)])
	case 9:
		kind = "a byte flipped"
		i := rng.IntN(len(body))
		body[i] ^= byte(1 + rng.IntN(255))
	case 10:
		kind = "replay with fresh labels"
		for _, n := range []string{"X-Id", "X-Type", "Webhook-Id", "X-Event-Id", "X-Github-Delivery", "X-Github-Event", "X-Tenant", "Traceparent"} {
			h.Set(n, randomToken(rng))
		}
		// A host Caddy itself accepts: one it refuses (a '%', a ':')
		// never reaches the route, and Caddy's own DEBUG line for it
		// carries the request's headers (see README, Logs).
		h.Set("Host", strings.Trim(strings.Map(func(r rune) rune {
			if r == ':' || r == '%' || r == '_' {
				return 'x'
			}
			return r
		}, randomToken(rng)), ".-")+"h.example.test")
	default:
		kind = "deeply nested body"
		body = []byte(`{"id":"evt_x","d":` + strings.Repeat("[", 1000+rng.IntN(5000)))
	}
	return method, path, h, body, kind
}

func randomText(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x20 + rng.IntN(0x5f))
	}
	return string(b)
}

func randomToken(rng *rand.Rand) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:%"
	b := make([]byte, 1+rng.IntN(40))
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

var goroutineTotal = regexp.MustCompile(`goroutine profile: total (\d+)`)

// goroutines reads Caddy's goroutine count from its admin endpoint.
func (g *gateway) goroutines(t *testing.T) int {
	t.Helper()
	m := goroutineTotal.FindStringSubmatch(g.debug(t, "/debug/pprof/goroutine?debug=1"))
	if m == nil {
		t.Fatal("no goroutine total in the profile")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var heapInuse = regexp.MustCompile(`# HeapInuse = (\d+)`)

// heap reads Caddy's heap in use after a collection.
func (g *gateway) heap(t *testing.T) int64 {
	t.Helper()
	m := heapInuse.FindStringSubmatch(g.debug(t, "/debug/pprof/heap?debug=1&gc=1"))
	if m == nil {
		t.Fatal("no HeapInuse in the heap profile")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func (g *gateway) debug(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+g.AdminAddr+path, nil)
	status, _, body := ct.Do(t, req)
	if status != 200 {
		t.Fatalf("GET %s: %d", path, status)
	}
	return body
}
