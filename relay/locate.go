package relay

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/locate.lua
	locateLua    string
	locateScript = redis.NewScript(locateLua)
)

// An event is found by scanning, newest first, rather than through its
// dedupe key: the key is per signer scope, which the admin asking does not
// know, it expires after dedupe_ttl while the stream keeps events for the
// retention, and making it hold the entry id would cost ingest a write per
// event. The scan runs in Redis, batch by batch, and sends back only ids.

// DefaultLocateLimit is how many of a stream's newest entries Locate looks
// through by default.
const DefaultLocateLimit = 100000

// locateBatch is how many entries one locate call looks at; short enough
// a pause for Redis.
const locateBatch = 500

// EventRef names one event as ingest stored it.
type EventRef struct {
	Source, Tenant, ID string
}

// StoredAt is where an event is in its stream.
type StoredAt struct {
	Stream     string // the stream's name
	Entry      string // its entry id
	ReceivedAt time.Time
}

// Locate looks for ref among the newest limit entries of keys' stream. It
// returns how many entries it looked at: fewer than limit when the stream
// is shorter.
func Locate(ctx context.Context, rdb redis.UniversalClient, keys Keys, ref EventRef, limit int) (StoredAt, bool, int, error) {
	id, scanned, err := scan(ctx, rdb, keys.Stream(), ref, limit)
	if err != nil || id == "" {
		return StoredAt{}, false, scanned, err
	}
	msgs, err := rdb.XRange(ctx, keys.Stream(), id, id).Result()
	if err != nil {
		return StoredAt{}, false, scanned, fmt.Errorf("reading entry %s: %w", id, err)
	}
	if len(msgs) == 0 {
		return StoredAt{}, false, scanned, nil // trimmed just now
	}
	at := StoredAt{Stream: keys.Name(), Entry: id}
	if ms, err := strconv.ParseInt(fmt.Sprint(msgs[0].Values[fieldReceivedAt]), 10, 64); err == nil {
		at.ReceivedAt = time.UnixMilli(ms).UTC()
	}
	return at, true, scanned, nil
}

// scan finds the newest entry of stream key that stores ref, looking at no
// more than limit entries; "" when none does.
func scan(ctx context.Context, rdb redis.UniversalClient, key string, ref EventRef, limit int) (string, int, error) {
	end, scanned := "+", 0
	for scanned < limit {
		res, err := locateScript.Run(ctx, rdb, []string{key}, end, min(locateBatch, limit-scanned),
			ref.Source, ref.Tenant, ref.ID).Slice()
		if err != nil {
			return "", scanned, fmt.Errorf("looking for event %s in %s: %w", ref.ID, key, err)
		}
		if len(res) != 3 {
			return "", scanned, fmt.Errorf("unexpected locate reply of %d parts", len(res))
		}
		found, _ := res[0].(string)
		next, _ := res[1].(string)
		n, _ := res[2].(int64)
		scanned += int(n)
		if found != "" || next == "" {
			return found, scanned, nil
		}
		end = next
	}
	return "", scanned, nil
}

// States of an event for one relay.
const (
	// StateDelivered: the relay's group has gone past the entry and holds
	// nothing of it: delivered, or acked unsent by the relay's filter.
	StateDelivered = "delivered"
	// StatePending: not delivered yet, with no retry scheduled: not read
	// yet, being attempted, or waiting in the relay's replay stream.
	StatePending = "pending"
	// StateScheduled: waiting for the due time of its next attempt.
	StateScheduled = "scheduled"
	// StateDead: in the relay's dead-letter stream.
	StateDead = "dead"
)

// EventState is where one event stands for one relay.
type EventState struct {
	Relay       string
	State       string    // one of the State constants
	NextAttempt time.Time // when scheduled
	Attempts    int       // attempts made so far, or at the end
	Status      int       // last HTTP status, 0 when none came
	Error       string    // last error
	DeadID      string    // its id in the dead-letter stream, when dead
}

// LocateIn tells where ref stands for relay name. entry is its id in keys'
// stream, "" when the stream no longer holds it; the replay and dead-letter
// streams are looked through, newest limit entries each, for the event
// itself, since a replayed or redelivered copy has an id of its own. found
// is false when the relay holds nothing of an event no longer stored.
func LocateIn(ctx context.Context, rdb redis.UniversalClient, keys Keys, name string, ref EventRef, entry string, limit int) (EventState, bool, error) {
	st := EventState{Relay: name}
	wrap := func(err error) error { return fmt.Errorf("locating event %s for relay %q: %w", ref.ID, name, err) }
	if entry != "" {
		held, err := heldIn(ctx, rdb, keys, name, keys.Stream(), entry, &st)
		if err != nil || held {
			return st, held, err
		}
	}
	copyID, _, err := scan(ctx, rdb, keys.Replay(name), ref, limit)
	if err != nil {
		return st, false, wrap(err)
	}
	if copyID != "" {
		held, err := heldIn(ctx, rdb, keys, name, keys.Replay(name), copyID, &st)
		if err != nil || held {
			return st, held, err
		}
		// Finished between the scan and the look: read on.
	}
	deadID, _, err := scan(ctx, rdb, keys.Dead(name), ref, limit)
	if err != nil {
		return st, false, wrap(err)
	}
	if deadID != "" {
		msgs, err := rdb.XRange(ctx, keys.Dead(name), deadID, deadID).Result()
		if err != nil {
			return st, false, wrap(err)
		}
		if len(msgs) == 1 {
			l, err := deadLetterOf(msgs[0])
			if err != nil {
				return st, false, wrap(err)
			}
			st.State, st.DeadID = StateDead, l.ID
			st.Attempts, st.Status, st.Error = l.Attempts, l.Status, l.Error
			return st, true, nil
		}
	}
	if entry == "" {
		return st, false, nil
	}
	groups, err := rdb.XInfoGroups(ctx, keys.Stream()).Result()
	if err != nil && !missing(err) {
		return st, false, wrap(err)
	}
	st.State = StatePending // its group does not exist yet, or has not read it
	for _, g := range groups {
		if g.Name == name && !entryAfter(entry, g.LastDeliveredID) {
			st.State = StateDelivered
		}
	}
	return st, true, nil
}

// heldIn fills st when entry id of stream is scheduled or pending with
// relay name's group.
func heldIn(ctx context.Context, rdb redis.UniversalClient, keys Keys, name, stream, id string, st *EventState) (bool, error) {
	member := stream + "|" + id
	pipe := rdb.Pipeline()
	due := pipe.ZScore(ctx, keys.Retry(name), member)
	record := pipe.HGet(ctx, keys.Attempts(name), member)
	pending := pipe.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: name, Start: id, End: id, Count: 1})
	_, _ = pipe.Exec(ctx) // each command's error is looked at below
	for _, c := range []redis.Cmder{due, record, pending} {
		if err := c.Err(); err != nil && !missing(err) {
			return false, fmt.Errorf("reading the state of entry %s: %w", id, err)
		}
	}
	a := decodeAttempts(record.Val())
	st.Attempts, st.Status, st.Error = a.count, a.status, a.err
	switch {
	case due.Err() == nil:
		st.State, st.NextAttempt = StateScheduled, time.UnixMilli(int64(due.Val())).UTC()
	case len(pending.Val()) == 1:
		st.State = StatePending
	case stream == keys.Replay(name):
		// Every replay stream entry is deleted once finished: still there
		// means not read yet.
		msgs, err := rdb.XRange(ctx, stream, id, id).Result()
		if err != nil {
			return false, fmt.Errorf("reading the state of entry %s: %w", id, err)
		}
		if len(msgs) == 0 {
			return false, nil
		}
		st.State = StatePending
	default:
		return false, nil
	}
	return true, nil
}
