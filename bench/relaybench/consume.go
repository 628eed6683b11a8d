package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// consume runs workers goroutines reading group on stream with
// XREADGROUP COUNT count BLOCK 100ms and passing each batch to handle,
// until ctx ends. The first error a worker meets goes to errc (sized for
// every worker) and stops that worker. The returned wait joins them.
func (b *bench) consume(ctx context.Context, stream, group, prefix string, workers int, count int64,
	handle func([]redis.XMessage) error, errc chan<- error) (wait func()) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				res, err := b.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
					Group: group, Consumer: fmt.Sprintf("%s%d", prefix, w), Streams: []string{stream, ">"},
					Count: count, Block: 100 * time.Millisecond,
				}).Result()
				if errors.Is(err, redis.Nil) {
					continue
				}
				if err == nil {
					for _, s := range res {
						if err = handle(s.Messages); err != nil {
							break
						}
					}
				}
				if err != nil {
					if ctx.Err() == nil {
						errc <- err
					}
					return
				}
			}
		}()
	}
	return wg.Wait
}
