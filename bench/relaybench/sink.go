package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sink is the delivery target: a loopback net/http server that answers 200
// at once and counts what it receives for the current phase.
type sink struct {
	srv   *http.Server
	url   string
	phase atomic.Pointer[phase]
}

// phase counts one measurement's deliveries. Event ids end in "_<seq>";
// seq below n is tracked one by one (first deliveries, duplicates, and the
// latency from start[seq] when start is set).
type phase struct {
	n         int
	seen      []atomic.Bool
	start     []atomic.Int64 // unix ns the append of seq began; nil: no latency
	lat       []atomic.Int64 // ns from start to the sink, first delivery only
	delivered atomic.Int64   // every request
	unique    atomic.Int64
	dupes     atomic.Int64
	unknown   atomic.Int64   // id missing or out of range
	target    atomic.Int64   // done closes when unique reaches it
	last      []atomic.Int64 // per ordering key: 1 + the seq of its latest first delivery; nil: not checked
	disorder  atomic.Int64   // first deliveries that came after a later event of their key
	done      chan struct{}
	once      sync.Once
}

func newPhase(n int, latency bool) *phase {
	p := &phase{n: n, seen: make([]atomic.Bool, n), done: make(chan struct{})}
	if latency {
		p.start = make([]atomic.Int64, n)
		p.lat = make([]atomic.Int64, n)
	}
	p.target.Store(int64(n))
	if n == 0 {
		p.target.Store(-1) // count only
	}
	return p
}

// trackOrder has the phase check, for nkeys ordering keys (customerKey),
// that each key's events arrive in seq order.
func (p *phase) trackOrder(nkeys int) { p.last = make([]atomic.Int64, nkeys) }

// expect sets how many distinct events complete the phase.
func (p *phase) expect(n int64) {
	p.target.Store(n)
	if p.unique.Load() >= n {
		p.once.Do(func() { close(p.done) })
	}
}

func (p *phase) record(now time.Time, webhookID string) {
	p.delivered.Add(1)
	i := strings.LastIndexByte(webhookID, '_')
	seq, err := strconv.Atoi(webhookID[i+1:])
	if i < 0 || err != nil || seq < 0 || seq >= p.n {
		if p.n > 0 {
			p.unknown.Add(1)
		}
		return
	}
	if p.seen[seq].Swap(true) {
		p.dupes.Add(1)
		return
	}
	if p.last != nil {
		if prev := p.last[customerKey(seq, len(p.last))].Swap(int64(seq) + 1); prev > int64(seq)+1 {
			p.disorder.Add(1)
		}
	}
	if p.start != nil {
		if s := p.start[seq].Load(); s != 0 {
			p.lat[seq].Store(now.UnixNano() - s)
		}
	}
	if u := p.unique.Add(1); u == p.target.Load() {
		p.once.Do(func() { close(p.done) })
	}
}

func startSink() (*sink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + l.Addr().String() + "/wp-json/hookgate/v1/events"}
	s.phase.Store(newPhase(0, false))
	s.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := time.Now()
			_, _ = io.Copy(io.Discard, r.Body)
			s.phase.Load().record(now, r.Header.Get("Webhook-Id"))
			w.WriteHeader(http.StatusOK)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// Connection goroutines inherit the label: the CPU profile tells the
	// sink's share from the relay's.
	go pprof.Do(context.Background(), pprof.Labels("part", "sink"), func(context.Context) {
		_ = s.srv.Serve(l)
	})
	return s, nil
}

func (s *sink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}
