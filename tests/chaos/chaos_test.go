// Package chaos runs two built Caddy processes on one real redis-server
// under load while it kills them and Redis with SIGKILL, takes the target
// down, and reloads: every event the gateway acknowledged must reach the
// target, and the share delivered more than once is reported.
//
//	go test ./tests/chaos/            # short, as CI runs it
//	go test ./tests/chaos/ -full      # minutes of load, more of every fault
package chaos

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

var full = flag.Bool("full", false, "run the long chaos schedule")

var caddyBin string

func TestMain(m *testing.M) { ct.Main(m, &caddyBin) }

const relaySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// target is the HTTP receiver: it counts deliveries by event id and
// can be made to fail, as a WordPress site that is down would.
type target struct {
	mu    sync.Mutex
	seen  map[string]int
	down  atomic.Bool
	total atomic.Int64
	srv   *http.Server
	addr  string
}

func startTarget(t *testing.T) *target {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{seen: map[string]int{}, addr: l.Addr().String()}
	tg.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if tg.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		// The key is <source>:<tenant>:<event id>, each part escaped;
		// the test's event ids hold no colon, so the last part is the id.
		key := r.Header.Get("Idempotency-Key")
		id := key[strings.LastIndexByte(key, ':')+1:]
		tg.mu.Lock()
		tg.seen[id]++
		tg.mu.Unlock()
		tg.total.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "processed"})
	})}
	go func() { _ = tg.srv.Serve(l) }()
	t.Cleanup(func() { tg.srv.Close() })
	return tg
}

func (tg *target) count(id string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.seen[id]
}

// sender posts signed Stripe events like a provider: it retries every
// answer that is not a 2xx, on either gateway, until one acknowledges.
type sender struct {
	gateways []*ct.Caddy
	client   *http.Client
	mu       sync.Mutex
	acked    []string // event ids answered 202 or 200
	refused  atomic.Int64
}

func (s *sender) send(t *testing.T, id string, deadline time.Time) {
	body := ct.StripeEvent(id)
	for i := 0; time.Now().Before(deadline); i++ {
		g := s.gateways[i%len(s.gateways)]
		req, _ := http.NewRequest(http.MethodPost, g.Base+"/stripe", strings.NewReader(body))
		for k, v := range ct.StripeSigned(ct.StripeSecret, body, time.Now()) {
			req.Header[k] = v
		}
		resp, err := s.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 202 || resp.StatusCode == 200 {
				s.mu.Lock()
				s.acked = append(s.acked, id)
				s.mu.Unlock()
				return
			}
			if resp.StatusCode != 503 {
				t.Errorf("event %s: unexpected %d", id, resp.StatusCode)
				return
			}
		}
		s.refused.Add(1)
		time.Sleep(50 * time.Millisecond) // a provider's retry backoff, not a wait for work
	}
	t.Errorf("event %s never acknowledged", id)
}

func relayBlock(to string) string {
	return fmt.Sprintf(`timeout 1s
		relay chaos {
			to http://%s/hook
			secret %s
			timeout 2s
			backoff 100ms 1s
			breaker 20 500ms
			max_attempts 100
			claim_after 3s
		}`, to, relaySecret)
}

const site = `
	webhook /stripe stripe {
		secret ` + ct.StripeSecret + `
	}`

func TestEveryAcknowledgedEventIsDelivered(t *testing.T) {
	rounds, pace := 1, 10*time.Millisecond
	if *full {
		rounds, pace = 10, time.Millisecond
	}
	srv := redistest.Start(t)
	tg := startTarget(t)
	opts := relayBlock(tg.addr)
	a := ct.Start(t, caddyBin, srv.URL(), opts, site)
	b := ct.Start(t, caddyBin, srv.URL(), opts, site)
	s := &sender{gateways: []*ct.Caddy{a, b}, client: &http.Client{Timeout: 5 * time.Second}}

	faults := []struct {
		name string
		do   func()
	}{
		{"kill -9 one Caddy and start it again", func() { a.Kill(); a.Restart(t) }},
		{"kill -9 redis-server, and start it again a second later", func() {
			srv.Stop()
			time.Sleep(time.Second) // the outage's length, not a wait for work
			srv.Restart()
		}},
		{"take the target down for a while", func() {
			tg.down.Store(true)
			time.Sleep(1500 * time.Millisecond) // the outage's length, not a wait for work
			tg.down.Store(false)
		}},
		{"reload the other Caddy", func() { b.Reload(t, opts, site, "/reloaded") }},
		{"kill -9 both Caddy processes at once", func() { a.Kill(); b.Kill(); a.Restart(t); b.Restart(t) }},
	}
	var seq atomic.Int64
	for round := range rounds {
		for _, f := range faults {
			// Load runs from before the fault until after it ends, so events
			// are in flight at every instant of it.
			var wg sync.WaitGroup
			var stop atomic.Bool
			deadline := time.Now().Add(90 * time.Second)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for !stop.Load() {
						s.send(t, fmt.Sprintf("evt_chaos_%d", seq.Add(1)), deadline)
						time.Sleep(pace) // a provider's pace, so a fault meets a steady stream
					}
				}()
			}
			time.Sleep(300 * time.Millisecond) // load before the fault
			f.do()
			time.Sleep(300 * time.Millisecond) // and after it
			stop.Store(true)
			wg.Wait()
			t.Logf("round %d: %s: %d acknowledged so far, %d sender retries", round, f.name, len(s.acked), s.refused.Load())
		}
	}

	ids := s.acked
	ct.WaitFor(t, 90*time.Second, "every acknowledged event to reach the target", func() bool {
		for _, id := range ids {
			if tg.count(id) == 0 {
				return false
			}
		}
		return true
	})
	unique := map[string]bool{}
	for _, id := range ids {
		unique[id] = true
	}
	delivered := tg.total.Load()
	dup := float64(delivered-int64(len(unique))) / float64(len(unique))
	t.Logf("acknowledged %d events (%d sender retries after a 503 or a dead connection); target got %d deliveries: duplicate rate %.2f%%",
		len(unique), s.refused.Load(), delivered, 100*dup)
}
