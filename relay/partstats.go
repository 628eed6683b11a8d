package relay

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The admin views of a partitioned stream: each reads every partition and
// adds them up, so an operator sees one relay, not its partitions.

// ReadStatsOf is ReadStats summed over parts (Relay.Partitions).
func ReadStatsOf(ctx context.Context, rdb redis.UniversalClient, parts []Keys, name string) (RelayStats, error) {
	var all RelayStats
	byName := map[string]ConsumerStats{}
	for i, k := range parts {
		st, err := ReadStats(ctx, rdb, k, name)
		if err != nil {
			return st, err
		}
		if i == 0 {
			all = st
		} else {
			all.Length += st.Length
			all.Lag += st.Lag
			all.Pending += st.Pending
			all.Scheduled += st.Scheduled
			all.Dead += st.Dead
		}
		for _, c := range st.Consumers {
			cs, seen := byName[c.Name]
			if !seen || c.Idle < cs.Idle {
				cs.Idle = c.Idle
			}
			cs.Name, cs.Pending = c.Name, cs.Pending+c.Pending
			byName[c.Name] = cs
		}
	}
	all.Consumers = all.Consumers[:0]
	for _, c := range byName {
		all.Consumers = append(all.Consumers, c)
	}
	slices.SortFunc(all.Consumers, func(a, b ConsumerStats) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
}

// ReadStreamLengthOf is ReadStreamLength summed over parts.
func ReadStreamLengthOf(ctx context.Context, rdb redis.UniversalClient, parts []Keys) (int64, error) {
	var total int64
	for _, k := range parts {
		n, err := ReadStreamLength(ctx, rdb, k)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// RedeliverOf is Redeliver over every partition of parts.
func RedeliverOf(ctx context.Context, rdb redis.UniversalClient, parts []Keys, name string, from, to time.Time) (int, error) {
	total := 0
	for _, k := range parts {
		n, err := Redeliver(ctx, rdb, k, name, from, to)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// RedeliverIDsOf is RedeliverIDs over every partition: an entry id names
// an entry of one partition, and the others skip it.
func RedeliverIDsOf(ctx context.Context, rdb redis.UniversalClient, parts []Keys, name string, ids []string) (int, error) {
	total := 0
	for _, k := range parts {
		n, err := RedeliverIDs(ctx, rdb, k, name, ids)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
