package relay

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/event"
)

// Relay reads one stream through its consumer group and delivers each
// event to the target, with durable retries, a breaker and a dead-letter
// stream. Nothing about an entry lives only in memory: until it is acked or
// dead-lettered it is pending in the group, and a crashed consumer's
// entries are reclaimed by another after ClaimAfter.
type Relay struct {
	cfg    Config
	rdb    redis.UniversalClient
	logger *zap.Logger
	// parts holds one partition's moves each, once known (ready closed):
	// every partition of every layout the stream was ingested with.
	parts    atomic.Pointer[[]*moves]
	ready    chan struct{}
	spread   sync.Once // starts the readers of partitions past the first
	sender   *sender
	breaker  *breaker
	limiter  *limiter
	backoff  backoff
	now      func() time.Time
	consumer string
	started  time.Time // when Start ran, where a new group begins
	// normalize builds the envelope; a test swaps in a faulty one.
	normalize func(event.Stored) (event.Envelope, error)
	// groupStart is where the relay's groups begin on every partition:
	// recorded once for the relay (Keys.Starts), so a partition whose
	// group is created later begins where the others did.
	groupStart string
	// heldBack throttles the warning about a group that holds retention.
	heldBack time.Time

	jobs   chan *job
	acks   chan *job      // delivered jobs, for the acker to finish
	ackers sync.WaitGroup // the acker
	// releasing counts the goroutines handing the workers entries that
	// finishing their heads released (handReleased).
	releasing sync.WaitGroup
	inflight  sync.Map // retry member -> the *job that holds it in this relay now
	stop      context.CancelFunc
	ctx       context.Context
	halt      sync.Once
	halted    chan struct{} // closed once every loop and worker has ended
	readers   sync.WaitGroup
	workers   sync.WaitGroup
}

// instances makes each Relay's consumer name unique within the process: a
// reloaded config starts its relay before the old one stops, and the two
// must not read each other's pending entries as their own.
var instances atomic.Int64

// New checks cfg and builds a relay; Start begins delivering.
func New(rdb redis.UniversalClient, cfg Config, logger *zap.Logger) (*Relay, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Relay{cfg: cfg, rdb: rdb, logger: logger, now: time.Now, normalize: event.Normalize}
	r.consumer = cfg.Consumer + "-" + strconv.FormatInt(instances.Add(1), 10)
	r.sender, err = newSender(cfg, func() time.Time { return r.now() })
	if err != nil {
		return nil, err
	}
	r.ready = make(chan struct{})
	r.breaker = newBreaker(cfg.Failures, cfg.Cooldown, func() time.Time { return r.now() })
	r.limiter = newLimiter(cfg.Rate, func() time.Time { return r.now() })
	r.backoff = backoff{base: cfg.BackoffBase, cap: cfg.BackoffCap, rand: rand.Float64}
	return r, nil
}

// Start starts the workers. It does not wait for Redis: the reader
// creates the consumer groups, so Caddy starts while Redis is down.
func (r *Relay) Start() error {
	r.ctx, r.stop = context.WithCancel(context.Background())
	r.started = r.now()

	r.jobs = make(chan *job, r.cfg.Workers)
	r.acks = make(chan *job, 4*r.cfg.Workers)
	r.ackers.Add(1)
	go r.acker()
	for range r.cfg.Workers {
		r.workers.Add(1)
		go r.work()
	}
	for name, loop := range map[string]func(){"read": r.read, "schedule": r.schedule, "reclaim": r.reclaim, "maintain": r.maintain, "layouts": r.watchLayouts} {
		r.readers.Add(1)
		go func() { defer r.readers.Done(); r.guard(name, loop) }()
	}
	return nil
}

// guard runs a background loop and starts it again after a panic: a bug
// in one loop must neither take Caddy down nor leave the relay half
// running.
func (r *Relay) guard(name string, loop func()) {
	for r.ctx.Err() == nil {
		panicked := func() (panicked bool) {
			defer func() {
				if p := recover(); p != nil {
					panicked = true
					r.logger.Error("relay loop panicked; restarting it", zap.String("loop", name),
						zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				}
			}()
			loop()
			return false
		}()
		if !panicked || !r.pause(time.Second) {
			return
		}
	}
}

// Stop stops reading and starting attempts, waits for deliveries in
// flight until ctx ends, and returns by then whatever Redis does; what was
// not finished stays pending in Redis for a consumer to reclaim.
func (r *Relay) Stop(ctx context.Context) error {
	if r.stop == nil {
		return nil
	}
	r.stop()
	r.halt.Do(func() {
		r.halted = make(chan struct{})
		go func() {
			// A reader can be inside a Redis call that ignores cancellation
			// (a blocked XREADGROUP on a hung server): wait for it here, not
			// past ctx.
			r.readers.Wait()
			r.workers.Wait()
			// The acks of deliveries made are sent before the relay
			// stops; the workers, who hand them over, are done. The
			// acker may hand released entries on until it ends.
			close(r.acks)
			r.ackers.Wait()
			r.releasing.Wait()
			r.sender.close()
			close(r.halted)
		}()
	})
	select {
	case <-r.halted:
		return nil
	case <-ctx.Done():
		return errors.New("relay " + r.cfg.Name + ": deliveries still in flight at stop; they stay pending")
	}
}

// hand gives a batch to the workers. Every job of the batch is marked
// held before the first is handed over: the rest may wait behind busy
// workers past claim_after, and reclaim must not take them meanwhile. A job
// this relay holds already is skipped.
func (r *Relay) hand(batch []*job) bool {
	fresh := batch[:0]
	for _, j := range batch {
		if _, held := r.inflight.LoadOrStore(j.member(), j); !held {
			fresh = append(fresh, j)
		}
	}
	if len(fresh) == 0 {
		return true
	}
	if q := fresh[0].m.admitting; q != nil {
		// The partition's admitter asks Redis which may go, while this
		// loop reads on.
		select {
		case q <- fresh:
			return true
		case <-r.ctx.Done():
			r.letGo(fresh)
			return false
		}
	}
	return r.give(fresh)
}

// give hands jobs to the workers.
func (r *Relay) give(jobs []*job) bool {
	for i, j := range jobs {
		select {
		case r.jobs <- j:
		case <-r.ctx.Done():
			r.letGo(jobs[i:])
			return false
		}
	}
	return true
}

// letGo forgets jobs this relay will not deliver: they stay pending.
func (r *Relay) letGo(jobs []*job) {
	for _, j := range jobs {
		r.inflight.CompareAndDelete(j.member(), j)
	}
}

// admitter admits and hands over the batches of one partition of an
// ordered relay, in the order they were read.
func (r *Relay) admitter(m *moves) {
	for {
		select {
		case batch := <-m.admitting:
			if !r.give(r.admit(batch)) {
				return
			}
		case <-r.ctx.Done():
			return
		}
	}
}

// admit keeps the jobs of an ordered relay that may be delivered now; the
// rest are parked in Redis and let go here. Should Redis fail, none is
// delivered: they stay pending and come back through the reclaim.
func (r *Relay) admit(jobs []*job) []*job {
	all := append([]*job(nil), jobs...)
	ctx, cancel := context.WithTimeout(r.ctx, moveTimeout)
	defer cancel()
	admitted, err := jobs[0].m.gate(ctx, jobs, r.now())
	if err != nil {
		if r.ctx.Err() == nil {
			r.logger.Warn("admitting ordered entries failed; they stay pending", zap.Error(err))
		}
		admitted = nil
	}
	kept := make(map[*job]bool, len(admitted))
	for _, j := range admitted {
		kept[j] = true
	}
	for _, j := range all {
		if !kept[j] {
			// Not Delete: a worker may hold it already, claimed by
			// the finish of its head the moment it was parked.
			r.inflight.CompareAndDelete(j.member(), j)
		}
	}
	return admitted
}

// pause waits after a Redis error, so a down Redis is not spun on.
func (r *Relay) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// read finds the stream's partitions, then reads each with a reader of
// its own: a Cluster may hold them on different masters, and one
// XREADGROUP must not span slots.
func (r *Relay) read() {
	if !r.discover() {
		return
	}
	// Once: after a panic this loop runs again, and the other readers
	// still run.
	r.spread.Do(func() {
		for _, m := range r.allParts()[1:] {
			r.readers.Add(1)
			go func() { defer r.readers.Done(); r.guard("read", func() { r.readPart(m) }) }()
		}
	})
	r.readPart(r.allParts()[0])
}

// readPart takes new entries from one partition and its replay stream. It
// blocks on the jobs channel when the workers are busy or the breaker
// holds them: that is the backpressure, and the entries wait in Redis.
func (r *Relay) readPart(m *moves) {
	streams := append(append([]string{}, m.streams...), ">", ">")
	r.createGroups(m, false)
	for r.ctx.Err() == nil {
		// While the breaker is open nothing is read: entries wait in Redis,
		// not in memory where another process would reclaim them.
		if r.breaker.cooling(r.ctx) != nil {
			return
		}
		res, err := r.rdb.XReadGroup(r.ctx, &redis.XReadGroupArgs{
			Group: r.cfg.Name, Consumer: r.consumer, Streams: streams,
			Count: int64(readBatch(r.cfg.Workers)), Block: time.Second,
		}).Result()
		if err == nil || errors.Is(err, redis.Nil) {
			m.grouped.Store(true)
		}
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if r.ctx.Err() == nil {
				r.logger.Warn("reading stream", zap.Error(err))
				if redis.HasErrorPrefix(err, "NOGROUP") {
					r.createGroups(m, m.grouped.Load())
				}
				r.pause(time.Second)
			}
			continue
		}
		now := r.now()
		var batch []*job
		for _, s := range res {
			for _, msg := range s.Messages {
				batch = append(batch, &job{m: m, stream: s.Stream, id: msg.ID, values: msg.Values, held: now})
			}
		}
		if !r.hand(batch) {
			return
		}
	}
}

// createGroups makes the consumer groups. The stream's group starts where
// cfg.Start says; the replay stream's at its beginning, since only replays
// for this relay are there. lost says the groups existed and are gone
// (Redis restarted without its data, or a group was deleted): everything
// in the stream is then newer than where the relay was, and "$" would skip
// what ingest stored in between.
func (r *Relay) createGroups(m *moves, lost bool) {
	for _, s := range m.streams {
		id := "0"
		if s == m.streams[0] && !lost {
			id = r.groupStart
		}
		err := r.rdb.XGroupCreateMkStream(r.ctx, s, r.cfg.Name, id).Err()
		switch {
		case err == nil && lost:
			r.logger.Warn("consumer group was gone; created it again at the start of the stream", zap.String("stream", s))
		case err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") && r.ctx.Err() == nil:
			r.logger.Warn("creating consumer group; retrying on the next read", zap.String("stream", s), zap.Error(err))
		}
	}
}

// tick is how often due retries are looked for.
func (r *Relay) tick() time.Duration {
	return min(max(r.cfg.BackoffBase/4, 20*time.Millisecond), time.Second)
}

// schedule hands over the retries that are due.
func (r *Relay) schedule() {
	if !r.known() {
		return
	}
	for r.pause(r.tick()) {
		for _, m := range r.allParts() {
			jobs, err := m.take(r.ctx, r.now(), r.cfg.Workers)
			if err != nil {
				if r.ctx.Err() == nil {
					r.logger.Warn("taking due retries", zap.Error(err))
				}
				continue
			}
			if !r.hand(jobs) {
				return
			}
		}
	}
}

// reclaim takes over entries a dead consumer left pending, and this
// relay's own that it lost track of. Entries waiting for a scheduled retry
// stay where they are. Each stream's scan goes on from where the last one
// stopped, so a long backlog cannot hide the entries behind it.
func (r *Relay) reclaim() {
	if !r.known() {
		return
	}
	every := max(r.cfg.ClaimAfter/2, 50*time.Millisecond)
	cursors := map[string]string{}
	for r.pause(every) {
		for _, m := range r.allParts() {
			if !r.reclaimPart(m, cursors) {
				return
			}
		}
	}
}

// reclaimPart is one round of reclaim over one partition's streams.
func (r *Relay) reclaimPart(m *moves, cursors map[string]string) bool {
	{
		for _, s := range m.streams {
			jobs, next, err := m.reclaim(r.ctx, s, cursors[s], r.cfg.ClaimAfter, r.cfg.Workers, r.now())
			if err != nil {
				if r.ctx.Err() == nil && !redis.HasErrorPrefix(err, "NOGROUP") {
					r.logger.Warn("reclaiming pending entries", zap.Error(err))
				}
				continue
			}
			cursors[s] = next
			for _, j := range jobs {
				r.logger.Info("reclaimed a pending entry", zap.String("entry", j.id), zap.String("stream", s))
			}
			if len(jobs) > 0 && !r.hand(jobs) {
				return false
			}
		}
	}
	return true
}

// maintain trims the streams by age and removes consumers that are gone.
func (r *Relay) maintain() {
	if !r.known() {
		return
	}
	every := min(max(min(r.cfg.Retention, r.cfg.StreamRetention)/10, time.Second), time.Minute)
	for r.pause(every) {
		for _, m := range r.allParts() {
			r.trim(m)
			r.removeIdleConsumers(m)
		}
	}
}

// removeIdleConsumers deletes consumers with nothing pending that have not
// been seen for a long while: processes that are gone.
func (r *Relay) removeIdleConsumers(m *moves) {
	idle := max(10*r.cfg.ClaimAfter, time.Hour)
	for _, s := range m.streams {
		consumers, err := r.rdb.XInfoConsumers(r.ctx, s, r.cfg.Name).Result()
		if err != nil {
			continue
		}
		for _, c := range consumers {
			if c.Name != r.consumer && c.Pending == 0 && c.Idle > idle {
				_ = m.forget(r.ctx, s, c.Name)
			}
		}
	}
}

// readBatch is how many entries one read takes: a few per worker, so the
// reader's round trips (the read, and an ordered relay's admit) are not
// what the workers wait for.
func readBatch(workers int) int { return min(max(4*workers, 16), 256) }
