package relay

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// buildParts makes the moves of partitions from to n-1 and starts an
// ordered relay's admitters.
func (r *Relay) buildParts(from, n int) []*moves {
	var out []*moves
	for p := from; p < n; p++ {
		m := newMoves(r.rdb, r.cfg.Keys.Partition(p), r.cfg.Name, r.consumer)
		m.claimant = func() string {
			if r.ctx.Err() != nil {
				return ""
			}
			return r.consumer
		}
		if r.cfg.OrderBy.Ordered() {
			m.order = &order{by: r.cfg.OrderBy, onDead: r.cfg.OnDead, keys: r.cfg.Keys.Partition(p), relay: r.cfg.Name, park: r.cfg.ClaimAfter}
			m.admitting = make(chan []*job, 2)
			r.readers.Add(1)
			go func() { defer r.readers.Done(); r.guard("admit", func() { r.admitter(m) }) }()
		}
		out = append(out, m)
	}
	return out
}

// allParts is every partition the relay reads now.
func (r *Relay) allParts() []*moves { return *r.parts.Load() }

// discover reads how many partitions hold the stream's entries: the
// widest of its layouts and the configured one, so the partitions of a
// layout given up drain. It waits for Redis, and reports false when
// stopped first.
func (r *Relay) discover() bool {
	select {
	case <-r.ready:
		return true
	default:
	}
	for {
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		widest, err := Partitions(ctx, r.rdb, r.cfg.Keys, r.cfg.Partitions)
		if err == nil {
			r.groupStart, err = r.recordStart(ctx)
		}
		cancel()
		if err == nil {
			if widest > r.cfg.Partitions {
				r.logger.Info("reading the partitions of an earlier layout too, so they drain",
					zap.Int("partitions", r.cfg.Partitions), zap.Int("reading", widest))
			}
			parts := r.buildParts(0, widest)
			r.parts.Store(&parts)
			close(r.ready)
			return true
		}
		if r.ctx.Err() != nil {
			return false
		}
		r.logger.Warn("reading the stream's partition layouts; retrying", zap.Error(err))
		if !r.pause(time.Second) {
			return false
		}
	}
}

// recordStart returns where the relay's groups begin, recording it the
// first time: its start (cfg.Start) when its group does not exist on
// partition 0 yet, so every partition, whenever its group is created and
// by whichever process, begins at the same point and a new relay sends no
// history; "0-0" for a group that predates the record, since what it has
// not seen in a partition created later was stored after it began. A
// relay whose group is gone from partition 0 (deleted, or new again under
// an old name) records its start anew.
func (r *Relay) recordStart(ctx context.Context) (string, error) {
	key := r.cfg.Keys.Starts()
	exists, err := r.groupExists(ctx, r.cfg.Keys.Partition(0).Stream())
	if err != nil {
		return "", err
	}
	if !exists {
		if err := r.rdb.HSet(ctx, key, r.cfg.Name, r.cfg.Start.groupID(r.started)).Err(); err != nil {
			return "", err
		}
	} else if err := r.rdb.HSetNX(ctx, key, r.cfg.Name, "0-0").Err(); err != nil {
		return "", err
	}
	return r.rdb.HGet(ctx, key, r.cfg.Name).Result()
}

// groupExists says whether the relay's group reads stream.
func (r *Relay) groupExists(ctx context.Context, stream string) (bool, error) {
	groups, err := r.rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		if missing(err) {
			return false, nil
		}
		return false, err
	}
	for _, g := range groups {
		if g.Name == r.cfg.Name {
			return true, nil
		}
	}
	return false, nil
}

// layoutEvery is how often a running relay looks for a wider layout.
const layoutEvery = 5 * time.Second

// watchLayouts reads the partitions of a layout that appears while the
// relay runs (another process ingesting with more partitions), from their
// beginning.
func (r *Relay) watchLayouts() {
	if !r.known() {
		return
	}
	for r.pause(layoutEvery) {
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		widest, err := Partitions(ctx, r.rdb, r.cfg.Keys, r.cfg.Partitions)
		cancel()
		have := r.allParts()
		if err != nil || widest <= len(have) {
			continue
		}
		r.logger.Info("a layout with more partitions appeared; reading them too",
			zap.Int("reading", len(have)), zap.Int("partitions", widest))
		added := r.buildParts(len(have), widest)
		all := append(append([]*moves(nil), have...), added...)
		r.parts.Store(&all)
		for _, m := range added {
			r.readers.Add(1)
			go func() { defer r.readers.Done(); r.guard("read", func() { r.readPart(m) }) }()
		}
	}
}

// known waits until the partitions are known; false when stopped first.
func (r *Relay) known() bool {
	select {
	case <-r.ready:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// Partitions names the keys of every partition the relay reads; before it
// has found them (Redis down since start), those of the configured count.
func (r *Relay) Partitions() []Keys {
	select {
	case <-r.ready:
		parts := r.allParts()
		out := make([]Keys, len(parts))
		for i, m := range parts {
			out[i] = m.keys
		}
		return out
	default:
	}
	out := make([]Keys, max(r.cfg.Partitions, 1))
	for p := range out {
		out[p] = r.cfg.Keys.Partition(p)
	}
	return out
}
