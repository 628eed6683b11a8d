package relay

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
)

// Every move of an entry between the stream, the retry schedule and the
// dead-letter stream happens here, each as one script: a process killed
// between any two instructions leaves the entry in exactly one place. A
// relay with order_by gates and releases its keys in these same scripts
// (ordered.go).

var (
	//go:embed lua/schedule.lua
	scheduleLua string
	//go:embed lua/dead.lua
	deadLua string
	//go:embed lua/take.lua
	takeLua string
	//go:embed lua/reclaim.lua
	reclaimLua string
	//go:embed lua/own.lua
	ownLua string
	//go:embed lua/forget.lua
	forgetLua string

	scheduleScript = redis.NewScript(scheduleLua)
	deadScript     = redis.NewScript(deadLua)
	takeScript     = redis.NewScript(takeLua)
	reclaimScript  = redis.NewScript(reclaimLua)
	ownScript      = redis.NewScript(ownLua)
	forgetScript   = redis.NewScript(forgetLua)
)

// job is one entry in a worker's hands.
type job struct {
	m      *moves         // the moves of its partition
	stream string         // the stream key it was read from
	id     string         // its entry id there
	values map[string]any // its fields
	record attempts       // what earlier attempts did
	held   time.Time      // when this relay got it from Redis
	// For a job of an ordered key: its queue, and its element there.
	queue, elem string
	// next is the entry of the same key that finishing this one claimed.
	next *job
	// decoded is the stored event, once decoded for its ordering key.
	decoded *event.Stored
	// acking: handed to the acker, which lets go of it once its ack ran.
	acking bool
}

func (j *job) member() string { return j.stream + "|" + j.id }

// attempts is the durable record of a job's delivery attempts.
type attempts struct {
	count       int
	first, last time.Time
	status      int    // last HTTP status, 0 for none
	err         string // last error, short
	body        string // last response body, first 1 KiB (kept in memory only until dead-lettered)
}

func (a attempts) encode() string {
	return fmt.Sprintf("%d|%d|%d|%d|%s", a.count, a.first.UnixMilli(), a.last.UnixMilli(), a.status, a.err)
}

func decodeAttempts(s string) attempts {
	parts := strings.SplitN(s, "|", 5)
	if len(parts) != 5 {
		return attempts{}
	}
	var a attempts
	a.count, _ = strconv.Atoi(parts[0])
	first, _ := strconv.ParseInt(parts[1], 10, 64)
	last, _ := strconv.ParseInt(parts[2], 10, 64)
	if first > 0 {
		a.first, a.last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	}
	a.status, _ = strconv.Atoi(parts[3])
	a.err = parts[4]
	return a
}

// moves runs the scripts for one relay.
type moves struct {
	keys     Keys // of its partition
	rdb      redis.UniversalClient
	group    string
	consumer string
	retry    string
	attempts string
	dead     string
	replay   string
	streams  []string // the main stream and the replay stream
	order    *order   // nil for an unordered relay
	// grouped is set once this partition's group was seen to exist, so
	// one that disappears later is told apart from one never created.
	grouped atomic.Bool
	// admitting carries an ordered relay's batches to its admitter.
	admitting chan []*job
	// claimant names who takes the next entry of a key its head's finish
	// releases: this consumer, or "" once stopping.
	claimant func() string
}

func newMoves(rdb redis.UniversalClient, k Keys, group, consumer string) *moves {
	m := &moves{
		keys: k, rdb: rdb, group: group, consumer: consumer,
		retry: k.Retry(group), attempts: k.Attempts(group), dead: k.Dead(group), replay: k.Replay(group),
		streams: []string{k.Stream(), k.Replay(group)},
	}
	m.claimant = func() string { return consumer }
	return m
}

// delFlag deletes replayed entries once finished: only this relay reads
// the replay stream, so nothing else needs them.
func (m *moves) delFlag(j *job) string {
	if j.stream == m.replay {
		return "del"
	}
	return ""
}

// schedule records an attempt and when to try again.
func (m *moves) schedule(ctx context.Context, j *job, due time.Time) error {
	return scheduleScript.Run(ctx, m.rdb, []string{m.retry, m.attempts},
		due.UnixMilli(), j.member(), j.record.encode()).Err()
}

// deadLetter moves a job with its attempt record to the dead stream.
func (m *moves) deadLetter(ctx context.Context, j *job) error {
	args := []any{m.group, j.id, j.member(), m.delFlag(j)}
	for k, v := range j.values {
		if !strings.HasPrefix(k, deadField) {
			args = append(args, k, v)
		}
	}
	a := j.record
	args = append(args,
		deadField+"attempts", a.count,
		deadField+"status", a.status,
		deadField+"error", a.err,
		deadField+"body", a.body,
		deadField+"first_attempt", a.first.UnixMilli(),
		deadField+"last_attempt", a.last.UnixMilli(),
		deadField+"entry", j.id,
	)
	if j.queue != "" {
		return m.deadOrdered(ctx, j, m.claimant(), args[4:])
	}
	err := deadScript.Run(ctx, m.rdb, []string{j.stream, m.retry, m.attempts, m.dead}, args...).Err()
	if errors.Is(err, redis.Nil) {
		return nil // finished before
	}
	return err
}

// take claims up to limit due retries.
func (m *moves) take(ctx context.Context, now time.Time, limit int) ([]*job, error) {
	keys := append([]string{m.retry, m.attempts}, m.streams...)
	res, err := takeScript.Run(ctx, m.rdb, keys, m.group, m.consumer, now.UnixMilli(), limit).Slice()
	if err != nil {
		return nil, err
	}
	return m.claimedJobs(res, now)
}

// reclaim claims up to limit entries of stream idle past minIdle that are
// not waiting for a scheduled retry, scanning from cursor ("" for the
// start); it returns the cursor to go on from.
func (m *moves) reclaim(ctx context.Context, stream, cursor string, minIdle time.Duration, limit int, now time.Time) ([]*job, string, error) {
	if cursor == "" {
		cursor = "-"
	}
	res, err := reclaimScript.Run(ctx, m.rdb, []string{stream, m.retry, m.attempts},
		m.group, m.consumer, minIdle.Milliseconds(), limit, max(10*limit, 100), cursor).Slice()
	if err != nil {
		return nil, cursor, err
	}
	if len(res) != 2 {
		return nil, cursor, fmt.Errorf("unexpected reclaim reply of %d parts", len(res))
	}
	next, _ := res[0].(string)
	claimed, _ := res[1].([]any)
	jobs, err := m.claimedJobs(claimed, now)
	return jobs, next, err
}

// claimedJobs reads the {stream, entry, attempt record} triples that
// take.lua and reclaim.lua return.
func (m *moves) claimedJobs(res []any, now time.Time) ([]*job, error) {
	jobs := make([]*job, 0, len(res))
	for _, r := range res {
		triple, _ := r.([]any)
		if len(triple) != 3 {
			continue
		}
		stream, _ := triple[0].(string)
		entry, _ := triple[1].([]any)
		record, _ := triple[2].(string)
		if len(entry) != 2 {
			continue
		}
		id, _ := entry[0].(string)
		values, err := entryValues(entry[1])
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, &job{m: m, stream: stream, id: id, values: values, record: decodeAttempts(record), held: now})
	}
	return jobs, nil
}

// own reports whether j is still pending with this consumer, and if so
// resets its idle time.
func (m *moves) own(ctx context.Context, j *job) (bool, error) {
	n, err := ownScript.Run(ctx, m.rdb, []string{j.stream}, m.group, m.consumer, j.id).Int()
	return n == 1, err
}

// forget deletes consumer name of stream if nothing is pending with it.
func (m *moves) forget(ctx context.Context, stream, name string) error {
	return forgetScript.Run(ctx, m.rdb, []string{stream}, m.group, name).Err()
}

// entryValues turns a script's flat field/value array into a map.
func entryValues(v any) (map[string]any, error) {
	flat, ok := v.([]any)
	if !ok || len(flat)%2 != 0 {
		return nil, fmt.Errorf("unexpected entry shape %T", v)
	}
	values := make(map[string]any, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, _ := flat[i].(string)
		values[k] = flat[i+1]
	}
	return values, nil
}

// deadField prefixes the fields a dead letter adds to the original entry.
const deadField = "dead:"
