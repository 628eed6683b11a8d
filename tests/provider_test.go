package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// provider sends signed Stripe events to a Caddy without pause, as a busy
// provider does: each event until it is answered 202 or 200 (duplicate),
// sent again 100 ms after each 503, and only then the next event.
type provider struct {
	c      *caddy
	client *http.Client
	stop   chan struct{}
	done   sync.WaitGroup

	mu      sync.Mutex
	answers map[string][]int // event id -> the statuses it was answered, in order
	counts  map[int]int      // status -> answers
	bad     []string         // transport errors, other statuses, a 503 without Retry-After
	slowest time.Duration    // the longest a 503 took
}

// startProvider starts senders sending to c's /stripe, each its own events
// one after another; events are named evt_<tag>_<sender>_<n>.
func startProvider(t *testing.T, c *caddy, tag string, senders int) *provider {
	t.Helper()
	p := &provider{
		c:       c,
		client:  &http.Client{Timeout: 10 * time.Second},
		stop:    make(chan struct{}),
		answers: map[string][]int{},
		counts:  map[int]int{},
	}
	for s := range senders {
		p.done.Add(1)
		go p.send(fmt.Sprintf("evt_%s_%d", tag, s))
	}
	t.Cleanup(p.stopSending)
	return p
}

func (p *provider) send(prefix string) {
	defer p.done.Done()
	for n := 0; ; n++ {
		select {
		case <-p.stop:
			return
		default:
		}
		id := fmt.Sprintf("%s_%05d", prefix, n)
		body := stripeEvent(id)
		// A provider gives up on an event after a while; far longer than
		// any failover here.
		for deadline := time.Now().Add(40 * time.Second); ; {
			status := p.post(id, body)
			if status == 202 || status == 200 {
				break
			}
			if time.Now().After(deadline) {
				p.fail("%s was never stored", id)
				return
			}
			time.Sleep(100 * time.Millisecond) // the provider's retry pace
		}
	}
}

// post sends one attempt of the event and records its answer.
func (p *provider) post(id, body string) int {
	req, _ := http.NewRequest(http.MethodPost, p.c.Base+"/stripe", bytes.NewReader([]byte(body)))
	req.Header = stripeSigned(body, time.Now())
	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		p.fail("%s: %v", id, err)
		return 0
	}
	resp.Body.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[id] = append(p.answers[id], resp.StatusCode)
	p.counts[resp.StatusCode]++
	if resp.StatusCode == 503 {
		p.slowest = max(p.slowest, time.Since(start))
	}
	switch {
	case resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "":
		p.bad = append(p.bad, id+": 503 without Retry-After")
	case resp.StatusCode != 202 && resp.StatusCode != 200 && resp.StatusCode != 503:
		p.bad = append(p.bad, fmt.Sprintf("%s: status %d", id, resp.StatusCode))
	}
	return resp.StatusCode
}

func (p *provider) fail(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bad = append(p.bad, fmt.Sprintf(format, args...))
}

// stopSending lets each sender finish its event (until it is stored) and
// waits for them.
func (p *provider) stopSending() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.done.Wait()
}

// count is how many answers had status so far.
func (p *provider) count(status int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[status]
}

// stored are the events answered 202 or 200, each with its last answer.
func (p *provider) stored() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for id, answers := range p.answers {
		if last := answers[len(answers)-1]; last == 202 || last == 200 {
			out[id] = last
		}
	}
	return out
}

// problems are the answers no contract allows.
func (p *provider) problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bad...)
}

// checkStoredAndDelivered stops the provider and checks the contract of
// a failover: every answer was 202, 200 or 503 with Retry-After; every
// event answered 202 or 200 is in stream on rdb exactly once, the stream
// holds nothing else; and the relay delivered each of them to s, where a
// second delivery is only ever a repeat of the same webhook-id.
func checkStoredAndDelivered(t *testing.T, p *provider, rdb *redis.Client, stream string, s *sink) {
	t.Helper()
	p.stopSending()
	if bad := p.problems(); len(bad) > 0 {
		t.Fatalf("answers outside the contract: %v", bad)
	}
	stored := p.stored()
	entries, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatalf("reading %s on the new master: %v", stream, err)
	}
	inStream := map[string]int{}
	for _, e := range entries {
		id, _ := e.Values["id"].(string)
		inStream[id]++
	}
	var missing, twice, unknown []string
	for id := range stored {
		switch inStream[id] {
		case 0:
			missing = append(missing, fmt.Sprintf("%s (answered %v)", id, p.answers[id]))
		case 1:
		default:
			twice = append(twice, id)
		}
	}
	for id := range inStream {
		if _, ok := stored[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(twice) > 0 || len(unknown) > 0 {
		t.Fatalf("of %d stored events, %d are not on the new master: %v; stored twice: %v; in the stream but never answered 202/200: %v",
			len(stored), len(missing), missing, twice, unknown)
	}
	waitFor(t, 30*time.Second, fmt.Sprintf("the relay to deliver all %d stored events", len(stored)), func() bool {
		got, _ := s.got()
		for id := range stored {
			if got["stripe:default:"+id] == 0 {
				return false
			}
		}
		return true
	})
	got, rejected := s.got()
	if len(rejected) > 0 {
		t.Fatalf("deliveries the official library rejects: %v", rejected)
	}
	repeats := 0
	for key, n := range got {
		id, _ := strings.CutPrefix(key, "stripe:default:")
		if _, ok := stored[id]; !ok {
			t.Errorf("delivered %s, which was never stored", key)
		}
		repeats += n - 1
	}
	p.mu.Lock()
	slowest := p.slowest
	p.mu.Unlock()
	t.Logf("%d events stored (%d answered 202, then %d 503s, the slowest in %s, and %d 200 duplicates in all), %d delivered, %d repeated deliveries of one webhook-id",
		len(stored), p.count(202), p.count(503), slowest.Round(time.Millisecond), p.count(200), len(got), repeats)
}
