package relay

import (
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

var (
	//go:embed lua/trim.lua
	trimLua    string
	trimScript = redis.NewScript(trimLua)
	//go:embed lua/unblock.lua
	unblockLua    string
	unblockScript = redis.NewScript(releaseLua + unblockLua)
)

// heldBackWarnEvery spaces the warnings about a group that keeps the
// stream from being trimmed.
const heldBackWarnEvery = 10 * time.Minute

// trim applies retention: the dead-letter stream by age, the shared stream
// by age but never past what a group has not finished, whichever relay or
// process that group belongs to.
func (r *Relay) trim(m *moves) {
	now := r.now()
	minID := func(keep time.Duration) string {
		return strconv.FormatInt(max(now.Add(-keep).UnixMilli(), 0), 10) + "-0"
	}
	if m.order != nil && m.order.onDead == DeadBlocks {
		// Letters past retention release the keys they block first.
		if err := r.unblock(m, minID(r.cfg.Retention)); err != nil {
			if r.ctx.Err() == nil {
				r.logger.Warn("releasing the keys of dead letters past retention; trimming them later", zap.String("stream", m.dead), zap.Error(err))
			}
			return
		}
	}
	if err := r.rdb.XTrimMinIDApprox(r.ctx, m.dead, minID(r.cfg.Retention), 0).Err(); err != nil && r.ctx.Err() == nil {
		r.logger.Warn("trimming", zap.String("stream", m.dead), zap.Error(err))
	}
	stream := m.streams[0]
	res, err := trimScript.Run(r.ctx, r.rdb, []string{stream}, minID(r.cfg.StreamRetention)).Slice()
	if err != nil {
		if r.ctx.Err() == nil {
			r.logger.Warn("trimming", zap.String("stream", stream), zap.Error(err))
		}
		return
	}
	if len(res) == 2 {
		if group, _ := res[1].(string); group != "" && now.Sub(r.heldBack) >= heldBackWarnEvery {
			r.heldBack = now
			bound, _ := res[0].(string)
			r.logger.Warn("a consumer group has unfinished entries older than retention; the stream is kept from there "+
				"(a relay far behind, or one removed from the config: delete its group with XGROUP DESTROY)",
				zap.String("stream", stream), zap.String("group", group), zap.String("entry", bound))
		}
	}
}

// unblock releases the keys that dead letters of m older than minID block,
// a page at a time.
func (r *Relay) unblock(m *moves, minID string) error {
	const page = 1000
	for start := "-"; ; {
		res, err := unblockScript.Run(r.ctx, r.rdb, []string{m.dead, m.retry, m.streams[0]}, minID, page, start).Slice()
		if err != nil {
			return err
		}
		if len(res) != 2 {
			return fmt.Errorf("unexpected unblock reply of %d parts", len(res))
		}
		n, _ := res[0].(int64)
		last, _ := res[1].(string)
		if n < page {
			return nil
		}
		start = "(" + last
	}
}
