package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// bench holds what every phase shares.
type bench struct {
	rdb     redis.UniversalClient
	app     *relay.Appender
	sink    *sink
	pids    []int // the redis-server processes (one, or each node of a cluster)
	logger  *zap.Logger
	workers int // 0: the relay's default
	// orderKeys, when above 0, has the sink check each key's delivery
	// order (customerKey of the event's seq).
	orderKeys int
}

// newPhase is the sink's counting for a run over n events.
func (b *bench) newPhase(n int) *phase {
	p := newPhase(n, false)
	if b.orderKeys > 0 {
		p.trackOrder(b.orderKeys)
	}
	return p
}

// startRelay starts a relay with default settings (8 workers) on keys,
// delivering to the sink. Its goroutines carry the pprof label part=relay.
// It starts at the beginning of the stream (start all): the throughput and
// backlog runs read entries filled before the relay exists.
func (b *bench) startRelay(keys relay.Keys, name string) (*relay.Relay, error) {
	return b.startRelayWith(relay.Config{
		Name: name, Keys: keys, To: b.sink.url, Secret: secret, Consumer: "relaybench",
		Workers: b.workers, Start: relay.StartAll,
	})
}

// startRelayWith starts a relay with cfg on b's client.
func (b *bench) startRelayWith(cfg relay.Config) (*relay.Relay, error) {
	r, err := relay.New(b.rdb, cfg, b.logger.Named("relay."+cfg.Name))
	if err != nil {
		return nil, err
	}
	pprof.Do(context.Background(), pprof.Labels("part", "relay"), func(context.Context) { err = r.Start() })
	return r, err
}

func stopRelay(r *relay.Relay) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return r.Stop(ctx)
}

// waitFor polls cond every 2 ms until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// pendingCount is how many entries group holds unacknowledged on stream.
func (b *bench) pendingCount(ctx context.Context, stream, group string) int64 {
	p, err := b.rdb.XPending(ctx, stream, group).Result()
	if err != nil {
		return -1
	}
	return p.Count
}

type baselineResult struct {
	n               int
	elapsed         time.Duration
	cpu             cpuUse
	dupes, disorder int64 // naive loop only
}

func (r baselineResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// baseline reads n entries with 8 goroutines doing XREADGROUP COUNT 64
// BLOCK 100ms and one XACK per batch: the floor any relay pays.
func (b *bench) baseline(ctx context.Context, stream string, n int) (baselineResult, error) {
	const group, workers, count = "baseline", 8, 64
	if err := b.rdb.XGroupCreate(ctx, stream, group, "0").Err(); err != nil {
		return baselineResult{}, err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	errc := make(chan error, workers)
	c0 := takeCPU(b.pids...)
	start := time.Now()
	wait := b.consume(wctx, stream, group, "c", workers, count, func(msgs []redis.XMessage) error {
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		if err := b.rdb.XAck(wctx, stream, group, ids...).Err(); err != nil {
			return err
		}
		if got.Add(int64(len(ids))) >= int64(n) {
			once.Do(func() { close(done) })
		}
		return nil
	}, errc)
	var err error
	select {
	case <-done:
	case err = <-errc:
	case <-time.After(time.Duration(n/500+30) * time.Second):
		err = fmt.Errorf("baseline: %d of %d entries read before the deadline", got.Load(), n)
	case <-ctx.Done():
		err = ctx.Err()
	}
	res := baselineResult{n: n, elapsed: time.Since(start), cpu: cpuBetween(c0, takeCPU(b.pids...))}
	cancel()
	wait()
	return res, err
}

type tputResult struct {
	n, delivered, dupes, unknown int64
	disorder                     int64         // deliveries that came after a later event of their key
	elapsed, acked               time.Duration // until the sink saw all; until nothing was pending
	cpu                          cpuUse
}

func (r tputResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// throughput runs a relay over n pre-filled entries and times it until the
// sink has seen each of them. profile, if set, receives a CPU profile of it.
func (b *bench) throughput(ctx context.Context, keys relay.Keys, n int, profile func() func()) (tputResult, error) {
	return b.relayRun(ctx, relay.Config{
		Name: "tput", Keys: keys, To: b.sink.url, Secret: secret, Consumer: "relaybench",
		Workers: b.workers, Start: relay.StartAll,
	}, n, profile)
}

// relayRun starts a relay with cfg over n pre-filled entries and times it
// until the sink has seen each of them, then waits until its group has
// nothing pending. profile, if set, receives a CPU profile of it.
func (b *bench) relayRun(ctx context.Context, cfg relay.Config, n int, profile func() func()) (tputResult, error) {
	ph := b.newPhase(n)
	b.sink.phase.Store(ph)
	stopProfile := func() {}
	if profile != nil {
		stopProfile = profile()
	}
	c0 := takeCPU(b.pids...)
	start := time.Now()
	r, err := b.startRelayWith(cfg)
	if err != nil {
		stopProfile()
		return tputResult{}, err
	}
	var waitErr error
	select {
	case <-ph.done:
	case <-time.After(time.Duration(n/200+30) * time.Second):
		waitErr = fmt.Errorf("relay %s: the sink saw %d of %d events before the deadline", cfg.Name, ph.unique.Load(), n)
	case <-ctx.Done():
		waitErr = ctx.Err()
	}
	res := tputResult{n: int64(n), elapsed: time.Since(start)}
	res.cpu = cpuBetween(c0, takeCPU(b.pids...))
	stopProfile()
	stream := cfg.Keys.Stream()
	if waitErr == nil && !waitFor(ctx, 10*time.Second, func() bool { return b.pendingCount(ctx, stream, cfg.Name) == 0 }) {
		waitErr = fmt.Errorf("relay %s: %d entries still pending 10 s after the sink saw all", cfg.Name, b.pendingCount(ctx, stream, cfg.Name))
	}
	res.acked = time.Since(start)
	if err := stopRelay(r); err != nil && waitErr == nil {
		waitErr = err
	}
	res.delivered, res.dupes, res.unknown, res.disorder = ph.delivered.Load(), ph.dupes.Load(), ph.unknown.Load(), ph.disorder.Load()
	return res, waitErr
}

type latResult struct {
	sent, delivered, dupes, appendErrs int64
	sendTime                           time.Duration
	e2e, appendLat                     []time.Duration // sorted
	cpu                                cpuUse
}

// latency appends events at rate/s through relay.Appender for d while a
// relay delivers them; e2e latency is append start → sink received.
func (b *bench) latency(ctx context.Context, keys relay.Keys, rate int, d time.Duration) (latResult, error) {
	capN := int(float64(rate)*d.Seconds()*1.2) + rate
	ph := newPhase(capN, true)
	ph.expect(1 << 62)
	b.sink.phase.Store(ph)
	r, err := b.startRelay(keys, "lat")
	if err != nil {
		return latResult{}, err
	}
	defer stopRelay(r)
	// The relay creates its group on its first read; events before that
	// would still be delivered, but their latency would include start-up.
	if !waitFor(ctx, 10*time.Second, func() bool {
		g, err := b.rdb.XInfoGroups(ctx, keys.Stream()).Result()
		return err == nil && len(g) > 0
	}) {
		return latResult{}, errors.New("latency: the relay did not create its consumer group")
	}
	time.Sleep(50 * time.Millisecond) // the group exists; let its XREADGROUP block
	var res latResult
	appendLat := make([]time.Duration, capN)
	var appendErrs atomic.Int64
	var wg sync.WaitGroup
	c0 := takeCPU(b.pids...)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	startAll := time.Now()
	end := startAll.Add(d)
	seq := 0
	for now := range tick.C {
		if now.After(end) || seq >= capN || ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(seq int) {
			defer wg.Done()
			st := storedEvent("lat", seq)
			t0 := time.Now()
			st.ReceivedAt = t0
			ph.start[seq].Store(t0.UnixNano())
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if out, err := b.app.Append(actx, keys, time.Hour, st); err != nil || out != relay.Accepted {
				appendErrs.Add(1)
				return
			}
			appendLat[seq] = time.Since(t0)
		}(seq)
		seq++
	}
	tick.Stop()
	res.sendTime = time.Since(startAll)
	wg.Wait()
	res.sent = int64(seq)
	res.appendErrs = appendErrs.Load()
	ok := seq > 0
	ph.expect(int64(seq) - res.appendErrs)
	select {
	case <-ph.done:
	case <-time.After(30 * time.Second):
		ok = false
	case <-ctx.Done():
		return res, ctx.Err()
	}
	res.cpu = cpuBetween(c0, takeCPU(b.pids...))
	res.delivered, res.dupes = ph.unique.Load(), ph.dupes.Load()
	for i := range seq {
		if l := ph.lat[i].Load(); l > 0 {
			res.e2e = append(res.e2e, time.Duration(l))
		}
		if appendLat[i] > 0 {
			res.appendLat = append(res.appendLat, appendLat[i])
		}
	}
	slices.Sort(res.e2e)
	slices.Sort(res.appendLat)
	if !ok {
		return res, fmt.Errorf("latency: the sink saw %d of %d events", res.delivered, res.sent-res.appendErrs)
	}
	return res, nil
}

type memSample struct {
	at                 time.Duration
	rss, heap          int64
	delivered, pending int64
}

type memResult struct {
	n         int
	fill      time.Duration
	streamMem int64       // MEMORY USAGE of the stream
	samples   []memSample // samples[0] is before the relay starts
	delivered int64
	elapsed   time.Duration
	cpu       cpuUse
}

func (r memResult) rate() float64 { return float64(r.delivered) / r.elapsed.Seconds() }

func (r memResult) rss() (start, maxRSS, end int64) {
	start, end = r.samples[0].rss, r.samples[len(r.samples)-1].rss
	for _, s := range r.samples {
		maxRSS = max(maxRSS, s.rss)
	}
	return start, maxRSS, end
}

// backlog fills n small entries, then lets a relay work through them for d
// while it samples this process's RSS every second.
func (b *bench) backlog(ctx context.Context, keys relay.Keys, n int, d time.Duration) (memResult, error) {
	res := memResult{n: n}
	t0 := time.Now()
	if err := fillPipelined(ctx, b.rdb, keys.Stream(), "mem", n); err != nil {
		return res, fmt.Errorf("filling the backlog: %w", err)
	}
	res.fill = time.Since(t0)
	if xl := b.rdb.XLen(ctx, keys.Stream()).Val(); xl != int64(n) {
		return res, fmt.Errorf("backlog stream holds %d entries, want %d", xl, n)
	}
	res.streamMem, _ = b.rdb.MemoryUsage(ctx, keys.Stream(), 0).Result()
	ph := newPhase(0, false)
	b.sink.phase.Store(ph)
	// Give back what the fill's pipelines used, so the start is the
	// process at rest and growth is the relay's.
	runtime.GC()
	debug.FreeOSMemory()
	sample := func(at time.Duration) memSample {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return memSample{at: at, rss: rssBytes(), heap: int64(ms.HeapInuse),
			delivered: ph.delivered.Load(), pending: b.pendingCount(ctx, keys.Stream(), "mem")}
	}
	res.samples = append(res.samples, sample(0))
	c0 := takeCPU(b.pids...)
	start := time.Now()
	r, err := b.startRelay(keys, "mem")
	if err != nil {
		return res, err
	}
	tick := time.NewTicker(time.Second)
	for range tick.C {
		el := time.Since(start)
		res.samples = append(res.samples, sample(el))
		if el >= d-100*time.Millisecond || ctx.Err() != nil {
			break
		}
	}
	tick.Stop()
	res.elapsed = time.Since(start)
	res.delivered = ph.delivered.Load()
	res.cpu = cpuBetween(c0, takeCPU(b.pids...))
	if err := stopRelay(r); err != nil {
		return res, err
	}
	return res, ctx.Err()
}
