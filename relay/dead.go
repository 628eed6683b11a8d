package relay

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
)

var (
	//go:embed lua/replay.lua
	replayLua    string
	replayScript = redis.NewScript(replayLua)
)

// DeadLetter is an event a relay gave up on, with why.
type DeadLetter struct {
	ID           string       // id in the dead stream, for Replay and Purge
	Entry        string       // id the event had in its stream
	Event        event.Stored // the original event
	Attempts     int
	Status       int    // last HTTP status, 0 when none came
	Error        string // last error
	Body         string // first 1 KiB of the last answer
	FirstAttempt time.Time
	LastAttempt  time.Time
}

// DeadLetters reads and replays one relay's dead-letter stream.
type DeadLetters struct {
	rdb    redis.UniversalClient
	dead   string
	replay string
}

// NewDeadLetters names the dead-letter stream of relay name on keys' stream.
func NewDeadLetters(rdb redis.UniversalClient, keys Keys, name string) *DeadLetters {
	return &DeadLetters{rdb: rdb, dead: keys.Dead(name), replay: keys.Replay(name)}
}

// List returns up to count dead letters, oldest first, after the dead
// stream id after ("" from the start).
func (d *DeadLetters) List(ctx context.Context, after string, count int64) ([]DeadLetter, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := d.rdb.XRangeN(ctx, d.dead, start, "+", count).Result()
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		st, err := Decode(m.Values)
		if err != nil {
			return nil, fmt.Errorf("dead letter %s: %w", m.ID, err)
		}
		str := func(k string) string { v, _ := m.Values[deadField+k].(string); return v }
		num := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
		out = append(out, DeadLetter{
			ID: m.ID, Entry: str("entry"), Event: st,
			Attempts: int(num("attempts")), Status: int(num("status")),
			Error: str("error"), Body: str("body"),
			FirstAttempt: time.UnixMilli(num("first_attempt")).UTC(),
			LastAttempt:  time.UnixMilli(num("last_attempt")).UTC(),
		})
	}
	return out, nil
}

// Replay sends the dead letters with these ids back to the relay, with
// fresh attempts; only this relay sees them again.
func (d *DeadLetters) Replay(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	n, err := replayScript.Run(ctx, d.rdb, []string{d.dead, d.replay}, args...).Int()
	if err != nil {
		return n, fmt.Errorf("replaying dead letters: %w", err)
	}
	return n, nil
}

// ReplayAll replays every dead letter, in batches.
func (d *DeadLetters) ReplayAll(ctx context.Context) (int, error) {
	return d.each(ctx, d.Replay)
}

// Purge deletes the dead letters with these ids.
func (d *DeadLetters) Purge(ctx context.Context, ids ...string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := d.rdb.XDel(ctx, d.dead, ids...).Result()
	if err != nil {
		return int(n), fmt.Errorf("purging dead letters: %w", err)
	}
	return int(n), nil
}

// PurgeAll deletes every dead letter.
func (d *DeadLetters) PurgeAll(ctx context.Context) (int, error) {
	return d.each(ctx, d.Purge)
}

// each applies do to every dead letter present when it starts, page by
// page. It pages forward rather than re-reading from the start: with the
// target still failing, a replayed event comes back as a new dead letter,
// and a loop until empty would never end.
func (d *DeadLetters) each(ctx context.Context, do func(context.Context, ...string) (int, error)) (int, error) {
	last, err := d.rdb.XRevRangeN(ctx, d.dead, "+", "-", 1).Result()
	if err != nil || len(last) == 0 {
		return 0, err
	}
	total, start := 0, "-"
	for {
		msgs, err := d.rdb.XRangeN(ctx, d.dead, start, last[0].ID, 100).Result()
		if err != nil {
			return total, fmt.Errorf("reading dead letters: %w", err)
		}
		if len(msgs) == 0 {
			return total, nil
		}
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		n, err := do(ctx, ids...)
		total += n
		if err != nil {
			return total, err
		}
		start = "(" + ids[len(ids)-1]
	}
}
