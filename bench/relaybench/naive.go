package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// naive is the relay's shape without its work: 8 goroutines, each reading
// XREADGROUP COUNT 8, POSTing every entry's raw body to the sink and
// XACKing it alone. No normalizing, signing, Lua or breaker. It tells how
// much of the gap to the bare loop is one HTTP and one Redis round trip per
// entry, and how much is the relay's own work.
func (b *bench) naive(ctx context.Context, stream string, n int) (baselineResult, error) {
	const group, workers, count = "naive", 8, 8
	if err := b.rdb.XGroupCreate(ctx, stream, group, "0").Err(); err != nil {
		return baselineResult{}, err
	}
	ph := b.newPhase(n)
	b.sink.phase.Store(ph)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2 * workers
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, workers)
	var acked atomic.Int64
	c0 := takeCPU(b.pids...)
	start := time.Now()
	post := func(m redis.XMessage) error {
		body, _ := m.Values["body"].(string)
		id, _ := m.Values["id"].(string)
		req, err := http.NewRequestWithContext(wctx, http.MethodPost, b.sink.url, bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Webhook-Id", "stripe:default:"+id)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sink answered %s", resp.Status)
		}
		return b.rdb.XAck(wctx, stream, group, m.ID).Err()
	}
	wait := b.consume(wctx, stream, group, "n", workers, count, func(msgs []redis.XMessage) error {
		for _, m := range msgs {
			if err := post(m); err != nil {
				return err
			}
			acked.Add(1)
		}
		return nil
	}, errc)
	var err error
	select {
	case <-ph.done:
	case err = <-errc:
	case <-time.After(time.Duration(n/200+30) * time.Second):
		err = fmt.Errorf("naive loop: the sink saw %d of %d entries before the deadline", ph.unique.Load(), n)
	case <-ctx.Done():
		err = ctx.Err()
	}
	res := baselineResult{n: n, elapsed: time.Since(start), cpu: cpuBetween(c0, takeCPU(b.pids...))}
	cancel()
	wait()
	res.dupes, res.disorder = ph.dupes.Load(), ph.disorder.Load()
	if err == nil && ph.dupes.Load() != 0 {
		err = fmt.Errorf("naive loop: %d duplicate deliveries", ph.dupes.Load())
	}
	return res, err
}
