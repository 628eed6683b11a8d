package relay

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/redeliver.lua
	redeliverLua    string
	redeliverScript = redis.NewScript(redeliverLua)
)

// batchSize is how many entries one bulk script call (replay, purge,
// redeliver, lookup) handles: each call holds Redis a few milliseconds at
// most, so thousands of entries never stall ingest.
const batchSize = 200

// Redeliver sends the events stored in keys' stream between from and to
// (both included, to the millisecond) to relay name again, through its
// replay stream: the relay delivers them once more, with fresh attempts,
// and no other relay on the stream sees them. Entries the relay has not
// delivered yet are sent twice; receivers dedupe by Idempotency-Key. It
// returns how many were queued, also when ctx ends midway.
func Redeliver(ctx context.Context, rdb redis.UniversalClient, keys Keys, name string, from, to time.Time) (int, error) {
	start := strconv.FormatInt(max(from.UnixMilli(), 0), 10)
	end := strconv.FormatInt(max(to.UnixMilli(), 0), 10)
	total := 0
	for {
		res, err := redeliverScript.Run(ctx, rdb, []string{keys.Stream(), keys.Replay(name)},
			"range", start, end, batchSize).Slice()
		n, last, perr := copied(res, err)
		total += n
		if perr != nil {
			return total, fmt.Errorf("redelivering to relay %q: %w", name, perr)
		}
		if last == "" {
			return total, nil
		}
		start = "(" + last
	}
}

// RedeliverIDs is Redeliver for the stream entries with these ids; ids no
// longer stored are skipped.
func RedeliverIDs(ctx context.Context, rdb redis.UniversalClient, keys Keys, name string, ids []string) (int, error) {
	total := 0
	for chunk := range chunks(ids) {
		args := make([]any, 0, len(chunk)+1)
		args = append(args, "ids")
		for _, id := range chunk {
			args = append(args, id)
		}
		res, err := redeliverScript.Run(ctx, rdb, []string{keys.Stream(), keys.Replay(name)}, args...).Slice()
		n, _, err := copied(res, err)
		total += n
		if err != nil {
			return total, fmt.Errorf("redelivering to relay %q: %w", name, err)
		}
	}
	return total, nil
}

func copied(res []any, err error) (int, string, error) {
	if err != nil {
		return 0, "", err
	}
	if len(res) != 2 {
		return 0, "", fmt.Errorf("unexpected redeliver reply of %d parts", len(res))
	}
	n, _ := res[0].(int64)
	last, _ := res[1].(string)
	return int(n), last, nil
}

// chunks cuts ids into batches of batchSize.
func chunks(ids []string) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(ids) > 0 {
			n := min(len(ids), batchSize)
			if !yield(ids[:n]) {
				return
			}
			ids = ids[n:]
		}
	}
}

// IsEntryID says whether s is a stream entry id as Redis writes them,
// "<ms>-<seq>": an admin's typo is then refused before it reaches Redis.
func IsEntryID(s string) bool {
	_, _, ok := parseEntryID(s)
	return ok
}

func parseEntryID(s string) (ms, seq uint64, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ms, seq, err1 == nil && err2 == nil
}

// entryAfter reports whether entry id a comes after b; both are valid ids.
func entryAfter(a, b string) bool {
	am, as, _ := parseEntryID(a)
	bm, bs, _ := parseEntryID(b)
	return am > bm || (am == bm && as > bs)
}
