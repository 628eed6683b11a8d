package relay

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/count.lua
	countLua    string
	countScript = redis.NewScript(countLua)
)

// RelayStats is what one relay has still to do, read from Redis.
type RelayStats struct {
	Relay  string
	Stream string // the stream's name
	Length int64  // entries in the stream, every relay's together
	// Lag is every entry this relay has not finished: those its group has
	// not read yet, those read and pending (in flight or waiting for a
	// retry), and those in its replay stream. An entry finished is one
	// delivered, filtered out or dead-lettered.
	Lag int64
	// Pending is the entries read and not finished, scheduled retries
	// included, in the stream and the replay stream.
	Pending int64
	// Scheduled is the entries waiting for their next attempt's due time.
	Scheduled int64
	// Dead is the entries in the dead-letter stream.
	Dead      int64
	Consumers []ConsumerStats // by name
}

// ConsumerStats is one consumer of a relay's group: one process's relay.
type ConsumerStats struct {
	Name    string
	Pending int64
	Idle    time.Duration // since it last read or claimed
}

// lagCountBound bounds the fallback count of unread entries when Redis
// cannot tell a group's lag; past it Lag is a lower bound.
const lagCountBound = 10000

// ReadStats reads relay name's stats on keys' stream in one round trip
// (two when Redis cannot tell the group's lag). A stream or group that does
// not exist yet counts as empty. ctx bounds it.
func ReadStats(ctx context.Context, rdb redis.UniversalClient, keys Keys, name string) (RelayStats, error) {
	st := RelayStats{Relay: name, Stream: keys.Name(), Consumers: []ConsumerStats{}}
	pipe := rdb.Pipeline()
	length := pipe.XLen(ctx, keys.Stream())
	groups := pipe.XInfoGroups(ctx, keys.Stream())
	replayLen := pipe.XLen(ctx, keys.Replay(name))
	replayGroups := pipe.XInfoGroups(ctx, keys.Replay(name))
	scheduled := pipe.ZCard(ctx, keys.Retry(name))
	dead := pipe.XLen(ctx, keys.Dead(name))
	consumers := pipe.XInfoConsumers(ctx, keys.Stream(), name)
	replayConsumers := pipe.XInfoConsumers(ctx, keys.Replay(name), name)
	_, _ = pipe.Exec(ctx) // each command's error is looked at below
	for _, c := range []redis.Cmder{length, replayLen, scheduled, dead} {
		if err := c.Err(); err != nil {
			return st, fmt.Errorf("reading stats of relay %q: %w", name, err)
		}
	}
	st.Length, st.Scheduled, st.Dead = length.Val(), scheduled.Val(), dead.Val()
	g, err := groupOf(groups, name)
	if err != nil {
		return st, fmt.Errorf("reading stats of relay %q: %w", name, err)
	}
	rg, err := groupOf(replayGroups, name)
	if err != nil {
		return st, fmt.Errorf("reading stats of relay %q: %w", name, err)
	}
	st.Pending = g.Pending + rg.Pending
	unread := g.Lag
	if g.Name != "" && unread < 0 {
		if unread, err = countAfter(ctx, rdb, keys.Stream(), g.LastDeliveredID); err != nil {
			return st, fmt.Errorf("reading stats of relay %q: %w", name, err)
		}
	}
	// Every replay stream entry is deleted once finished, so its length is
	// exactly what is left there, read or not.
	st.Lag = max(unread, 0) + g.Pending + replayLen.Val()
	byName := map[string]ConsumerStats{}
	for _, cmd := range []*redis.XInfoConsumersCmd{consumers, replayConsumers} {
		list, err := cmd.Result()
		if err != nil && !missing(err) {
			return st, fmt.Errorf("reading consumers of relay %q: %w", name, err)
		}
		for _, c := range list {
			cs, seen := byName[c.Name]
			if !seen || c.Idle < cs.Idle {
				cs.Idle = c.Idle
			}
			cs.Name, cs.Pending = c.Name, cs.Pending+c.Pending
			byName[c.Name] = cs
		}
	}
	for _, c := range byName {
		st.Consumers = append(st.Consumers, c)
	}
	slices.SortFunc(st.Consumers, func(a, b ConsumerStats) int { return strings.Compare(a.Name, b.Name) })
	return st, nil
}

// ReadStreamLength is the number of entries in keys' stream.
func ReadStreamLength(ctx context.Context, rdb redis.UniversalClient, keys Keys) (int64, error) {
	n, err := rdb.XLen(ctx, keys.Stream()).Result()
	if err != nil {
		return 0, fmt.Errorf("reading the length of stream %q: %w", keys.Name(), err)
	}
	return n, nil
}

// groupOf picks group name from an XINFO GROUPS reply; a missing stream or
// group is the zero group (Name ""), nothing read and nothing pending.
func groupOf(cmd *redis.XInfoGroupsCmd, name string) (redis.XInfoGroup, error) {
	groups, err := cmd.Result()
	if err != nil {
		if missing(err) {
			return redis.XInfoGroup{}, nil
		}
		return redis.XInfoGroup{}, err
	}
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
	}
	return redis.XInfoGroup{}, nil
}

// missing says err is Redis's answer for a stream or group not created yet.
func missing(err error) bool {
	return errors.Is(err, redis.Nil) || redis.HasErrorPrefix(err, "NOGROUP") ||
		strings.Contains(err.Error(), "no such key")
}

// countAfter counts, up to lagCountBound, the entries of stream after id:
// Redis cannot tell a group's lag once entries were deleted within what it
// has yet to read.
func countAfter(ctx context.Context, rdb redis.UniversalClient, stream, id string) (int64, error) {
	var total int64
	cursor := "(" + id
	for total < lagCountBound {
		res, err := countScript.Run(ctx, rdb, []string{stream}, cursor, 1000).Slice()
		if err != nil {
			return total, err
		}
		if len(res) != 2 {
			return total, fmt.Errorf("unexpected count reply of %d parts", len(res))
		}
		n, _ := res[0].(int64)
		total += n
		next, _ := res[1].(string)
		if next == "" {
			break
		}
		cursor = "(" + next
	}
	return total, nil
}

// Name is the relay's name: its consumer group.
func (r *Relay) Name() string { return r.cfg.Name }

// Keys names the keys of the stream the relay reads.
func (r *Relay) Keys() Keys { return r.cfg.Keys }

// BreakerState is this process's breaker for the relay's target:
// BreakerClosed, BreakerOpen or BreakerHalfOpen. Each process keeps its
// own, so another process may see the target otherwise.
func (r *Relay) BreakerState() string { return r.breaker.state() }
