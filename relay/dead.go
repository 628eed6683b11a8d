package relay

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
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

// DeadLetters reads and replays one relay's dead-letter streams, one per
// partition. A dead letter of partition p > 0 is named "<p>/<id>": entry
// ids repeat across streams.
type DeadLetters struct {
	rdb   redis.UniversalClient
	parts []deadPart
}

type deadPart struct {
	dead, replay, retry, stream string
}

// NewDeadLetters names the dead-letter stream of relay name on keys' stream.
func NewDeadLetters(rdb redis.UniversalClient, keys Keys, name string) *DeadLetters {
	return NewDeadLettersOf(rdb, []Keys{keys}, name)
}

// NewDeadLettersOf names relay name's dead-letter streams of every
// partition in parts (Relay.Partitions), in partition order.
func NewDeadLettersOf(rdb redis.UniversalClient, parts []Keys, name string) *DeadLetters {
	d := &DeadLetters{rdb: rdb}
	for _, k := range parts {
		d.parts = append(d.parts, deadPart{dead: k.Dead(name), replay: k.Replay(name), retry: k.Retry(name), stream: k.Stream()})
	}
	return d
}

// IsDeadID says whether s names a dead letter: an entry id, or "<p>/" and
// one for partition p > 0.
func IsDeadID(s string) bool {
	_, id, ok := splitDeadID(s)
	return ok && IsEntryID(id)
}

func splitDeadID(s string) (part int, id string, ok bool) {
	p, rest, found := strings.Cut(s, "/")
	if !found {
		return 0, s, true
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n >= MaxPartitions || strconv.Itoa(n) != p {
		return 0, "", false
	}
	return n, rest, true
}

func deadID(part int, id string) string {
	if part == 0 {
		return id
	}
	return strconv.Itoa(part) + "/" + id
}

// List returns up to count dead letters, oldest first (by id, then
// partition), after the dead letter after ("" from the start).
func (d *DeadLetters) List(ctx context.Context, after string, count int64) ([]DeadLetter, error) {
	ap, aid, ok := splitDeadID(after)
	if !ok {
		return nil, fmt.Errorf("listing dead letters: %q names no dead letter", after)
	}
	type found struct {
		part int
		msg  redis.XMessage
	}
	var all []found
	for p, part := range d.parts {
		start := "-"
		switch {
		case after == "":
		case p <= ap:
			start = "(" + aid
		default:
			start = aid
		}
		msgs, err := d.rdb.XRangeN(ctx, part.dead, start, "+", count).Result()
		if err != nil {
			return nil, fmt.Errorf("listing dead letters: %w", err)
		}
		for _, m := range msgs {
			all = append(all, found{p, m})
		}
	}
	slices.SortStableFunc(all, func(a, b found) int { return compareEntryIDs(a.msg.ID, b.msg.ID) })
	out := make([]DeadLetter, 0, min(int64(len(all)), count))
	for _, f := range all[:min(int64(len(all)), count)] {
		l, err := deadLetterOf(f.msg)
		if err != nil {
			return nil, err
		}
		l.ID = deadID(f.part, f.msg.ID)
		out = append(out, l)
	}
	return out, nil
}

// compareEntryIDs orders stream entry ids as Redis does.
func compareEntryIDs(a, b string) int {
	ams, aseq, _ := strings.Cut(a, "-")
	bms, bseq, _ := strings.Cut(b, "-")
	an, _ := strconv.ParseUint(ams, 10, 64)
	bn, _ := strconv.ParseUint(bms, 10, 64)
	if an != bn {
		return cmp.Compare(an, bn)
	}
	as, _ := strconv.ParseUint(aseq, 10, 64)
	bs, _ := strconv.ParseUint(bseq, 10, 64)
	return cmp.Compare(as, bs)
}

// byPart sorts ids by the partition they name; ids of no partition of d
// are left out.
func (d *DeadLetters) byPart(ids []string) map[int][]string {
	out := map[int][]string{}
	for _, s := range ids {
		if p, id, ok := splitDeadID(s); ok && p < len(d.parts) {
			out[p] = append(out[p], id)
		}
	}
	return out
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
	for p, ids := range d.byPart(ids) {
		for chunk := range chunks(ids) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			n, err := replayScript.Run(ctx, d.rdb, []string{d.parts[p].dead, d.parts[p].replay}, args...).Int()
			total += n
			if err != nil {
				return total, fmt.Errorf("replaying dead letters: %w", err)
			}
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
	for p, ids := range d.byPart(ids) {
		part := d.parts[p]
		for chunk := range chunks(ids) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			n, err := purgeScript.Run(ctx, d.rdb, []string{part.dead, part.retry, part.stream}, args...).Int()
			total += n
			if err != nil {
				return total, fmt.Errorf("purging dead letters: %w", err)
			}
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
	total := 0
	for p, part := range d.parts {
		n, err := d.eachIn(ctx, p, part.dead, keep, do)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// eachIn is each over the dead stream of partition p.
func (d *DeadLetters) eachIn(ctx context.Context, p int, dead string, keep func(redis.XMessage) bool, do func(context.Context, ...string) (int, error)) (int, error) {
	last, err := d.rdb.XRevRangeN(ctx, dead, "+", "-", 1).Result()
	if err != nil || len(last) == 0 {
		return 0, err
	}
	total, start := 0, "-"
	for {
		msgs, err := d.rdb.XRangeN(ctx, dead, start, last[0].ID, batchSize).Result()
		if err != nil {
			return total, fmt.Errorf("reading dead letters: %w", err)
		}
		if len(msgs) == 0 {
			return total, nil
		}
		ids := make([]string, 0, len(msgs))
		for _, m := range msgs {
			if keep == nil || keep(m) {
				ids = append(ids, deadID(p, m.ID))
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
