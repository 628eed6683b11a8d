package caddymodule

import (
	"context"
	"net/http"

	"github.com/hookgate/caddy-hookgate/relay"
)

// statsReply is GET /hookgate/stats.
type statsReply struct {
	Streams []streamStats `json:"streams"`
}

type streamStats struct {
	Stream string       `json:"stream"`
	Length int64        `json:"length"`
	Relays []relayStats `json:"relays"`
}

// relayStats counts as relay.RelayStats does: lag is every entry the relay
// has not finished (unread, pending, in its replay stream), pending those
// read and not finished, scheduled included.
type relayStats struct {
	Relay     string          `json:"relay"`
	Lag       int64           `json:"lag"`
	Pending   int64           `json:"pending"`
	Scheduled int64           `json:"scheduled"`
	Dead      int64           `json:"dead"`
	Breaker   string          `json:"breaker"`
	Consumers []consumerStats `json:"consumers"`
}

type consumerStats struct {
	Name    string `json:"name"`
	Pending int64  `json:"pending"`
	IdleMS  int64  `json:"idle_ms"`
}

func serveStats(ctx context.Context, app *App, w http.ResponseWriter, _ *http.Request) error {
	reply := statsReply{Streams: []streamStats{}}
	for _, keys := range app.streams() {
		ss := streamStats{Stream: keys.Name(), Relays: []relayStats{}}
		for _, rr := range app.relays {
			if rr.relay.Keys().Name() != keys.Name() {
				continue
			}
			st, err := relay.ReadStatsOf(ctx, app.store.relays, rr.relay.Partitions(), rr.name)
			if err != nil {
				return redisError(err)
			}
			rs := relayStats{
				Relay: rr.name, Lag: st.Lag, Pending: st.Pending, Scheduled: st.Scheduled, Dead: st.Dead,
				Breaker: rr.relay.BreakerState(), Consumers: make([]consumerStats, len(st.Consumers)),
			}
			for i, c := range st.Consumers {
				rs.Consumers[i] = consumerStats{Name: c.Name, Pending: c.Pending, IdleMS: c.Idle.Milliseconds()}
			}
			ss.Relays = append(ss.Relays, rs)
		}
		n, err := relay.ReadStreamLengthOf(ctx, app.store.relays, app.partsOf(keys.Name()))
		if err != nil {
			return redisError(err)
		}
		ss.Length = n
		reply.Streams = append(reply.Streams, ss)
	}
	return writeJSON(w, reply)
}
