package caddymodule

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/relay"
)

// How the gauges read from Redis behave at scrape time: a snapshot is
// reused for gaugeMaxAge; an older one is refreshed, and a scrape waits at
// most gaugeWait for that before it serves the snapshot it has. A slow or
// paused Redis so never stalls /metrics, and stats_age_seconds says how
// old the figures are.
const (
	gaugeMaxAge  = time.Second
	gaugeWait    = 250 * time.Millisecond
	gaugeTimeout = 5 * time.Second // one refresh, all relays and streams
)

var (
	descLag       = prometheus.NewDesc("hookgate_relay_lag", "Entries the relay has not finished: unread, pending (in flight or waiting for a retry) and replayed.", []string{"relay"}, nil)
	descPending   = prometheus.NewDesc("hookgate_relay_pending", "Entries read by the relay's group and not finished, scheduled retries included.", []string{"relay"}, nil)
	descScheduled = prometheus.NewDesc("hookgate_relay_scheduled", "Entries waiting for their next attempt's due time.", []string{"relay"}, nil)
	descDead      = prometheus.NewDesc("hookgate_relay_dead", "Entries in the relay's dead-letter stream.", []string{"relay"}, nil)
	descBreaker   = prometheus.NewDesc("hookgate_relay_breaker_open", "1 while this process's circuit breaker for the relay's target is open or half-open.", []string{"relay"}, nil)
	descLength    = prometheus.NewDesc("hookgate_stream_length", "Entries in the stream, every relay's together.", []string{"stream"}, nil)
	descAge       = prometheus.NewDesc("hookgate_stats_age_seconds", "Age of the figures read from Redis that this scrape shows; grows while Redis does not answer.", nil, nil)
)

// gauges is the collector of the figures read from Redis at scrape time,
// for one config's relays and streams.
type gauges struct {
	rdb    redis.UniversalClient
	relays []*relay.Relay

	mu      sync.Mutex
	streams map[string][]relay.Keys // each partition, by stream name
	snap    snapshot
	running chan struct{} // closed when the refresh in flight ends; nil when none
}

type snapshot struct {
	at      time.Time
	relays  map[string]relay.RelayStats
	lengths map[string]int64
}

// stream adds a stream whose length is shown.
func (g *gauges) stream(name string, keys []relay.Keys) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.streams == nil {
		g.streams = map[string][]relay.Keys{}
	}
	g.streams[name] = keys
}

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descPending, descScheduled, descDead, descBreaker, descLength, descAge} {
		ch <- d
	}
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	snap := g.fresh()
	for _, r := range g.relays {
		open := 0.0
		if r.BreakerState() != relay.BreakerClosed {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(descBreaker, prometheus.GaugeValue, open, r.Name())
		st, ok := snap.relays[r.Name()]
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(st.Lag), r.Name())
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending), r.Name())
		ch <- prometheus.MustNewConstMetric(descScheduled, prometheus.GaugeValue, float64(st.Scheduled), r.Name())
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.Dead), r.Name())
	}
	for name, n := range snap.lengths {
		ch <- prometheus.MustNewConstMetric(descLength, prometheus.GaugeValue, float64(n), name)
	}
	if !snap.at.IsZero() {
		ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, time.Since(snap.at).Seconds())
	}
}

// fresh returns the snapshot, refreshed first if it is old and Redis
// answers within gaugeWait.
func (g *gauges) fresh() snapshot {
	g.mu.Lock()
	if time.Since(g.snap.at) > gaugeMaxAge && g.running == nil {
		g.running = make(chan struct{})
		go g.refresh(g.running)
	}
	running := g.running
	g.mu.Unlock()
	if running != nil {
		t := time.NewTimer(gaugeWait)
		select {
		case <-running:
		case <-t.C:
		}
		t.Stop()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.snap
}

// refresh reads every figure; a relay or stream that fails keeps no
// figure in the new snapshot rather than a wrong one, and a refresh that
// fails entirely keeps the old snapshot, whose age then shows.
func (g *gauges) refresh(done chan struct{}) {
	defer close(done)
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	g.mu.Lock()
	streams := make(map[string][]relay.Keys, len(g.streams))
	for k, v := range g.streams {
		streams[k] = v
	}
	g.mu.Unlock()
	next := snapshot{relays: map[string]relay.RelayStats{}, lengths: map[string]int64{}}
	read := 0
	for _, r := range g.relays {
		if st, err := relay.ReadStatsOf(ctx, g.rdb, r.Partitions(), r.Name()); err == nil {
			next.relays[r.Name()] = st
			read++
		}
	}
	for name, keys := range streams {
		if n, err := relay.ReadStreamLengthOf(ctx, g.rdb, keys); err == nil {
			next.lengths[name] = n
			read++
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if read > 0 || len(g.relays)+len(streams) == 0 {
		next.at = time.Now()
		g.snap = next
	}
	g.running = nil
}
