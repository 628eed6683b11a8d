package caddymodule

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

// StreamConfig is the layout of one stream (the hookgate block's
// "stream <name> { ... }").
type StreamConfig struct {
	// Partitions splits the stream into that many streams, each its own
	// Redis key with its own hash tag, so a Cluster spreads them over its
	// masters. Default 1: the layout of a stream without a block. It may
	// change on a live system: old partitions drain, and a copy of an
	// event stored under the old count is a duplicate under the new.
	Partitions int `json:"partitions,omitempty"`
	// Retention is the age past which the stream's entries are trimmed
	// once every relay finished them: the window for redelivery and event
	// lookup. Default the longest retention set on a relay reading it,
	// else 24h.
	Retention caddy.Duration `json:"retention,omitempty"`
}

// DefaultStreamRetention is how long a finished entry stays for redelivery
// and lookup. A retained 2 KB event costs Redis about 2.8 KB of RAM
// (bench/RESULTS.md): at 100 events/s a day is 24 GiB, a week 160.
const DefaultStreamRetention = 24 * time.Hour

// parseStream reads "stream <name> { partitions <n>; retention <d> }".
func parseStream(d *caddyfile.Dispenser, app *App) error {
	var name string
	if err := singleArg(d, &name); err != nil {
		return err
	}
	if _, err := relay.NewKeys("hookgate", name); err != nil {
		return d.WrapErr(err)
	}
	if _, dup := app.Streams[name]; dup {
		return d.Errf("stream %s is configured twice", name)
	}
	var sc StreamConfig
	for d.NextBlock(1) {
		switch d.Val() {
		case "partitions":
			if err := countArg(d, &sc.Partitions); err != nil {
				return err
			}
			if sc.Partitions > relay.MaxPartitions {
				return d.Errf("partitions must be at most %d", relay.MaxPartitions)
			}
		case "retention":
			if err := durationArg(d, &sc.Retention); err != nil {
				return err
			}
		default:
			return d.Errf("unknown stream option %q (want partitions or retention)", d.Val())
		}
	}
	if app.Streams == nil {
		app.Streams = map[string]*StreamConfig{}
	}
	app.Streams[name] = &sc
	return nil
}

// partitionsOf is how many partitions stream is ingested into.
func (a *App) partitionsOf(stream string) int {
	if sc := a.Streams[stream]; sc != nil {
		return max(sc.Partitions, 1)
	}
	return 1
}

// partsOf names every partition of stream: those a relay on it reads
// (every layout's), else those of the configured count.
func (a *App) partsOf(stream string) []relay.Keys {
	for _, r := range a.relays {
		if r.stream == stream {
			return r.relay.Partitions()
		}
	}
	keys, err := relay.NewKeys(a.Prefix, stream)
	if err != nil {
		return nil
	}
	out := make([]relay.Keys, a.partitionsOf(stream))
	for p := range out {
		out[p] = keys.Partition(p)
	}
	return out
}

// placedBy is the ordering key a stream's events are placed by: that of
// its ordered relays (checkOrdering makes them agree on a partitioned
// stream), or none.
func (a *App) placedBy(stream string) relay.OrderBy {
	for _, rc := range a.Relays {
		if cmp.Or(rc.Stream, DefaultStream) == stream && rc.OrderBy != "" {
			if by, err := relay.ParseOrderBy(rc.OrderBy); err == nil {
				return by
			}
		}
	}
	return relay.OrderBy{}
}

// placements holds one Placement per stream of the config, shared by its
// routes, and runs their refreshers while the app runs.
type placements struct {
	mu     sync.Mutex
	byName map[string]*relay.Placement
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// placementEvery is how often a process records its layout and reads the
// others: a new layout is seen by the other processes within it.
const placementEvery = 5 * time.Second

// placement is the Placement of stream, widened to cover window (a
// route's dedupe TTL).
func (a *App) placement(stream string, keys relay.Keys, window time.Duration) *relay.Placement {
	if a.places == nil {
		// Routes are provisioned one after another, after the app.
		a.places = &placements{byName: map[string]*relay.Placement{}}
	}
	a.places.mu.Lock()
	defer a.places.mu.Unlock()
	p := a.places.byName[stream]
	if p == nil {
		p = relay.NewPlacement(keys, a.partitionsOf(stream), a.placedBy(stream), window)
		a.places.byName[stream] = p
	}
	p.Widen(window)
	return p
}

// startPlacements runs every stream's refresher on the ingest client.
func (a *App) startPlacements() {
	if a.places == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.places.cancel = cancel
	a.places.mu.Lock()
	defer a.places.mu.Unlock()
	for name, p := range a.places.byName {
		a.places.done.Add(1)
		go func() {
			defer a.places.done.Done()
			p.Run(ctx, a.store.rdb, placementEvery, func(err error) {
				a.logger.Warn("partition layouts", zap.String("stream", name), zap.Error(err))
			})
		}()
	}
}

func (a *App) stopPlacements() {
	if a.places != nil && a.places.cancel != nil {
		a.places.cancel()
		a.places.done.Wait()
	}
}

// checkOrdering refuses an ordered relay whose order a partitioned stream
// could not keep: the partition is chosen by the ordering key, so relays
// must agree on it, and it must be covered by the signature — an unsigned
// header or tenant label would let a replay, relabelled, choose another
// partition, whose dedupe keys have not seen it.
func (a *App) checkOrdering() error {
	specs := map[string]string{}
	for name, rc := range a.Relays {
		stream := cmp.Or(rc.Stream, DefaultStream)
		if rc.OrderBy == "" || a.partitionsOf(stream) == 1 {
			continue
		}
		by, err := relay.ParseOrderBy(rc.OrderBy)
		if err != nil {
			return fmt.Errorf("relay %s: %w", name, err)
		}
		if !by.Signed() {
			return fmt.Errorf("relay %s: order_by %s on stream %s of %d partitions: the ordering key chooses the partition, so it must be covered by the signature (a JSON path into the body, or source), not a header or tenant",
				name, rc.OrderBy, stream, a.partitionsOf(stream))
		}
		if other, ok := specs[stream]; ok && other != rc.OrderBy {
			return fmt.Errorf("relay %s: order_by %s differs from %s of another relay on stream %s of %d partitions: the ordering key chooses the partition, so the relays of a partitioned stream share it",
				name, rc.OrderBy, other, stream, a.partitionsOf(stream))
		}
		specs[stream] = rc.OrderBy
	}
	return nil
}
