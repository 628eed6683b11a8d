package caddymodule

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// DefaultReadTimeout bounds how long a body may take to arrive.
const DefaultReadTimeout = 10 * time.Second

var errTooLarge = errors.New("body exceeds max_size")

// pooledBodyCap keeps rare large bodies from pinning memory in the pool.
const pooledBodyCap = 64 << 10

var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// readCapped reads r into buf until EOF, growing buf as bytes arrive, and
// stops with errTooLarge as soon as more than limit bytes arrived: a sender
// can't make us buffer more than limit+1 bytes whatever Content-Length says.
// It charges b for what the body holds and stops with errNoBudget when b
// has no more: buf, which comes from the pool, for the bytes that arrive
// in it (a connection that sends nothing holds nothing), and a grown
// buffer for its whole capacity, before it is made. A body of known size
// (size >= 0) that could not be held whole now is refused before its
// first byte. It returns the bytes charged, to give back when the body is
// dropped.
func readCapped(r io.Reader, buf []byte, limit, size int64, b budget) ([]byte, int64, error) {
	want := limit + 1
	if size >= 0 && size < limit {
		want = size + 1 // room for the read that sees EOF
	}
	if size >= 0 && !b.fits(want) {
		return buf, 0, errNoBudget
	}
	var held int64
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, held, errTooLarge
			}
			if int64(cap(buf)) >= want { // longer than it said
				want = limit + 1
			}
			next := min(max(2*int64(cap(buf)), int64(cap(buf))+512), want)
			if !b.take(next - held) {
				return buf, held, errNoBudget
			}
			held = next
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, held, errTooLarge
		}
		if arrived := int64(len(buf)) - held; arrived > 0 { // in the pool's buffer
			if !b.take(arrived) {
				return buf, held, errNoBudget
			}
			held += arrived
		}
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return buf, held, err
		}
	}
}

// bodyDeadline sets the deadline the whole body must arrive by on the
// connection: read_timeout from now, unless the server's read_body
// (http.Server.ReadTimeout, counted from the start of the request) is no
// longer, and then that one stays. It returns the bound that applies and
// whether it set one, to clear once the body is read.
func (h *Handler) bodyDeadline(rc *http.ResponseController, r *http.Request) (time.Duration, bool) {
	limit := time.Duration(h.ReadTimeout)
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout <= limit {
		return srv.ReadTimeout, false
	}
	// The controller unwraps Caddy's response writers down to the conn.
	if err := rc.SetReadDeadline(time.Now().Add(limit)); err != nil {
		if !deadlineUnsupported.Load() && deadlineUnsupported.CompareAndSwap(false, true) {
			h.logger.Warn("read_timeout cannot be set on this connection: only the server's timeouts bound a slow body", zap.Error(err))
		}
		return limit, false
	}
	return limit, true
}

// closeAfterReply, for a request with a body it will not read to the end,
// has net/http close the connection once the answer is sent instead of
// first reading up to 256 KiB of what is left of the body (as slowly as a
// slow sender sends it, holding its answer back), and close it the way it
// does past a MaxBytesReader limit: the write side first, so a sender
// still writing reads the answer. A MaxBytesReader past its limit is
// net/http's documented way to ask that; it needs net/http's own writer,
// under Caddy's wrappers.
func closeAfterReply(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	var one [1]byte
	_, _ = http.MaxBytesReader(w, io.NopCloser(strings.NewReader("x")), 0).Read(one[:])
}

// deadlineUnsupported makes the warning about a writer without deadlines
// come once per process.
var deadlineUnsupported atomic.Bool

func putBody(p *[]byte, b []byte) {
	if cap(b) > pooledBodyCap {
		return
	}
	*p = b[:0]
	bodies.Put(p)
}
