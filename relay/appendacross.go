package relay

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
)

// appendAcross appends an event whose stream has other recent layouts
// (partitions.go): a copy seen under one of them is a duplicate, a
// one-time value spent under one is a replay; once stored, the event is
// marked seen under them too, before the sender hears 202.
func (a *Appender) appendAcross(ctx context.Context, within time.Duration, keys Keys, ttl time.Duration, e *event.Stored, d Dedupe) (Outcome, error) {
	if within > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, within)
		defer cancel()
	}
	if o, err := a.seenElsewhere(ctx, d); err != nil || o != 0 {
		return o, err
	}
	marks := d
	d.Elsewhere, d.ElsewhereOnce = nil, nil
	o, err := a.AppendWithin(ctx, 0, keys, ttl, e, d)
	if err != nil || o != Accepted {
		return o, err
	}
	if err := a.markElsewhere(ctx, marks, ttl); err != nil {
		// Stored, but a copy under another layout could be taken for new:
		// the sender retries, and finds this one a duplicate.
		return 0, fmt.Errorf("%w: marking the event under the stream's other layouts: %w", ErrUnavailable, err)
	}
	return Accepted, nil
}

// seenElsewhere says Duplicate or Replayed when d's keys elsewhere say so,
// 0 when they do not.
func (a *Appender) seenElsewhere(ctx context.Context, d Dedupe) (Outcome, error) {
	pipe := a.rdb.Pipeline()
	seen := make([]*redis.IntCmd, len(d.Elsewhere))
	for i, k := range d.Elsewhere {
		seen[i] = pipe.Exists(ctx, k)
	}
	once := make([]*redis.StringCmd, len(d.ElsewhereOnce)/2)
	for i := range once {
		once[i] = pipe.Get(ctx, d.ElsewhereOnce[2*i])
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	for _, c := range seen {
		if c.Val() > 0 {
			return Duplicate, nil
		}
	}
	for i, c := range once {
		if v, err := c.Result(); err == nil && v != d.ElsewhereOnce[2*i+1] {
			return Replayed, nil
		}
	}
	return 0, nil
}

// markElsewhere sets d's keys elsewhere as the append script would have.
func (a *Appender) markElsewhere(ctx context.Context, d Dedupe, ttl time.Duration) error {
	rttl := d.ReplayTTL
	if rttl <= 0 {
		rttl = ttl
	}
	pipe := a.rdb.Pipeline()
	for _, k := range d.Elsewhere {
		pipe.Set(ctx, k, "1", max(ttl.Truncate(time.Second), time.Second))
	}
	for i := 0; i+1 < len(d.ElsewhereOnce); i += 2 {
		pipe.SetNX(ctx, d.ElsewhereOnce[i], d.ElsewhereOnce[i+1], max(rttl.Round(time.Second), time.Second))
	}
	_, err := pipe.Exec(ctx)
	return err
}
