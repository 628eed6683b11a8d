package relay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestARelayReadsEveryPartitionOfEveryLayoutRecorded(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, ok)
	ctx := context.Background()
	// An earlier layout of 4 partitions left an entry in partition 3.
	if err := f.rdb.HSet(ctx, f.keys.Layouts(), "4", time.Now().UnixMilli()).Err(); err != nil {
		t.Fatal(err)
	}
	old := stored("evt_old_layout")
	values, _ := appendFields(nil, old)
	if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Partition(3).Stream(), Values: values}).Err(); err != nil {
		t.Fatal(err)
	}
	cfg := f.config("wp", tg.URL)
	cfg.Partitions = 2
	r := f.start(t, cfg, nil)
	// And the layout of 2 places new events in both of its partitions.
	p := NewPlacement(f.keys, 2, OrderBy{}, time.Hour)
	want := map[string]bool{"evt_old_layout": true}
	for i := range 20 {
		e := stored(fmt.Sprintf("evt_%02d", i))
		d := Dedupe{Scopes: DefaultScopes, ID: e.ID}
		keys, err := p.Place(ctx, f.rdb, e, "", &d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.app.AppendAs(ctx, keys, time.Hour, e, d); err != nil {
			t.Fatal(err)
		}
		want[e.ID] = true
	}
	waitUntil(t, 10*time.Second, "every event delivered", func() bool { return len(tg.deliveries()) >= len(want) })
	for _, d := range tg.deliveries() {
		delete(want, envelopeOf(t, d).ID)
	}
	if len(want) > 0 {
		t.Fatalf("not delivered: %v", want)
	}
	if n := len(r.Partitions()); n != 4 {
		t.Fatalf("the relay reads %d partitions, want the 4 of the widest layout", n)
	}
	for q := range 2 {
		if f.rdb.XLen(ctx, f.keys.Partition(q).Stream()).Val() == 0 {
			t.Errorf("partition %d of the layout of 2 got nothing", q)
		}
	}
}

func TestPartitionKeys(t *testing.T) {
	k, _ := NewKeys("hg", "orders")
	if k.Partition(0) != k || k.Partition(0).Stream() != "hg:{orders}" {
		t.Fatalf("partition 0 is not the stream's own keys: %+v", k.Partition(0))
	}
	if got := k.Partition(3).Stream(); got != "hg:{orders~3}" || k.Partition(3).Name() != "orders" || k.Partition(3).Part() != 3 {
		t.Fatalf("partition 3: %s", got)
	}
	if _, err := NewKeys("hg", "a~1"); err == nil {
		t.Fatal("a stream name that is another's partition was accepted")
	}
	seen := map[int]int{}
	for i := range 1000 {
		seen[PartitionOf(fmt.Sprint("cus_", i), 4)]++
	}
	for p := range 4 {
		if seen[p] < 150 {
			t.Fatalf("partition %d got %d of 1000 keys", p, seen[p])
		}
	}
	if PartitionOf("anything", 1) != 0 {
		t.Fatal("one partition is partition 0")
	}
}
