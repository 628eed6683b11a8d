package relay

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/event"
)

// moveTimeout bounds one move script; a move that fails leaves the entry
// pending, and it is reclaimed later.
const moveTimeout = 5 * time.Second

// work delivers jobs until Stop.
func (r *Relay) work() {
	defer r.workers.Done()
	for {
		var j *job
		select {
		case j = <-r.jobs:
		case <-r.ctx.Done():
			return
		}
		// Finishing the head of an ordered key may claim the next entry
		// of that key for this worker: it goes at once, not through Redis.
		// Redis gave it to this worker alone (it was parked: nobody
		// delivers it), so it is held here even if the reader that
		// parked it has not let go of it yet.
		for j != nil {
			r.process(j)
			if !j.acking {
				r.inflight.CompareAndDelete(j.member(), j)
			}
			if j = j.next; j != nil {
				r.inflight.Store(j.member(), j)
			}
		}
	}
}

// process makes one attempt and moves the entry on by its outcome. A panic
// is caught here: the entry stays pending for a later attempt, and Caddy,
// with the site it serves, stays up.
func (r *Relay) process(j *job) {
	log := r.logger.With(zap.String("entry", j.id), zap.String("stream", j.stream))
	defer func() {
		if p := recover(); p != nil {
			log.Error("delivery panicked; the entry stays pending", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
		}
	}()
	// Stopping: no new attempt; the entry stays pending for the next process.
	if r.ctx.Err() != nil {
		return
	}
	st, req, skip, err := r.prepare(j, log)
	switch {
	case skip:
		r.finish(log, j, delivered)
		return
	case err != nil:
		// Nothing a target can fix: dead-lettered now, no attempt spent, and
		// no word to the breaker, so it holds back no other event.
		j.record = j.record.unsent(r.now(), err)
		if r.finish(log, j, permanent) {
			r.report(Report{Event: st, Entry: j.id, Attempt: j.record.count, Outcome: OutcomeDead, Error: j.record.err, At: r.now()})
		}
		return
	}
	// While the breaker is open this waits, and the readers read nothing:
	// the entry's attempts are not spent.
	probe, err := r.breaker.acquire(r.ctx)
	if err != nil {
		return // stopping: the entry stays pending
	}
	recorded := false
	defer func() {
		if !recorded {
			r.breaker.release(probe) // a probe that made no attempt, or panicked
		}
	}()
	if err := r.limiter.wait(r.ctx); err != nil || r.ctx.Err() != nil || !r.stillOurs(log, j) {
		return
	}
	// Not r.ctx: a delivery in flight at Stop is let finish.
	sendCtx, span := r.traceAttempt(st)
	o := r.sender.deliver(sendCtx, req)
	r.breaker.record(probe, o.verdict != retryable)
	recorded = true
	// A failed probe only learns that the target is still down: were it
	// counted, a long outage would dead-letter events that never had a
	// fair attempt.
	j.record = j.record.next(r.now(), o, !(probe && o.verdict == retryable))
	rep := Report{Event: st, Entry: j.id, Attempt: j.record.count, Status: o.status, Class: o.class(),
		Latency: o.latency, Error: o.err, RequestID: o.requestID, At: r.now()}
	switch {
	case o.verdict == retryable && j.record.count < r.cfg.MaxAttempts:
		wait := max(r.backoff.delay(j.record.count), o.retryAfter)
		ctx, cancel := context.WithTimeout(context.Background(), moveTimeout)
		defer cancel()
		// Reported as a retry either way: an entry whose retry could not
		// be scheduled stays pending and is reclaimed.
		rep.Outcome = OutcomeRetry
		if err := j.m.schedule(ctx, j, r.now().Add(wait)); err != nil {
			log.Error("scheduling a retry failed; the entry stays pending", zap.Error(err))
		}
		r.report(rep)
	case o.verdict == delivered:
		rep.Outcome = OutcomeDelivered
		// An ack that failed is delivered still; the entry comes back
		// after claim_after and the receiver dedupes it by webhook-id.
		r.finish(log, j, delivered)
		r.report(rep)
	default:
		rep.Outcome = OutcomeDead
		if r.finish(log, j, permanent) {
			r.report(rep)
		}
	}
	endAttempt(span, rep)
}

// prepare decodes the entry, applies the filter and builds the request,
// all before the breaker or the target are involved. skip means the filter
// leaves the event out. A panic (a normalizer's bug) is an error here, so
// the entry is dead-lettered with its reason instead of coming back.
// The event comes back without its body and headers, for reports.
func (r *Relay) prepare(j *job, log *zap.Logger) (st event.Stored, req *request, skip bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("preparing a delivery panicked; dead-lettering the entry", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			req, skip, err = nil, false, fmt.Errorf("panic while preparing the delivery: %v", p)
		}
		st.Body, st.Header = nil, nil
	}()
	if j.decoded != nil {
		st = *j.decoded
	} else if st, err = Decode(j.values); err != nil {
		return st, nil, false, err
	}
	if len(r.cfg.Filter) > 0 && !matchAny(r.cfg.Filter, st.Type) {
		return st, nil, true, nil
	}
	req, err = r.sender.prepare(st, r.normalize)
	return st, req, false, err
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
	ours, err := j.m.own(ctx, j)
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
// It reports whether the move was made.
func (r *Relay) finish(log *zap.Logger, j *job, v verdict) bool {
	if v == delivered {
		j.acking = true
		r.acks <- j // batched: acks.go
		return true
	}
	move, what := j.m.deadLetter, "dead-lettering"
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
		return false
	}
	return true
}

// next adds an attempt's outcome to the record; counted says whether it
// spends one of max_attempts.
func (a attempts) next(now time.Time, o outcome, counted bool) attempts {
	if counted {
		a.count++
	}
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

// unsent records why an entry could not even be sent: no attempt, no status.
func (a attempts) unsent(now time.Time, err error) attempts {
	return a.next(now, outcome{err: err.Error()}, false)
}
