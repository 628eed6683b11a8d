package relay

import (
	"context"
	_ "embed"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Acks of delivered entries are batched: a worker hands its finished job
// to the acker and takes the next one, and the acker finishes what has
// gathered in one script call per partition. At least once stays: an entry
// whose ack is lost to a crash or a failed call is still pending, and is
// delivered again after claim_after, as a lone ack that failed always was.

var (
	//go:embed lua/ack_batch.lua
	ackBatchLua    string
	ackBatchScript = redis.NewScript(releaseLua + ackBatchLua)
)

// maxAckBatch bounds one ack script call.
const maxAckBatch = 128

// acker finishes delivered jobs in batches until the acks channel closes.
func (r *Relay) acker() {
	defer r.ackers.Done()
	batch := make([]*job, 0, maxAckBatch)
	for j := range r.acks {
		batch = append(batch[:0], j)
	fill:
		for len(batch) < maxAckBatch {
			select {
			case j, ok := <-r.acks:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		r.flushAcks(batch)
		clear(batch)
	}
}

// flushAcks finishes batch, one call per partition, the partitions side
// by side so one whose master is failing over holds up no other; a failed
// call is tried again twice. Its jobs stay held by this relay until their
// ack ran: its own reclaim must not take an entry whose ack is only slow.
func (r *Relay) flushAcks(batch []*job) {
	byPart := map[*moves][]*job{}
	for _, j := range batch {
		byPart[j.m] = append(byPart[j.m], j)
	}
	var done sync.WaitGroup
	for m, jobs := range byPart {
		done.Add(1)
		go func() {
			defer done.Done()
			r.flushPart(m, jobs)
		}()
	}
	done.Wait()
}

// flushPart acks jobs of partition m. A panic is caught: the entries stay
// pending, and are delivered again after claim_after.
func (r *Relay) flushPart(m *moves, jobs []*job) {
	defer func() {
		for _, j := range jobs {
			r.inflight.CompareAndDelete(j.member(), j)
		}
		if p := recover(); p != nil {
			r.logger.Error("ack panicked; the entries stay pending", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
		}
	}()
	var next []*job
	var err error
	for try := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
		next, err = m.ackBatch(ctx, jobs, m.claimant())
		cancel()
		if err == nil {
			break
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond) // a passing Redis error
	}
	if err != nil {
		r.logger.Error("ack failed; the entries stay pending and are delivered again after claim_after",
			zap.Int("entries", len(jobs)), zap.Error(err))
		return
	}
	if len(next) > 0 {
		r.handReleased(next)
	}
}

// handReleased gives the workers the entries that finishing their heads
// claimed for this relay, from a goroutine of its own: the acker must never
// wait for a worker, since workers hand it their jobs.
func (r *Relay) handReleased(next []*job) {
	for _, j := range next {
		r.inflight.Store(j.member(), j)
	}
	r.releasing.Add(1)
	go func() {
		defer r.releasing.Done()
		for _, j := range next {
			if r.ctx.Err() != nil {
				r.inflight.CompareAndDelete(j.member(), j)
				continue
			}
			select {
			case r.jobs <- j:
			case <-r.ctx.Done():
				// Stopping: it stays pending, for a consumer to reclaim.
				r.inflight.CompareAndDelete(j.member(), j)
			}
		}
	}()
}

// ackBatch finishes jobs, all of m's partition, and returns the entries of
// their ordered keys released and claimed for consumer.
func (m *moves) ackBatch(ctx context.Context, jobs []*job, consumer string) ([]*job, error) {
	keys := []string{m.streams[0], m.replay, m.retry, m.attempts}
	args := []any{m.group, consumer, 0, 0}
	var main, replayed int
	for _, j := range jobs {
		if j.stream == m.streams[0] {
			args = append(args, j.id)
			main++
		}
	}
	for _, j := range jobs {
		if j.stream != m.streams[0] {
			args = append(args, j.id)
			replayed++
		}
	}
	args[2], args[3] = main, replayed
	queues := map[string]int{}
	for _, j := range jobs {
		if j.queue == "" {
			continue
		}
		at, ok := queues[j.queue]
		if !ok {
			keys = append(keys, j.queue)
			at = len(keys)
			queues[j.queue] = at
		}
		args = append(args, at, j.elem)
	}
	res, err := ackBatchScript.Run(ctx, m.rdb, keys, args...).Slice()
	if err != nil {
		return nil, err
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("unexpected ack reply of %d parts", len(res))
	}
	claimed, _ := res[0].([]any)
	at, _ := res[1].([]any)
	next, err := m.claimedJobs(claimed, time.Now())
	if err != nil || len(next) != len(at) {
		return nil, fmt.Errorf("reading the released entries: %d for %d queues: %v", len(next), len(at), err)
	}
	for i, n := range next {
		idx, _ := at[i].(int64)
		if idx < 1 || int(idx) > len(keys) {
			return nil, fmt.Errorf("released entry of queue index %d", idx)
		}
		n.queue, n.elem = keys[idx-1], n.id
	}
	return next, nil
}
