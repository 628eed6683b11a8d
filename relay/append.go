package relay

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
}

type appendReq struct {
	keys  Keys
	dedup Dedupe
	ttl   time.Duration
	event *event.Stored
	reply chan appendReply
}

type appendReply struct {
	outcome Outcome
	err     error
}

var reqPool = sync.Pool{New: func() any { return &appendReq{reply: make(chan appendReply, 1)} }}

// NewAppender starts flushers goroutines that send batches of at most
// maxBatch events; bound caps how long one batch may take in Redis.
func NewAppender(rdb redis.UniversalClient, bound time.Duration, flushers, maxBatch int) *Appender {
	a := &Appender{
		rdb:      rdb,
		bound:    bound,
		maxBatch: maxBatch,
		queue:    make(chan *appendReq, flushers*maxBatch),
		stop:     make(chan struct{}),
	}
	for range flushers {
		a.done.Add(1)
		go a.flush()
	}
	return a
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
}

// DefaultScopes is the scope Append records events in.
var DefaultScopes = []string{"n-default"}

// Append stores e unless e.ID was seen in DefaultScopes.
func (a *Appender) Append(ctx context.Context, keys Keys, ttl time.Duration, e *event.Stored) (Outcome, error) {
	return a.AppendAs(ctx, keys, ttl, e, Dedupe{Scopes: DefaultScopes, ID: e.ID})
}

// AppendAs stores e unless d names a duplicate. It returns ErrUnavailable
// when Redis fails or ctx ends first; then the event may or may not have been
// stored, and e.Body may still be read by a flusher: the caller must not
// reuse that memory.
func (a *Appender) AppendAs(ctx context.Context, keys Keys, ttl time.Duration, e *event.Stored, d Dedupe) (Outcome, error) {
	if len(d.Scopes) == 0 {
		return 0, errors.New("append: no dedupe scope")
	}
	req := reqPool.Get().(*appendReq)
	req.keys, req.ttl, req.event, req.dedup = keys, ttl, e, d
	select {
	case a.queue <- req:
	case <-ctx.Done():
		reqPool.Put(req)
		return 0, fmt.Errorf("%w: queue full: %w", ErrUnavailable, ctx.Err())
	case <-a.stop:
		reqPool.Put(req)
		return 0, fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	select {
	case r := <-req.reply:
		req.event = nil
		reqPool.Put(req)
		return r.outcome, r.err
	case <-ctx.Done():
		// The flusher still owns req and will reply into its buffered
		// channel; leaving req to the collector keeps the pool clean.
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
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

// batchArgs is reused from batch to batch so a flush allocates little.
type batchArgs struct {
	keys  []string
	args  []any
	group []*appendReq
}

// send runs one script call per stream present in batch.
func (a *Appender) send(batch []*appendReq, b *batchArgs) {
	for len(batch) > 0 {
		stream := batch[0].keys.Stream()
		b.keys = append(b.keys[:0], stream)
		b.args = b.args[:0]
		b.group = b.group[:0]
		rest := batch[:0]
		for _, req := range batch {
			if req.keys.Stream() != stream {
				rest = append(rest, req)
				continue
			}
			e := req.event
			b.group = append(b.group, req)
			for _, scope := range req.dedup.Scopes {
				b.keys = append(b.keys, req.keys.Seen(e.Source, scope, req.dedup.ID))
			}
			b.args = append(b.args, len(req.dedup.Scopes), strconv.FormatInt(int64(req.ttl/time.Second), 10), 0)
			at := len(b.args) - 1
			var n int
			b.args, n = appendFields(b.args, e)
			b.args[at] = n
		}
		a.run(b)
		batch = rest
	}
}

func (a *Appender) run(b *batchArgs) {
	ctx, cancel := context.WithTimeout(context.Background(), a.bound)
	res, err := appendScript.Run(ctx, a.rdb, b.keys, b.args...).Slice()
	cancel()
	if err == nil && len(res) != len(b.group) {
		err = fmt.Errorf("append script returned %d results for %d events", len(res), len(b.group))
	}
	for i, req := range b.group {
		r := appendReply{err: err}
		if err != nil {
			r.err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		} else if id, _ := res[i].(string); id == "" {
			r.outcome = Duplicate
		} else {
			r.outcome = Accepted
		}
		req.reply <- r
	}
	clear(b.args)
}
