package caddymodule

import (
	"errors"
	"io"
	"sync"
)

var errTooLarge = errors.New("body exceeds max_size")

// pooledBodyCap keeps rare large bodies from pinning memory in the pool.
const pooledBodyCap = 64 << 10

var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// readCapped reads r into buf until EOF, counting as it reads, and stops
// with errTooLarge as soon as more than limit bytes arrived: a sender can't
// make us buffer more than limit+1 bytes whatever Content-Length says.
func readCapped(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, errTooLarge
			}
			grow := min(int64(cap(buf))*2, limit+1) - int64(len(buf))
			if grow < 512 {
				grow = 512
			}
			buf = append(buf, make([]byte, grow)...)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func putBody(p *[]byte, b []byte) {
	if cap(b) > pooledBodyCap {
		return
	}
	*p = b[:0]
	bodies.Put(p)
}
