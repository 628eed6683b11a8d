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
	var body []byte
	var typ string
	if err == nil {
		log = log.With(zap.String("event_id", st.ID), zap.String("type", st.Type))
		if len(r.cfg.Filter) > 0 && !matchAny(r.cfg.Filter, st.Type) {
			r.finish(log, j, delivered)
			return
		}
		body, typ, err = envelope(st)
	}
	if err != nil {
		// Nothing a target can fix: no attempt, and no word to the breaker.
		j.record = j.record.next(r.now(), outcome{err: err.Error()})
		r.finish(log, j, permanent)
		return
	}
	// While the breaker is open this waits, and the readers read nothing:
	// the entry's attempts are not spent.
	probe, err := r.breaker.acquire(r.ctx)
	if err != nil {
		return // stopping: the entry stays pending
	}
	if err := r.limiter.wait(r.ctx); err != nil || !r.stillOurs(log, j) {
		r.breaker.release(probe)
		return
	}
	// Not r.ctx: a delivery in flight at Stop is let finish.
	o := r.sender.deliver(context.Background(), st, body, typ)
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

// stillOurs checks, for a job held longer than half of claim_after, that no
// other consumer has reclaimed it meanwhile (it then delivers it itself),
// and resets its idle time for the attempt to come.
func (r *Relay) stillOurs(log *zap.Logger, j *job) bool {
	if r.now().Sub(j.held) < r.cfg.ClaimAfter/2 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
	defer cancel()
	ours, err := r.moves.own(ctx, j)
	if err != nil {
		log.Warn("checking entry ownership failed; leaving it pending", zap.Error(err))
		return false
	}
	if !ours {
		log.Info("entry was reclaimed by another consumer while held; dropping it here")
	}
	j.held = r.now()
	return ours
}

// finish acks a delivered job or dead-letters a failed one. Both moves are
// idempotent, so a passing Redis error is retried: a lost ack would mean a
// second delivery after claim_after.
func (r *Relay) finish(log *zap.Logger, j *job, v verdict) {
	move, what := r.moves.ack, "ack"
	if v != delivered {
		move, what = r.moves.deadLetter, "dead-lettering"
	}
	var err error
	for try := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
		err = move(ctx, j)
		cancel()
		if err == nil || !r.pause(time.Duration(try+1)*100*time.Millisecond) {
			break
		}
	}
	if err != nil {
		log.Error(what+" failed; the entry stays pending and is reclaimed after claim_after", zap.Error(err))
		return
	}
	if v != delivered {
		log.Warn("event dead-lettered", zap.Int("attempts", j.record.count),
			zap.Int("status", j.record.status), zap.String("error", j.record.err))
	}
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
