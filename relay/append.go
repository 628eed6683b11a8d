package relay

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
)

//go:embed lua/append.lua
var appendLua string

var appendScript = redis.NewScript(appendLua)

// ErrUnavailable means the event may not be stored: Redis failed or did not
// answer within the bound. The sender must be told to retry.
var ErrUnavailable = errors.New("event store unavailable")

// Outcome is what an append did.
type Outcome int

const (
	// Accepted means the event was appended to the stream just now.
	Accepted Outcome = iota + 1
	// Duplicate means the dedupe key was already set: stored earlier.
	Duplicate
	// Replayed means the event's replay value already named another
	// event: nothing was stored, and the sender must be refused.
	Replayed
)

// Appender dedupes and appends events. Concurrent appends are coalesced into
// one script call per stream and round trip, so Redis does far less work per
// event under load, while a lone request is sent at once. No caller hears
// Accepted before its own event is in the stream.
type Appender struct {
	rdb      redis.UniversalClient
	bound    time.Duration
	maxBatch int
	queue    chan *appendReq
	stop     chan struct{}
	done     sync.WaitGroup
	// durability is waited for after every script call; held, when set,
	// fails every append until Release (the server cannot yet be known
	// to support it).
	durability Durability
	held       atomic.Pointer[error]
}

type appendReq struct {
	keys  Keys
	dedup Dedupe
	ttl   time.Duration
	event event.Stored // a copy, so that the caller's need not escape to the heap
	// follows marks the events of a batch after its first, which share
	// its replay value: a replay refuses the whole batch.
	follows bool
	timer   *time.Timer // AppendWithin's bound, kept with the pooled request
	reply   chan appendReply
}

type appendReply struct {
	outcome Outcome
	err     error
}

var reqPool = sync.Pool{New: func() any { return &appendReq{reply: make(chan appendReply, 1)} }}

// NewAppender starts flushers goroutines that send batches of at most
// maxBatch events; bound caps how long one batch may take in Redis.
func NewAppender(rdb redis.UniversalClient, bound time.Duration, flushers, maxBatch int) *Appender {
	return NewDurableAppender(rdb, bound, flushers, maxBatch, Durability{})
}

// NewDurableAppender is NewAppender that, after each script call, waits on
// the same connection for d, once per batch. A batch whose wait falls short
// answers ErrUnavailable for each event it accepted (they may be stored, and
// the sender's retry is then a duplicate); a duplicate was stored before, so
// it is answered as such without regard to the wait. With a Cluster client
// the script and its wait go to the master that owns the stream's slot, on
// one connection. bound must leave room for d.Timeout.
func NewDurableAppender(rdb redis.UniversalClient, bound time.Duration, flushers, maxBatch int, d Durability) *Appender {
	a := &Appender{
		rdb:        rdb,
		bound:      bound,
		maxBatch:   maxBatch,
		queue:      make(chan *appendReq, flushers*maxBatch),
		stop:       make(chan struct{}),
		durability: d,
	}
	for range flushers {
		a.done.Add(1)
		go a.flush()
	}
	return a
}

// Hold makes every append fail with ErrUnavailable, wrapping err, until
// Release: for a durability the server is not yet known to support.
func (a *Appender) Hold(err error) { a.held.Store(&err) }

// Release lets appends through again after Hold.
func (a *Appender) Release() { a.held.Store(nil) }

// heldErr is the error of Hold, or nil.
func (a *Appender) heldErr() error {
	if p := a.held.Load(); p != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, *p)
	}
	return nil
}

// Close stops the flushers after the batches in flight have been answered.
func (a *Appender) Close() {
	close(a.stop)
	a.done.Wait()
}

// Dedupe says what makes an event a duplicate: its id seen before in any of
// the scopes (one per secret of the route that verified it, so adding a
// rotation secret keeps what the old one stored). A new event is recorded
// in every scope.
type Dedupe struct {
	Scopes []string // not empty; shared, never modified
	ID     string
	// Replay, when set, is a signed value the sender never signs twice
	// (a JWT's jti): a second event under it is Replayed. It is
	// remembered for ReplayTTL, rounded up to a second, or for the dedupe
	// TTL when ReplayTTL is not above 0. Its key is the stream's and the
	// value's alone, not the signer's: routes that trust one issuer under
	// different secrets (a rotation, a key file) share it.
	Replay    string
	ReplayTTL time.Duration
	// ReplayOwner is what Replay was signed for; empty means this event
	// (its first dedupe key). A batch names its whole body.
	ReplayOwner string
	// Queues are the ordering queues (Keys.Queue) a new event's entry id
	// is pushed to, in the script that appends it: one per relay with
	// order_by that gives the event a key.
	Queues []string
	// Elsewhere are the event's dedupe keys in the partitions other recent
	// layouts of the stream would have put it in, and ElsewhereOnce its
	// one-time key there, as key, owner pairs (Placement.Place): checked
	// before the append, set after it.
	Elsewhere, ElsewhereOnce []string
}

// DefaultScopes is the scope Append records events in.
var DefaultScopes = []string{"n-default"}

// Append stores e unless e.ID was seen in DefaultScopes.
func (a *Appender) Append(ctx context.Context, keys Keys, ttl time.Duration, e *event.Stored) (Outcome, error) {
	return a.AppendAs(ctx, keys, ttl, e, Dedupe{Scopes: DefaultScopes, ID: e.ID})
}

// AppendAs stores e unless d names a duplicate. It returns ErrUnavailable
// when Redis fails or ctx ends first; then the event may or may not have been
// stored, and what e's fields point to (e.Body, e.Header) may still be read
// by a flusher: the caller must not reuse that memory. *e itself is copied.
func (a *Appender) AppendAs(ctx context.Context, keys Keys, ttl time.Duration, e *event.Stored, d Dedupe) (Outcome, error) {
	return a.AppendWithin(ctx, 0, keys, ttl, e, d)
}

// AppendWithin is AppendAs bounded, when within > 0, to within from now
// as if ctx had that deadline, without deriving a context per event: a
// context.WithTimeout costs five allocations and a timer of its own, while
// a pooled request keeps its timer from one event to the next.
func (a *Appender) AppendWithin(ctx context.Context, within time.Duration, keys Keys, ttl time.Duration, e *event.Stored, d Dedupe) (Outcome, error) {
	if len(d.Scopes) == 0 {
		return 0, errors.New("append: no dedupe scope")
	}
	if err := a.heldErr(); err != nil {
		return 0, err
	}
	if len(d.Elsewhere)+len(d.ElsewhereOnce) > 0 {
		return a.appendAcross(ctx, within, keys, ttl, e, d)
	}
	req := reqPool.Get().(*appendReq)
	req.keys, req.ttl, req.event, req.dedup = keys, ttl, *e, d
	var expired <-chan time.Time
	if within > 0 {
		if req.timer == nil {
			req.timer = time.NewTimer(within)
		} else {
			req.timer.Reset(within)
		}
		expired = req.timer.C
	}
	select {
	case a.queue <- req:
	case <-ctx.Done():
		a.release(req)
		return 0, fmt.Errorf("%w: queue full: %w", ErrUnavailable, ctx.Err())
	case <-expired:
		a.release(req)
		return 0, fmt.Errorf("%w: queue full: %w", ErrUnavailable, context.DeadlineExceeded)
	case <-a.stop:
		a.release(req)
		return 0, fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	// The flusher owns req until it replies into the buffered channel; a
	// request given up on is left to the collector, which keeps the pool
	// clean.
	select {
	case r := <-req.reply:
		a.release(req)
		return r.outcome, r.err
	case <-ctx.Done():
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	case <-expired:
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, context.DeadlineExceeded)
	}
}

// release puts a request nobody else holds back into the pool.
func (a *Appender) release(req *appendReq) {
	if req.timer != nil {
		req.timer.Stop() // since Go 1.23 no stale tick is left in C
	}
	req.event, req.dedup = event.Stored{}, Dedupe{}
	reqPool.Put(req)
}

func (a *Appender) flush() {
	defer a.done.Done()
	batch := make([]*appendReq, 0, a.maxBatch)
	var b batchArgs
	for {
		select {
		case req := <-a.queue:
			batch = append(batch[:0], req)
		case <-a.stop:
			return
		}
	fill:
		for len(batch) < a.maxBatch {
			select {
			case req := <-a.queue:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		a.send(batch, &b)
	}
}

// batchArgs is reused from batch to batch so a flush allocates little. The
// EVALSHA command is built here rather than by redis.Script, which boxes
// every key and argument into an interface of its own: values go in as
// pointers (*string, *int64, which go-redis writes as they are) into the
// events, seen and nums, and all dedupe keys of a call share one string.
type batchArgs struct {
	cmd   []any
	seen  []string // the dedupe keys, slices of one string
	buf   []byte   // where seen is built
	nums  []int64  // per event: ttl seconds, received_at
	group []*appendReq
}

// scriptHash and scriptSource are boxed once; evalsha is what a call starts with.
var scriptHash, scriptSource any = appendScript.Hash(), appendLua

// send runs one script call per stream present in batch.
func (a *Appender) send(batch []*appendReq, b *batchArgs) {
	for len(batch) > 0 {
		stream := batch[0].keys.Stream()
		b.group = b.group[:0]
		rest := batch[:0]
		for _, req := range batch {
			if req.keys.Stream() != stream {
				rest = append(rest, req)
				continue
			}
			b.group = append(b.group, req)
		}
		a.run(stream, b)
		batch = rest
	}
}

// args builds the command for b.group; its pointers into b stay valid
// until the next call.
func (b *batchArgs) args(stream string) []any {
	b.buf = b.buf[:0]
	nk := 0
	for _, req := range b.group {
		for _, scope := range req.dedup.Scopes {
			b.buf = appendSeen(b.buf, req.keys, req.event.Source, scope, req.dedup.ID)
			nk++
		}
		if req.dedup.Replay != "" {
			b.buf = appendReplay(b.buf, req.keys, req.dedup.Replay)
			nk++
		}
		nk += len(req.dedup.Queues)
	}
	all := string(b.buf)
	b.seen = b.seen[:0]
	for _, req := range b.group {
		for _, scope := range req.dedup.Scopes {
			n := seenLen(req.keys, req.event.Source, scope, req.dedup.ID)
			b.seen = append(b.seen, all[:n])
			all = all[n:]
		}
		if req.dedup.Replay != "" {
			n := replayLen(req.keys)
			b.seen = append(b.seen, all[:n])
			all = all[n:]
			if req.dedup.ReplayOwner == "" {
				// Its own first dedupe key, as the script reads it.
				req.dedup.ReplayOwner = b.seen[len(b.seen)-1-len(req.dedup.Scopes)]
			}
		}
		b.seen = append(b.seen, req.dedup.Queues...)
	}
	b.nums = slices.Grow(b.nums[:0], 3*len(b.group))[:3*len(b.group)]
	b.cmd = append(b.cmd[:0], "evalsha", scriptHash, nk+1, stream)
	for i := range b.seen {
		b.cmd = append(b.cmd, &b.seen[i])
	}
	for i, req := range b.group {
		e := &req.event
		b.nums[3*i] = int64(req.ttl / time.Second)
		b.nums[3*i+1] = e.ReceivedAt.UnixMilli()
		b.nums[3*i+2] = 0
		switch {
		case req.dedup.Replay != "":
			ttl := req.dedup.ReplayTTL
			if ttl <= 0 {
				ttl = req.ttl
			}
			b.nums[3*i+2] = max(int64((ttl+time.Second-1)/time.Second), 1)
		case req.follows:
			b.nums[3*i+2] = -1
		}
		b.cmd = append(b.cmd, len(req.dedup.Scopes), &b.nums[3*i], &b.nums[3*i+2], 0, len(req.dedup.Queues))
		at := len(b.cmd) - 2
		if req.dedup.Replay != "" {
			b.cmd = append(b.cmd, &req.dedup.ReplayOwner)
		}
		var n int
		b.cmd, n = appendFieldsAt(b.cmd, e, &b.nums[3*i+1])
		b.cmd[at] = n
	}
	return b.cmd
}

func (a *Appender) run(stream string, b *batchArgs) {
	res, waitErr, err := a.call(stream, b)
	if err == nil && len(res) != len(b.group) {
		err = fmt.Errorf("append script returned %d results for %d events", len(res), len(b.group))
	}
	for i, req := range b.group {
		r := appendReply{err: err}
		switch {
		case err != nil:
			r.err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		default:
			r.outcome = outcomeOf(res[i])
			if r.outcome == Accepted && waitErr != nil {
				r.outcome, r.err = 0, fmt.Errorf("%w: %w", ErrUnavailable, waitErr)
			}
		}
		req.reply <- r
	}
	// Nothing of this batch's events may stay reachable from b.
	clear(b.cmd)
	clear(b.seen)
	clear(b.group)
}

// call runs the script for b.group. A panic while building or sending it
// becomes the batch's error: every sender is told to retry (503), and the
// flusher, and the Caddy and site it runs in, live on. No reply has been
// sent before call returns, so none is sent twice. waitErr says the
// durability wait fell short after the script ran.
func (a *Appender) call(stream string, b *batchArgs) (res []any, waitErr, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, waitErr, err = nil, nil, fmt.Errorf("append panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), a.bound)
	defer cancel()
	cmd := redis.NewCmd(ctx, b.args(stream)...)
	cmd.SetFirstKeyPos(3)
	wait, err := a.process(ctx, stream, cmd)
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		b.cmd[0], b.cmd[1] = "eval", scriptSource
		cmd = redis.NewCmd(ctx, b.cmd...)
		cmd.SetFirstKeyPos(3)
		wait, err = a.process(ctx, stream, cmd)
	}
	if err != nil {
		return nil, nil, err
	}
	if res, err = cmd.Slice(); err != nil {
		return nil, nil, err
	}
	if wait != nil {
		waitErr = a.durability.check(wait.Val())
	}
	return res, waitErr, nil
}

// process runs the script, followed by the durability wait, if any, in
// one pipeline: a pipeline holds one connection, and WAIT and WAITAOF
// count what that connection wrote. wait is nil when none is asked.
//
// A Cluster pipeline would send the keyless wait to any node, so there both
// go to the master that owns stream's slot as the client knows it. If
// that master has lost the slot (a failover, a resharding), the script is
// refused with MOVED and runs nowhere, or the node does not answer; either
// way the batch fails (503) and the client reloads the slot map for the
// next one.
func (a *Appender) process(ctx context.Context, stream string, script *redis.Cmd) (wait *redis.Cmd, err error) {
	args := a.durability.command()
	if args == nil {
		return nil, a.rdb.Process(ctx, script)
	}
	var pipe redis.Pipeliner
	if cc, ok := a.rdb.(*redis.ClusterClient); ok {
		node, nodeErr := cc.MasterForKey(ctx, stream)
		if nodeErr != nil {
			cc.ReloadState(ctx)
			return nil, fmt.Errorf("finding the master of %s: %w", stream, nodeErr)
		}
		defer func() {
			if err != nil && !redis.HasErrorPrefix(err, "NOSCRIPT") {
				cc.ReloadState(ctx)
			}
		}()
		pipe = node.Pipeline()
	} else {
		pipe = a.rdb.Pipeline()
	}
	wait = redis.NewCmd(ctx, args...)
	_ = pipe.Process(ctx, script)
	_ = pipe.Process(ctx, wait)
	if _, err := pipe.Exec(ctx); err != nil {
		if script.Err() != nil {
			return nil, script.Err()
		}
		return nil, fmt.Errorf("%s: %w", args[0], err)
	}
	return wait, nil
}

// appendSeen appends k.Seen(source, scope, id) to b.
func appendSeen(b []byte, k Keys, source, scope, id string) []byte {
	b = append(b, k.tag...)
	b = append(b, ":seen:"...)
	b = append(b, source...)
	b = append(b, ':')
	b = append(b, scope...)
	b = append(b, ':')
	return append(b, id...)
}

func seenLen(k Keys, source, scope, id string) int {
	return len(k.tag) + len(":seen:") + len(source) + 1 + len(scope) + 1 + len(id)
}

// outcomeOf reads the script's answer for one event.
func outcomeOf(res any) Outcome {
	switch id, _ := res.(string); id {
	case "":
		return Duplicate
	case "!":
		return Replayed
	}
	return Accepted
}

// appendReplay appends the replay key of value to b: its hash, so a value
// of any length or bytes makes a key of fixed shape.
func appendReplay(b []byte, k Keys, value string) []byte {
	b = append(b, k.tag...)
	b = append(b, ":once:"...)
	sum := sha256.Sum256([]byte(value))
	return hex.AppendEncode(b, sum[:16])
}

func replayLen(k Keys) int { return len(k.tag) + len(":once:") + 32 }
