package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// MaxBatchEvents bounds the events of one AppendBatch: one script call
// holds Redis for all of them.
const MaxBatchEvents = 5000

// AppendBatch stores the events of one request (a provider's batch) in a
// single script call, so they are stored together or the call fails as a
// whole: on ErrUnavailable some may be stored and the sender's retry finds
// them duplicates. Each event is deduped by its own d[i]; outcomes[i] says
// what happened to events[i]. Only ctx bounds the call, besides the
// appender's own bound.
func (a *Appender) AppendBatch(ctx context.Context, keys Keys, ttl time.Duration, events []event.Stored, d []Dedupe) ([]Outcome, error) {
	if len(events) != len(d) {
		return nil, errors.New("append batch: one dedupe per event")
	}
	if len(events) == 0 || len(events) > MaxBatchEvents {
		return nil, fmt.Errorf("append batch: %d events, want 1 to %d", len(events), MaxBatchEvents)
	}
	if err := a.heldErr(); err != nil {
		return nil, err
	}
	for i := range d {
		if len(d[i].Elsewhere)+len(d[i].ElsewhereOnce) > 0 {
			return a.appendBatchAcross(ctx, keys, ttl, events, d)
		}
	}
	b := &batchArgs{group: make([]*appendReq, len(events))}
	for i := range events {
		if len(d[i].Scopes) == 0 {
			return nil, errors.New("append: no dedupe scope")
		}
		b.group[i] = &appendReq{keys: keys, dedup: d[i], ttl: ttl, event: events[i], follows: i > 0 && d[0].Replay != ""}
	}
	type result struct {
		res          []any
		waitErr, err error
	}
	done := make(chan result, 1)
	go func() {
		res, waitErr, err := a.call(keys.Stream(), b)
		done <- result{res, waitErr, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	if r.err == nil && len(r.res) != len(events) {
		r.err = fmt.Errorf("append script returned %d results for %d events", len(r.res), len(events))
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, r.err)
	}
	out := make([]Outcome, len(events))
	for i := range out {
		out[i] = outcomeOf(r.res[i])
		if out[i] == Accepted && r.waitErr != nil {
			// The request is answered as a whole: its retry finds
			// what was stored a duplicate.
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, r.waitErr)
		}
	}
	return out, nil
}

// appendBatchAcross is AppendBatch for a stream with other recent layouts
// (appendAcross): the elements seen under them are duplicates and not
// sent; the ones stored are marked under them before the answer.
func (a *Appender) appendBatchAcross(ctx context.Context, keys Keys, ttl time.Duration, events []event.Stored, d []Dedupe) ([]Outcome, error) {
	out := make([]Outcome, len(events))
	var send []event.Stored
	var sendD []Dedupe
	var at []int
	for i := range events {
		o, err := a.seenElsewhere(ctx, d[i])
		if err != nil {
			return nil, err
		}
		if o == Replayed && i == 0 {
			// The batch's one-time value: the whole batch is a replay.
			for j := range out {
				out[j] = Replayed
			}
			return out, nil
		}
		if o != 0 {
			out[i] = o
			continue
		}
		plain := d[i]
		plain.Elsewhere, plain.ElsewhereOnce = nil, nil
		send, sendD, at = append(send, events[i]), append(sendD, plain), append(at, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	res, err := a.AppendBatch(ctx, keys, ttl, send, sendD)
	if err != nil {
		return nil, err
	}
	for j, o := range res {
		out[at[j]] = o
		if o == Accepted {
			if err := a.markElsewhere(ctx, d[at[j]], ttl); err != nil {
				return nil, fmt.Errorf("%w: marking the batch under the stream's other layouts: %w", ErrUnavailable, err)
			}
		}
	}
	return out, nil
}
