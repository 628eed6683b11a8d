package relay

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// setParts builds the moves of n partitions and lets the loops start.
func (r *Relay) setParts(n int) {
	for p := range n {
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
		r.parts = append(r.parts, m)
	}
	close(r.ready)
}

// discover reads, once, how many partitions hold the stream's entries:
// the widest of its layouts and the configured one, so the partitions of
// a layout given up drain. It waits for Redis, and reports false when
// stopped first.
func (r *Relay) discover() bool {
	select {
	case <-r.ready:
		return true
	default:
	}
	for {
		ctx, cancel := context.WithTimeout(r.ctx, 5*time.Second)
		_, widest, err := Partitions(ctx, r.rdb, r.cfg.Keys, r.cfg.Partitions)
		cancel()
		if err == nil {
			if widest > r.cfg.Partitions {
				r.logger.Info("reading the partitions of an earlier layout too, so they drain",
					zap.Int("partitions", r.cfg.Partitions), zap.Int("reading", widest))
			}
			r.setParts(widest)
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
		out := make([]Keys, len(r.parts))
		for i, m := range r.parts {
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
