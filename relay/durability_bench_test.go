package relay

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// BenchmarkAppendDurability measures what one WAIT per batch costs against
// acked, with concurrent senders coalesced into batches, on a master with
// one real replica on this machine.
func BenchmarkAppendDurability(b *testing.B) {
	master := redistest.Start(b)
	redistest.StartReplica(b, master)
	for _, c := range []struct {
		name string
		d    Durability
	}{
		{"acked", Durability{}},
		{"replicas_1", Durability{Replicas: 1, Timeout: time.Second}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rdb := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1})
			a := NewDurableAppender(rdb, 5*time.Second, 2, 128, c.d)
			defer func() { a.Close(); rdb.Close() }()
			keys, _ := NewKeys("bench-"+c.name, "events")
			var n atomic.Int64
			b.SetParallelism(16) // many senders at once, as under load
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := stored("evt_" + strconv.FormatInt(n.Add(1), 10))
					if _, err := a.Append(context.Background(), keys, time.Hour, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
