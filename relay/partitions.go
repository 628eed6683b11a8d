package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// A stream of n partitions is n streams, each with its own hash tag
// (Keys.Partition), so a Cluster spreads them over its masters. An event
// goes to partition PartitionOf(key, n): key is its one-time value when it
// has one (that value must be checked in one place), else its ordering
// key, else its dedupe id; the dedupe keys live in its partition's slot,
// so dedupe and append stay one script.
//
// Changing n on a live system. Every process records the layouts it
// ingests with in the stream's layouts hash (partition 0's slot: field n,
// value the last time it was in use). Relays read every partition of every
// layout ever recorded, so the partitions of an old layout drain. Ingest
// checks an event's dedupe keys, and its one-time value, in the partition
// each other recent layout would have put it in, before it appends, and
// sets them there after it is stored: a copy of the event stored under
// one layout is a duplicate under every other, whichever Caddy gets it
// and in whichever order. The check and the append are two steps when
// the layouts' partitions differ, so two copies of one event arriving in
// the same instant at processes with different layouts could both be
// stored; a provider's retry, seconds or more after the first copy, can
// not.

// MaxPartitions bounds a stream's partitions.
const MaxPartitions = 1024

// PartitionOf is the partition of key among n.
func PartitionOf(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// Layouts is the hash of the partition counts a stream has been ingested
// with, each with when it was last in use (unix ms).
func (k Keys) Layouts() string { return k.Partition(0).tag + ":layouts" }

// Partitions reads every partition count recorded for the stream, with
// its last use, and the largest of them and n: how many partitions hold
// entries.
func Partitions(ctx context.Context, rdb redis.UniversalClient, k Keys, n int) (used map[int]time.Time, widest int, err error) {
	all, err := rdb.HGetAll(ctx, k.Layouts()).Result()
	if err != nil {
		return nil, 0, err
	}
	used, widest = make(map[int]time.Time, len(all)), n
	for f, v := range all {
		m, err1 := strconv.Atoi(f)
		ms, err2 := strconv.ParseInt(v, 10, 64)
		if err1 != nil || err2 != nil || m < 1 || m > MaxPartitions {
			continue
		}
		used[m] = time.UnixMilli(ms)
		widest = max(widest, m)
	}
	return used, widest, nil
}

// Placement places one stream's events in its partitions and knows the
// stream's other recent layouts, refreshed by Run.
type Placement struct {
	base   Keys
	n      int
	window atomic.Int64 // how long a layout counts after its last use: the longest dedupe TTL
	others atomic.Pointer[[]int]
	ready  chan struct{}
	once   sync.Once
	first  sync.Mutex // one first read at a time, when ingest comes before Run's
	parts  []Keys     // of this layout, built once
}

// NewPlacement places the events of the stream of k in n partitions; a
// layout in use within window (the routes' longest dedupe TTL) is checked
// for duplicates.
func NewPlacement(k Keys, n int, window time.Duration) *Placement {
	p := &Placement{base: k.Partition(0), n: max(n, 1), ready: make(chan struct{})}
	for i := range p.n {
		p.parts = append(p.parts, p.base.Partition(i))
	}
	p.Widen(window)
	return p
}

// Widen makes p count the layouts used within window, if that is longer.
func (p *Placement) Widen(window time.Duration) {
	for {
		old := p.window.Load()
		if int64(window) <= old || p.window.CompareAndSwap(old, int64(window)) {
			return
		}
	}
}

// N is the partition count events are placed with.
func (p *Placement) N() int { return p.n }

// Run records this layout and reads the others every every, until ctx ends.
func (p *Placement) Run(ctx context.Context, rdb redis.UniversalClient, every time.Duration, failed func(error)) {
	for {
		if err := p.refresh(ctx, rdb); err != nil && ctx.Err() == nil {
			failed(err)
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (p *Placement) refresh(ctx context.Context, rdb redis.UniversalClient) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now := time.Now()
	if err := rdb.HSet(ctx, p.base.Layouts(), strconv.Itoa(p.n), now.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("recording the partition layout of stream %s: %w", p.base.Name(), err)
	}
	used, _, err := Partitions(ctx, rdb, p.base, p.n)
	if err != nil {
		return fmt.Errorf("reading the partition layouts of stream %s: %w", p.base.Name(), err)
	}
	var others []int
	for m, at := range used {
		if m != p.n && now.Sub(at) <= time.Duration(p.window.Load()) {
			others = append(others, m)
		}
	}
	slices.Sort(others)
	p.others.Store(&others)
	p.once.Do(func() { close(p.ready) })
	return nil
}

// errLayoutUnknown is why an event is refused before the stream's layouts
// have been read once: until then a duplicate stored under another layout
// could not be told.
var errLayoutUnknown = errors.New("the stream's partition layouts could not be read")

// Place returns the keys of the partition key goes to, and fills d's
// Elsewhere and ElsewhereOnce with the event's dedupe keys and one-time
// key in the partitions the other recent layouts would have put it in.
// Before Run has read the layouts, it reads them itself, within ctx.
func (p *Placement) Place(ctx context.Context, rdb redis.UniversalClient, key, source string, d *Dedupe) (Keys, error) {
	select {
	case <-p.ready:
	default:
		p.first.Lock()
		err := ctx.Err()
		select {
		case <-p.ready:
		default:
			if err == nil {
				err = p.refresh(ctx, rdb)
			}
		}
		p.first.Unlock()
		if err != nil {
			return Keys{}, fmt.Errorf("%w: %w: %w", ErrUnavailable, errLayoutUnknown, err)
		}
	}
	own := p.parts[PartitionOf(key, p.n)]
	d.Elsewhere, d.ElsewhereOnce = d.Elsewhere[:0], d.ElsewhereOnce[:0]
	for _, m := range *p.others.Load() {
		at := p.base.Partition(PartitionOf(key, m))
		if at.tag == own.tag {
			continue
		}
		for _, scope := range d.Scopes {
			d.Elsewhere = append(d.Elsewhere, at.Seen(source, scope, d.ID))
		}
		if d.Replay != "" {
			// The owner as that layout's script would have written it.
			owner := d.ReplayOwner
			if owner == "" {
				owner = at.Seen(source, d.Scopes[0], d.ID)
			}
			d.ElsewhereOnce = append(d.ElsewhereOnce, string(appendReplay(nil, at, d.Replay)), owner)
		}
	}
	return own, nil
}
