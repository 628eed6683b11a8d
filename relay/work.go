package relay

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// moveTimeout bounds one move script; a move that fails leaves the entry
// pending, and it is reclaimed later.
const moveTimeout = 5 * time.Second

// work delivers jobs until the channel closes at Stop.
func (r *Relay) work() {
	defer r.workers.Done()
	for j := range r.jobs {
		r.process(j)
		r.inflight.Delete(j.member())
	}
}

// process makes one attempt and moves the entry on by its outcome.
func (r *Relay) process(j *job) {
	log := r.logger.With(zap.String("entry", j.id), zap.String("stream", j.stream))
	st, err := Decode(j.values)
	if err != nil {
		j.record = j.record.next(r.now(), outcome{err: err.Error()})
		r.finish(log, j, permanent)
		return
	}
	log = log.With(zap.String("event_id", st.ID), zap.String("type", st.Type))
	if len(r.cfg.Filter) > 0 && !matchAny(r.cfg.Filter, st.Type) {
		r.finish(log, j, delivered)
		return
	}
	// While the breaker is open this waits, and so do the readers behind
	// the full jobs channel: the entry's attempts are not spent.
	probe, err := r.breaker.acquire(r.ctx)
	if err != nil {
		return // stopping: the entry stays pending
	}
	if err := r.limiter.wait(r.ctx); err != nil {
		if probe {
			r.breaker.record(true, false)
		}
		return
	}
	// Not r.ctx: a delivery in flight at Stop is let finish.
	o := r.sender.deliver(context.Background(), st)
	r.breaker.record(probe, o.verdict != retryable)
	j.record = j.record.next(r.now(), o)
	switch {
	case o.verdict == retryable && j.record.count < r.cfg.MaxAttempts:
		wait := max(r.backoff.delay(j.record.count), o.retryAfter)
		ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
		defer cancel()
		if err := r.moves.schedule(ctx, j, r.now().Add(wait)); err != nil {
			log.Error("scheduling a retry failed; the entry stays pending", zap.Error(err))
			return
		}
		log.Info("delivery failed; retry scheduled", zap.Int("attempt", j.record.count),
			zap.Int("status", o.status), zap.String("error", o.err), zap.Duration("wait", wait))
	case o.verdict == retryable:
		r.finish(log, j, permanent)
	default:
		r.finish(log, j, o.verdict)
	}
}

// finish acks a delivered job or dead-letters a failed one.
func (r *Relay) finish(log *zap.Logger, j *job, v verdict) {
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	if v == delivered {
		if err := r.moves.ack(ctx, j); err != nil {
			log.Error("ack failed; the entry stays pending and will be delivered again", zap.Error(err))
		}
		return
	}
	if err := r.moves.deadLetter(ctx, j); err != nil {
		log.Error("dead-lettering failed; the entry stays pending", zap.Error(err))
		return
	}
	log.Warn("event dead-lettered", zap.Int("attempts", j.record.count),
		zap.Int("status", j.record.status), zap.String("error", j.record.err))
}

// next adds an attempt's outcome to the record.
func (a attempts) next(now time.Time, o outcome) attempts {
	a.count++
	if a.first.IsZero() {
		a.first = now
	}
	a.last, a.status, a.body = now, o.status, o.body
	a.err = o.err
	if len(a.err) > 200 {
		a.err = a.err[:200]
	}
	return a
}
