package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

const relaySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// sink is the WordPress stand-in: a real HTTP server on loopback that
// verifies each delivery with the official library and counts events.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	events  map[string]int // Idempotency-Key -> deliveries
	bad     []string
	hold    chan struct{} // while non-nil, requests block until it closes
	entered chan struct{} // signalled when a held request arrives
}

func newSink(t *testing.T) *sink {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(relaySecret)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{events: map[string]int{}, entered: make(chan struct{}, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		hold := s.hold
		s.mu.Unlock()
		if hold != nil {
			s.entered <- struct{}{}
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		body, _ := io.ReadAll(r.Body)
		var env event.Envelope
		err := wh.Verify(body, r.Header)
		if err == nil {
			err = json.Unmarshal(body, &env)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.bad = append(s.bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.events[r.Header.Get("Idempotency-Key")]++
	}))
	t.Cleanup(func() {
		s.release()
		s.Close()
	})
	return s
}

func (s *sink) holdRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = make(chan struct{})
}

func (s *sink) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
}

// got returns how many distinct events arrived and any rejected delivery.
func (s *sink) got() (map[string]int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.events))
	for k, v := range s.events {
		out[k] = v
	}
	return out, append([]string(nil), s.bad...)
}

func relayOpts(to string, extra string) string {
	return fmt.Sprintf(`relay wp {
			to %s
			secret %s
			backoff 50ms 1s
			%s
		}`, to, relaySecret, extra)
}

const stripeRoute = `webhook /stripe stripe {
		secret whsec_test_secret
	}`

func TestIngestedEventsReachTheTargetSigned(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	c := startCaddy(t, srv.URL(), relayOpts(s.URL+"/wp-json/hookgate/v1/events", ""), stripeRoute)
	got := ingestAndAwait(t, s, 30, func(int) *caddy { return c })
	_, bad := s.got()
	if len(bad) > 0 {
		t.Fatalf("deliveries the official library rejects: %v", bad)
	}
	for k, v := range got {
		if v != 1 {
			t.Fatalf("%s delivered %d times", k, v)
		}
	}
}

func TestKilledWorkerIsReclaimedByTheNextProcess(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	s.holdRequests()
	opts := relayOpts(s.URL, "claim_after 1s\n\t\t\ttimeout 500ms")
	first := startCaddy(t, srv.URL(), opts, stripeRoute)
	body := stripeEvent("evt_killed")
	if status, _, reply := first.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("ingest: %d %s", status, reply)
	}
	select {
	case <-s.entered: // the delivery is in flight, held by the sink
	case <-time.After(15 * time.Second):
		t.Fatal("the first process never attempted the delivery")
	}
	first.Kill()
	s.release()

	startCaddy(t, srv.URL(), opts, stripeRoute)
	waitFor(t, 20*time.Second, "the next process to deliver the reclaimed entry", func() bool {
		got, _ := s.got()
		return got["stripe:default:evt_killed"] >= 1
	})
}

func TestReloadDuringASteadyStreamLosesNothing(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	opts := relayOpts(s.URL, "claim_after 1s\n\t\t\ttimeout 500ms")
	c := startCaddy(t, srv.URL(), opts, stripeRoute)

	var accepted []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			id := fmt.Sprintf("evt_%03d", i)
			body := stripeEvent(id)
			// Not c.post: t.Fatal may not be called from this goroutine,
			// and a failed request is simply not an accepted event.
			req, _ := http.NewRequest(http.MethodPost, c.Base+"/stripe", strings.NewReader(body))
			req.Header = stripeSigned(body, time.Now())
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 202 {
					accepted = append(accepted, id)
				}
			}
		}
	}()
	for i := range 3 {
		cfg := c.caddyfile(c.Port, srv.URL(), relayOpts(s.URL, fmt.Sprintf("claim_after 1s\n\t\t\ttimeout 500ms\n\t\t\tworkers %d", 4+i)), stripeRoute)
		caddytest.WatchConfig(cfg)
		req, _ := http.NewRequest(http.MethodPost, "http://"+c.AdminAddr+"/load", strings.NewReader(cfg))
		req.Header.Set("Content-Type", "text/caddyfile")
		if status, _, reply := do(t, req); status != 200 {
			t.Fatalf("reload %d: %d %s", i, status, reply)
		}
	}
	<-done
	if len(accepted) < 150 {
		t.Fatalf("only %d of 200 events accepted during reloads", len(accepted))
	}
	waitFor(t, 30*time.Second, "every accepted event at the target", func() bool {
		got, _ := s.got()
		for _, id := range accepted {
			if got["stripe:default:"+id] == 0 {
				return false
			}
		}
		return true
	})
}

func TestTwoProcessesShareAGroupWithoutDoubles(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	opts := relayOpts(s.URL, "")
	a := startCaddy(t, srv.URL(), opts, stripeRoute)
	b := startCaddy(t, srv.URL(), opts, stripeRoute)
	got := ingestAndAwait(t, s, 60, func(i int) *caddy { return []*caddy{a, b}[i%2] })
	for k, v := range got {
		if v != 1 {
			t.Fatalf("%s delivered %d times by two processes in one group", k, v)
		}
	}
}

// ingestAndAwait posts n distinct Stripe events, the i-th to via(i), and
// waits until the sink has seen each; it returns the deliveries per event.
func ingestAndAwait(t *testing.T, s *sink, n int, via func(i int) *caddy) map[string]int {
	t.Helper()
	for i := range n {
		body := stripeEvent(fmt.Sprintf("evt_%02d", i))
		if status, _, reply := via(i).post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
			t.Fatalf("ingest %d: %d %s", i, status, reply)
		}
	}
	waitFor(t, 15*time.Second, "every event at the target", func() bool {
		got, _ := s.got()
		return len(got) == n
	})
	got, _ := s.got()
	return got
}
