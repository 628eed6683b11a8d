package relay

import (
	"context"
	_ "embed"
	"fmt"
	"path"
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
	retry  string
	stream string
}

// NewDeadLetters names the dead-letter stream of relay name on keys' stream.
func NewDeadLetters(rdb redis.UniversalClient, keys Keys, name string) *DeadLetters {
	return &DeadLetters{rdb: rdb, dead: keys.Dead(name), replay: keys.Replay(name), retry: keys.Retry(name), stream: keys.Stream()}
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
		l, err := deadLetterOf(m)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// deadLetterOf reads one dead-letter stream entry.
func deadLetterOf(m redis.XMessage) (DeadLetter, error) {
	st, err := Decode(m.Values)
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", m.ID, err)
	}
	str := func(k string) string { v, _ := m.Values[deadField+k].(string); return v }
	num := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
	return DeadLetter{
		ID: m.ID, Entry: str("entry"), Event: st,
		Attempts: int(num("attempts")), Status: int(num("status")),
		Error: str("error"), Body: str("body"),
		FirstAttempt: time.UnixMilli(num("first_attempt")).UTC(),
		LastAttempt:  time.UnixMilli(num("last_attempt")).UTC(),
	}, nil
}

// Replay sends the dead letters with these ids back to the relay, with
// fresh attempts; only this relay sees them again. Ids not in the dead
// stream are skipped. Many ids go in batches of batchSize.
func (d *DeadLetters) Replay(ctx context.Context, ids ...string) (int, error) {
	total := 0
	for chunk := range chunks(ids) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		n, err := replayScript.Run(ctx, d.rdb, []string{d.dead, d.replay}, args...).Int()
		total += n
		if err != nil {
			return total, fmt.Errorf("replaying dead letters: %w", err)
		}
	}
	return total, nil
}

// ReplayAll replays every dead letter, in batches.
func (d *DeadLetters) ReplayAll(ctx context.Context) (int, error) {
	return d.each(ctx, nil, d.Replay)
}

// ReplayMatching replays the dead letters m selects, in batches.
func (d *DeadLetters) ReplayMatching(ctx context.Context, m DeadMatch) (int, error) {
	return d.each(ctx, m.keep, d.Replay)
}

// Purge deletes the dead letters with these ids, in batches of batchSize.
// A dead head that blocks its key (on_dead block) lets the key go on.
func (d *DeadLetters) Purge(ctx context.Context, ids ...string) (int, error) {
	total := 0
	for chunk := range chunks(ids) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		n, err := purgeScript.Run(ctx, d.rdb, []string{d.dead, d.retry, d.stream}, args...).Int()
		total += n
		if err != nil {
			return total, fmt.Errorf("purging dead letters: %w", err)
		}
	}
	return total, nil
}

// PurgeAll deletes every dead letter.
func (d *DeadLetters) PurgeAll(ctx context.Context) (int, error) {
	return d.each(ctx, nil, d.Purge)
}

// PurgeMatching deletes the dead letters m selects, in batches.
func (d *DeadLetters) PurgeMatching(ctx context.Context, m DeadMatch) (int, error) {
	return d.each(ctx, m.keep, d.Purge)
}

// DeadMatch selects dead letters by their event's type and their last
// attempt; a zero field selects every one.
type DeadMatch struct {
	Type  string    // path.Match glob over the stored type, as a relay's filter reads it
	Since time.Time // last attempt at or after
}

// Check reports a malformed Type glob.
func (m DeadMatch) Check() error {
	if _, err := path.Match(m.Type, ""); err != nil {
		return fmt.Errorf("type glob %q: %w", m.Type, err)
	}
	return nil
}

func (m DeadMatch) keep(msg redis.XMessage) bool {
	if m.Type != "" {
		typ, _ := msg.Values[fieldType].(string)
		if ok, _ := path.Match(m.Type, typ); !ok {
			return false
		}
	}
	if !m.Since.IsZero() {
		last, _ := msg.Values[deadField+"last_attempt"].(string)
		ms, err := strconv.ParseInt(last, 10, 64)
		if err != nil || ms < m.Since.UnixMilli() {
			return false
		}
	}
	return true
}

// each applies do to every dead letter present when it starts, page by
// page. It pages forward rather than re-reading from the start: with the
// target still failing, a replayed event comes back as a new dead letter,
// and a loop until empty would never end.
// keep, when not nil, picks the letters of each page do is applied to.
func (d *DeadLetters) each(ctx context.Context, keep func(redis.XMessage) bool, do func(context.Context, ...string) (int, error)) (int, error) {
	last, err := d.rdb.XRevRangeN(ctx, d.dead, "+", "-", 1).Result()
	if err != nil || len(last) == 0 {
		return 0, err
	}
	total, start := 0, "-"
	for {
		msgs, err := d.rdb.XRangeN(ctx, d.dead, start, last[0].ID, batchSize).Result()
		if err != nil {
			return total, fmt.Errorf("reading dead letters: %w", err)
		}
		if len(msgs) == 0 {
			return total, nil
		}
		ids := make([]string, 0, len(msgs))
		for _, m := range msgs {
			if keep == nil || keep(m) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			n, err := do(ctx, ids...)
			total += n
			if err != nil {
				return total, err
			}
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}
