package relay

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Per-key FIFO (a relay's order_by). Ingest pushes each new entry's id to
// its key's queue (Keys.Queue) in the same script as the XADD, so the
// queue is in ingest order. The relay delivers only an entry that heads
// its queue (admit), parks the ones behind it in the retry schedule, and
// pops the head in the very script that acks or dead-letters it (release),
// claiming the next one for the worker that finished the head. Every step
// is one script: a process killed anywhere leaves each entry pending, in
// its queue, and the head the one entry that may be in flight.

var (
	//go:embed lua/release.lua
	releaseLua string
	//go:embed lua/admit.lua
	admitLua string
	//go:embed lua/dead_ordered.lua
	deadOrderedLua string
	//go:embed lua/purge.lua
	purgeLua string

	admitScript       = redis.NewScript(admitLua)
	deadOrderedScript = redis.NewScript(releaseLua + deadOrderedLua)
	purgeScript       = redis.NewScript(releaseLua + purgeLua)
)

// order is what an ordered relay's moves need beyond the unordered ones.
type order struct {
	by     OrderBy
	onDead OnDead
	keys   Keys
	relay  string
	park   time.Duration // how long a parked entry waits before it is looked at again
}

// gate sets each job's queue, and asks Redis, in one call, which of the
// jobs of the stream head their queue. It returns the jobs to deliver now:
// the others are parked, and come back through the retry schedule.
func (m *moves) gate(ctx context.Context, jobs []*job, now time.Time) ([]*job, error) {
	o := m.order
	keys := []string{m.retry, m.streams[0], m.replay}
	args := []any{m.group, now.Add(o.park).UnixMilli()}
	var asked []*job
	for _, j := range jobs {
		if j.queue == "" {
			st, err := Decode(j.values)
			if err != nil {
				continue // delivered unordered: prepare dead-letters it
			}
			j.decoded = &st
			key := o.by.Key(&st)
			if key == "" {
				continue
			}
			j.queue, j.elem = o.keys.Queue(o.relay, key), j.id
			if j.stream == m.replay {
				// A replayed dead letter: it heads its queue when it
				// replaced a dead head, and is unordered otherwise.
				j.elem = "R" + j.id
			}
		}
		if j.stream == m.replay {
			continue
		}
		keys = append(keys, j.queue)
		args = append(args, j.id)
		asked = append(asked, j)
	}
	if len(asked) == 0 {
		return jobs, nil
	}
	res, err := admitScript.Run(ctx, m.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, err
	}
	if len(res) != len(asked) {
		return nil, fmt.Errorf("admit returned %d answers for %d entries", len(res), len(asked))
	}
	parked := make(map[*job]bool, len(asked))
	for i, j := range asked {
		if res[i] == 0 {
			parked[j] = true
		}
	}
	out := jobs[:0]
	for _, j := range jobs {
		if !parked[j] {
			out = append(out, j)
		}
	}
	return out, nil
}

// deadOrdered is deadLetter for a job of an ordered key.
func (m *moves) deadOrdered(ctx context.Context, j *job, consumer string, fields []any) error {
	mode := "skip"
	if m.order.onDead == DeadBlocks {
		mode = "block"
	}
	args := append([]any{m.group, j.id, j.member(), m.delFlag(j), j.elem, consumer, mode}, fields...)
	res, err := deadOrderedScript.Run(ctx, m.rdb, []string{j.stream, m.retry, m.attempts, m.dead, j.queue, m.streams[0]}, args...).Slice()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	return m.setNext(j, res)
}

// setNext reads the triple release returns into j.next.
func (m *moves) setNext(j *job, res []any) error {
	jobs, err := m.claimedJobs([]any{res}, time.Now())
	if err != nil || len(jobs) == 0 {
		return err
	}
	next := jobs[0]
	next.queue, next.elem = j.queue, next.id
	j.next = next
	return nil
}
