package relay

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
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

// PartitionOf is the partition of key among n: FNV-1a, whose low bits
// see only the low bits of each byte, mixed by a Fibonacci multiply and
// taken from the top, so every bit of the key counts for any n.
func PartitionOf(key string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	mixed := (h.Sum64() * 0x9E3779B97F4A7C15) >> 32
	return int(mixed % uint64(n))
}

// Starts is the hash of where each relay's groups begin (Relay.recordStart).
func (k Keys) Starts() string { return k.Partition(0).tag + ":starts" }

// Layouts is the hash of the partition counts a stream has been ingested
// with, each with when it was last in use (unix ms).
func (k Keys) Layouts() string { return k.Partition(0).tag + ":layouts" }

// layout is one way the stream's events have been placed: n partitions,
// chosen by rule's key (the ordering key), or by dedupe id when rule is
// the zero OrderBy. A one-time value places an event under every rule.
type layout struct {
	n    int
	rule OrderBy
}

// field is the layout's name in the layouts hash: "<n>", or "<n>:<order_by>".
func (l layout) field() string {
	if l.n <= 1 || !l.rule.Ordered() {
		return strconv.Itoa(max(l.n, 1))
	}
	return strconv.Itoa(l.n) + ":" + l.rule.String()
}

func parseLayout(f string) (layout, bool) {
	num, spec, _ := strings.Cut(f, ":")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > MaxPartitions {
		return layout{}, false
	}
	rule, err := ParseOrderBy(spec)
	if err != nil {
		return layout{}, false
	}
	return layout{n: n, rule: rule}, true
}

// key is what l places an event by.
func (l layout) key(st *event.Stored, d *Dedupe) string {
	if d.Replay != "" {
		return d.Replay
	}
	if l.rule.Ordered() {
		if k := l.rule.Key(st); k != "" {
			return k
		}
	}
	return d.ID
}

// usedLayout is a layout recorded for the stream, and its last use.
type usedLayout struct {
	layout
	at time.Time
}

// layouts reads every layout recorded for the stream, by field.
func layouts(ctx context.Context, rdb redis.UniversalClient, k Keys) (map[string]usedLayout, error) {
	all, err := rdb.HGetAll(ctx, k.Layouts()).Result()
	if err != nil {
		return nil, err
	}
	used := make(map[string]usedLayout, len(all))
	for f, v := range all {
		l, ok := parseLayout(f)
		ms, err := strconv.ParseInt(v, 10, 64)
		if ok && err == nil {
			used[f] = usedLayout{l, time.UnixMilli(ms)}
		}
	}
	return used, nil
}

// Partitions is the largest partition count recorded for the stream, or n
// if larger: how many partitions hold entries.
func Partitions(ctx context.Context, rdb redis.UniversalClient, k Keys, n int) (widest int, err error) {
	used, err := layouts(ctx, rdb, k)
	if err != nil {
		return 0, err
	}
	widest = n
	for _, l := range used {
		widest = max(widest, l.n)
	}
	return widest, nil
}

// Placement places one stream's events in its partitions and knows the
// stream's other recent layouts, refreshed by Run.
type Placement struct {
	base   Keys
	n      int
	own    layout
	window atomic.Int64 // how long a layout counts after its last use: the longest dedupe TTL
	others atomic.Pointer[[]layout]
	ready  chan struct{}
	once   sync.Once
	first  sync.Mutex // one first read at a time, when ingest comes before Run's
	parts  []Keys     // of this layout, built once
}

// NewPlacement places the events of the stream of k in n partitions, by
// rule's key where an event has one (the ordering key of the stream's
// ordered relays; the zero OrderBy for none); a layout in use within window
// (the routes' longest dedupe TTL) is checked for duplicates.
func NewPlacement(k Keys, n int, rule OrderBy, window time.Duration) *Placement {
	p := &Placement{base: k.Partition(0), n: max(n, 1), ready: make(chan struct{})}
	p.own = layout{n: p.n, rule: rule}
	if p.n == 1 {
		p.own.rule = OrderBy{} // one partition places nothing
	}
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
	if err := rdb.HSet(ctx, p.base.Layouts(), p.own.field(), now.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("recording the partition layout of stream %s: %w", p.base.Name(), err)
	}
	used, err := layouts(ctx, rdb, p.base)
	if err != nil {
		return fmt.Errorf("reading the partition layouts of stream %s: %w", p.base.Name(), err)
	}
	var others []layout
	for f, l := range used {
		if f != p.own.field() && now.Sub(l.at) <= time.Duration(p.window.Load()) {
			others = append(others, l.layout)
		}
	}
	slices.SortFunc(others, func(a, b layout) int { return strings.Compare(a.field(), b.field()) })
	p.others.Store(&others)
	p.once.Do(func() { close(p.ready) })
	return nil
}

// errLayoutUnknown is why an event is refused before the stream's layouts
// have been read once: until then a duplicate stored under another layout
// could not be told.
var errLayoutUnknown = errors.New("the stream's partition layouts could not be read")

// Place returns the keys of the partition st goes to, and fills d's
// Elsewhere and ElsewhereOnce with its dedupe keys and one-time key in the
// partitions the other recent layouts would have put it in. by, when not
// empty, places it by that key under every layout (a batch's elements go
// where its one-time value does). Before Run has read the layouts, it
// reads them itself, within ctx.
func (p *Placement) Place(ctx context.Context, rdb redis.UniversalClient, st *event.Stored, by string, d *Dedupe) (Keys, error) {
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
	keyOf := func(l layout) string {
		if by != "" {
			return by
		}
		return l.key(st, d)
	}
	own := p.parts[PartitionOf(keyOf(p.own), p.n)]
	d.Elsewhere, d.ElsewhereOnce = d.Elsewhere[:0], d.ElsewhereOnce[:0]
	for _, l := range *p.others.Load() {
		at := p.base.Partition(PartitionOf(keyOf(l), l.n))
		if at.tag == own.tag {
			continue
		}
		for _, scope := range d.Scopes {
			d.Elsewhere = append(d.Elsewhere, at.Seen(st.Source, scope, d.ID))
		}
		if d.Replay != "" {
			// The owner as that layout's script would have written it.
			owner := d.ReplayOwner
			if owner == "" {
				owner = at.Seen(st.Source, d.Scopes[0], d.ID)
			}
			d.ElsewhereOnce = append(d.ElsewhereOnce, string(appendReplay(nil, at, d.Replay)), owner)
		}
	}
	return own, nil
}
