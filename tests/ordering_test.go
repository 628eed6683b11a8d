package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// orderSink is a target that records, per customer, the events it
// acknowledged in the order it did, and any event that arrived while
// another of its customer was in flight. fail decides which attempts get a
// 503 (or, for poison, a 400).
type orderSink struct {
	*httptest.Server
	mu       sync.Mutex
	inflight map[string]int
	acked    map[string][]string
	overlaps []string
	attempts int
}

func newOrderSink(t *testing.T, answer func(id string) int) *orderSink {
	t.Helper()
	s := &orderSink{inflight: map[string]int{}, acked: map[string][]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env event.Envelope
		var obj struct {
			Customer string `json:"customer"`
		}
		if json.Unmarshal(body, &env) != nil || json.Unmarshal(env.Data, &obj) != nil || obj.Customer == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		key := obj.Customer
		s.mu.Lock()
		s.attempts++
		if s.inflight[key] > 0 {
			s.overlaps = append(s.overlaps, env.ID)
		}
		s.inflight[key]++
		s.mu.Unlock()
		code := answer(env.ID)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.inflight[key]--
		if code < 300 {
			s.acked[key] = append(s.acked[key], env.ID)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(s.Close)
	return s
}

// ackedOf is what the sink acknowledged for customer key.
func (s *orderSink) ackedOf(key string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acked[key])
}

func customerEvent(id, customer string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice","customer":%q}}}`, id, customer)
}

// postUntilStored sends one signed event to the first of cs that answers
// 202 or 200, so an event counts as ingested once a process stored it.
func postUntilStored(t *testing.T, cs []*caddy, id, customer string) {
	t.Helper()
	body := customerEvent(id, customer)
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		c := cs[i%len(cs)]
		req, _ := http.NewRequest(http.MethodPost, c.Base+"/stripe", strings.NewReader(body))
		req.Header = stripeSigned(body, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // a killed process: the provider tries again
		}
		resp.Body.Close()
		if resp.StatusCode == 202 || resp.StatusCode == 200 {
			return
		}
	}
	t.Fatalf("%s was never stored", id)
}

func orderedRelay(to, extra string) string {
	return fmt.Sprintf(`relay wp {
			to %s
			secret %s
			order_by data.object.customer
			claim_after 1s
			timeout 500ms
			max_attempts 1000
			backoff 20ms 200ms
			%s
		}`, to, relaySecret, extra)
}

// withoutRepeats drops an event delivered again right after itself: a
// process killed after the target's 2xx and before its ack delivers it
// once more (at least once), and the receiver dedupes it by webhook-id.
func withoutRepeats(ids []string) []string {
	return slices.Compact(slices.Clone(ids))
}

func TestEachCustomersEventsArriveInIngestOrderAcrossAKilledProcess(t *testing.T) {
	t.Run("one partition", func(t *testing.T) { orderAcrossAKilledProcess(t, "") })
	// The ordering key chooses the partition: each customer's events are
	// in one of them, gated by its queue there.
	t.Run("four partitions", func(t *testing.T) { orderAcrossAKilledProcess(t, partitioned(4)) })
}

func orderAcrossAKilledProcess(t *testing.T, layout string) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(12, 1525))
	s := newOrderSink(t, func(string) int {
		mu.Lock()
		fail, slow := rng.IntN(5) == 0, rng.IntN(20) == 0
		mu.Unlock()
		if slow {
			time.Sleep(30 * time.Millisecond) // a slow target
		}
		if fail {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	opts := layout + "\n\t\t" + orderedRelay(s.URL, "workers 4")
	cs := []*caddy{
		startCaddy(t, srv.URL(), opts, stripeRoute),
		startCaddy(t, srv.URL(), opts, stripeRoute),
		startCaddy(t, srv.URL(), opts, stripeRoute),
	}
	const keys, events = 50, 2000
	want := map[string][]string{}
	for i := range events {
		if i == events/3 {
			cs[0].Kill() // SIGKILL, mid-run: its held entries are reclaimed
			cs = cs[1:]
		}
		key := fmt.Sprintf("cus_%02d", i%keys)
		id := fmt.Sprintf("evt_%04d", i)
		postUntilStored(t, cs, id, key)
		want[key] = append(want[key], id)
	}
	waitFor(t, 120*time.Second, "every event acknowledged by the target", func() bool {
		for key, ids := range want {
			if len(withoutRepeats(s.ackedOf(key))) < len(ids) {
				return false
			}
		}
		return true
	})
	for key, ids := range want {
		if got := withoutRepeats(s.ackedOf(key)); !slices.Equal(got, ids) {
			t.Errorf("customer %s: acknowledged\n%v\nwant, in ingest order without gaps,\n%v", key, got, ids)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.overlaps) > 0 {
		t.Errorf("delivered while another event of the customer was in flight: %v", s.overlaps)
	}
	t.Logf("%d attempts for %d events", s.attempts, events)
}

func TestADeadHeadBlocksOnlyItsCustomerUntilReplayed(t *testing.T) {
	srv := redistest.Start(t)
	var poisoned sync.Map
	poisoned.Store("evt_a1", true)
	s := newOrderSink(t, func(id string) int {
		if _, ok := poisoned.Load(id); ok {
			return http.StatusBadRequest // permanent: dead-lettered at once
		}
		return http.StatusOK
	})
	c := startCaddy(t, srv.URL(), orderedRelay(s.URL, "on_dead block"), stripeRoute)
	cs := []*caddy{c}
	for _, e := range [][2]string{{"evt_a1", "cus_a"}, {"evt_a2", "cus_a"}, {"evt_b1", "cus_b"}, {"evt_a3", "cus_a"}, {"evt_b2", "cus_b"}} {
		postUntilStored(t, cs, e[0], e[1])
	}
	waitFor(t, 20*time.Second, "customer b delivered", func() bool { return len(s.ackedOf("cus_b")) == 2 })
	waitFor(t, 20*time.Second, "the dead letter", func() bool {
		var page adminDeadPage
		adminCall(t, c, http.MethodGet, "/hookgate/dead?relay=wp", "", &page)
		return len(page.Entries) == 1
	})
	if a := s.ackedOf("cus_a"); len(a) != 0 {
		t.Fatalf("customer a went on past its dead head: %v", a)
	}
	poisoned.Delete("evt_a1")
	if status, reply := adminCall(t, c, http.MethodPost, "/hookgate/dead/replay", `{"relay":"wp","all":true}`, nil); status != 200 {
		t.Fatalf("replay: %d %s", status, reply)
	}
	waitFor(t, 20*time.Second, "customer a delivered", func() bool { return len(s.ackedOf("cus_a")) == 3 })
	if a := s.ackedOf("cus_a"); !slices.Equal(a, []string{"evt_a1", "evt_a2", "evt_a3"}) {
		t.Fatalf("customer a after the replay: %v", a)
	}
}
