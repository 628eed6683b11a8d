package caddymodule

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// refuseRead fails the test if the body is read at all.
type refuseRead struct{ t *testing.T }

func (r refuseRead) Read([]byte) (int, error) {
	r.t.Error("the body was read")
	return 0, io.EOF
}

// heldOnFirstRead fails the test if the budget holds anything when the
// body is first read, as while a sender has sent headers only.
type heldOnFirstRead struct {
	t    *testing.T
	b    budget
	r    io.Reader
	read bool
}

func (r *heldOnFirstRead) Read(p []byte) (int, error) {
	if !r.read {
		r.read = true
		if h := r.b.held.Load(); h != 0 {
			r.t.Errorf("the budget holds %d before the first byte", h)
		}
	}
	return r.r.Read(p)
}

func TestReadCappedChargesTheBudget(t *testing.T) {
	body := strings.Repeat("b", 10000)
	cases := []struct {
		name        string
		r           func(t *testing.T, b budget) io.Reader
		size, limit int64
		budget      int64
		err         error
		held        int64 // what the budget holds after reading
	}{
		{"a body that fits is read whole and charged its buffer's capacity",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body) }, 10000, 1 << 20, 1 << 20, nil, 10001},
		{"a chunked body is charged as its buffer doubles",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body) }, -1, 1 << 20, 1 << 20, nil, 16 << 10},
		{"a declared body that cannot fit whole is refused before its first byte",
			func(t *testing.T, _ budget) io.Reader { return refuseRead{t} }, 10000, 1 << 20, 8 << 10, errNoBudget, 0},
		{"a chunked body is refused when its buffer would pass the bound",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body) }, -1, 1 << 20, 12 << 10, errNoBudget, 8 << 10},
		{"a body over max_size is too large",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body) }, -1, 5000, 1 << 20, errTooLarge, 5001},
		{"nothing is charged before the first byte arrives",
			func(t *testing.T, b budget) io.Reader {
				return &heldOnFirstRead{t: t, b: b, r: strings.NewReader(body)}
			}, -1, 1 << 20, 1 << 20, nil, 16 << 10},
		{"the pool's buffer is charged for the bytes that arrive in it",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body[:300]) }, 300, 1 << 20, 1 << 20, nil, 300},
		{"bytes that pass the bound in the pool's buffer are refused",
			func(*testing.T, budget) io.Reader { return strings.NewReader(body) }, -1, 1 << 20, 1 << 10, errNoBudget, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBudget(c.budget)
			got, held, err := readCapped(c.r(t, b), make([]byte, 0, 4<<10), c.limit, c.size, b)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			if held != c.held || b.held.Load() != held {
				t.Fatalf("charged %d, budget holds %d; want %d", held, b.held.Load(), c.held)
			}
			if err == nil && (!strings.HasPrefix(body, string(got)) || (int64(cap(got)) != held && int64(len(got)) != held)) {
				t.Fatalf("read %d bytes into a buffer of %d, charged %d", len(got), cap(got), held)
			}
			b.give(held)
			if b.held.Load() != 0 {
				t.Fatalf("after giving back, the budget holds %d", b.held.Load())
			}
		})
	}
}

func TestBudgetNeverGrantsPastItsLimit(t *testing.T) {
	const limit = 1 << 20
	b := newBudget(limit)
	var granted atomic.Int64 // what takes that succeeded hold
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20000 {
				n := int64(1 + (g*7919+i*104729)%(192<<10))
				if !b.take(n) {
					continue
				}
				if total := granted.Add(n); total > limit {
					t.Errorf("%d bytes granted at once, limit %d", total, limit)
				}
				granted.Add(-n)
				b.give(n)
			}
		}()
	}
	wg.Wait()
	if h := b.held.Load(); h != 0 {
		t.Fatalf("budget holds %d after every take was given back", h)
	}
}

// BenchmarkBodyBounds is what read_timeout and max_buffered add to each
// request: a deadline set and cleared on a real connection, through two of
// Caddy's writer wrappers, and a budget charged and given back. Compare
// with BenchmarkHandlerStripe's time per request.
func BenchmarkBodyBounds(b *testing.B) {
	h := &Handler{ReadTimeout: caddy.Duration(DefaultReadTimeout)}
	budget := newBudget(DefaultMaxBuffered)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w = &caddyhttp.ResponseWriterWrapper{ResponseWriter: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			rc := http.NewResponseController(w)
			_, ours := h.bodyDeadline(rc, r)
			if !ours || !budget.fits(4<<10) || !budget.take(4<<10) {
				b.Fatal("no deadline or no budget")
			}
			budget.give(4 << 10)
			_ = rc.SetReadDeadline(time.Time{})
		}
		b.StopTimer()
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", bytes.NewReader([]byte("{}")))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	<-done
}
