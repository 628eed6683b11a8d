package caddymodule

import (
	"errors"
	"sync/atomic"
)

// DefaultMaxBuffered bounds the bytes all bodies being received hold
// before their signature is checked, gateway-wide.
const DefaultMaxBuffered = 64 << 20

var errNoBudget = errors.New("max_buffered reached")

// bufferedBytes is what the bodies being received hold in this process,
// on every route and in every loaded config: while a reload runs, the old
// config's requests and the new one's share one bound.
var bufferedBytes atomic.Int64

// budget bounds the bytes that bodies hold in memory while they are read,
// before anything checked who sent them. Bodies charge the capacity of
// their buffer as it grows and give it back when the request is done.
// Lock-free: an atomic add takes, another gives back.
type budget struct {
	limit int64
	held  *atomic.Int64
}

// newBudget is a budget of its own, not the process's, for tests.
func newBudget(limit int64) budget { return budget{limit: limit, held: new(atomic.Int64)} }

// take charges n bytes if the bytes held stay within the limit.
func (b budget) take(n int64) bool {
	if b.held.Add(n) > b.limit {
		b.held.Add(-n)
		return false
	}
	return true
}

// fits reports whether n more bytes fit now. It charges nothing: it lets a
// body that declares its length be refused before its first byte when it
// could not be held whole; take still decides as the buffer grows.
func (b budget) fits(n int64) bool { return b.held.Load()+n <= b.limit }

// give returns n bytes taken.
func (b budget) give(n int64) { b.held.Add(-n) }
