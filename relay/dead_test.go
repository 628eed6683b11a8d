package relay

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// addDead writes a dead letter of event id, of type typ, last attempted at.
func (f *fixture) addDead(t *testing.T, name, id, typ string, at time.Time) string {
	t.Helper()
	st := stored(id)
	st.Type = typ
	values, _ := appendFields(nil, st)
	values = append(values, deadField+"attempts", 1, deadField+"status", 400, deadField+"last_attempt",
		strconv.FormatInt(at.UnixMilli(), 10), deadField+"first_attempt", strconv.FormatInt(at.UnixMilli(), 10))
	dead, err := f.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: f.keys.Dead(name), Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return dead
}

func TestDeadLettersAreSelectedByTypeAndSince(t *testing.T) {
	noon := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		match DeadMatch
		want  []string
	}{
		{"a type glob", DeadMatch{Type: "invoice.*"}, []string{"evt_inv_old", "evt_inv_new"}},
		{"since is the last attempt at or after", DeadMatch{Since: noon}, []string{"evt_inv_new", "evt_cus_new"}},
		{"both", DeadMatch{Type: "invoice.*", Since: noon}, []string{"evt_inv_new"}},
		{"nothing matches", DeadMatch{Type: "charge.*"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.addDead(t, "wp", "evt_inv_old", "invoice.paid", noon.Add(-time.Millisecond))
			f.addDead(t, "wp", "evt_inv_new", "invoice.paid", noon)
			f.addDead(t, "wp", "evt_cus_new", "customer.created", noon.Add(time.Hour))
			dl := NewDeadLetters(f.rdb, f.keys, "wp")
			n, err := dl.ReplayMatching(ctx, c.match)
			if err != nil || n != len(c.want) {
				t.Fatalf("replayed %d, %v; want %d", n, err, len(c.want))
			}
			var got []string
			for _, m := range f.rdb.XRange(ctx, f.keys.Replay("wp"), "-", "+").Val() {
				st, _ := Decode(m.Values)
				got = append(got, st.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("replayed %v, want %v", got, c.want)
			}
			if n, err := dl.PurgeMatching(ctx, DeadMatch{}); err != nil || n != 3-len(c.want) {
				t.Fatalf("purged the rest: %d, %v", n, err)
			}
		})
	}
	if err := (DeadMatch{Type: "[invoice"}).Check(); err == nil {
		t.Fatal("a malformed glob passes Check")
	}
}

func TestManyDeadLettersGoInBatches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := make([]string, 450)
	for i := range ids {
		ids[i] = f.addDead(t, "wp", fmt.Sprintf("evt_%03d", i), "invoice.paid", time.Now())
	}
	dl := NewDeadLetters(f.rdb, f.keys, "wp")
	if n, err := dl.Replay(ctx, ids[:300]...); err != nil || n != 300 {
		t.Fatalf("replayed %d, %v; want 300", n, err)
	}
	if n, err := dl.Purge(ctx, ids...); err != nil || n != 150 {
		t.Fatalf("purged %d, %v; want the 150 left", n, err)
	}
	if n := f.rdb.XLen(ctx, f.keys.Replay("wp")).Val(); n != 300 {
		t.Fatalf("%d in the replay stream, want 300", n)
	}
}

func FuzzDeadID(f *testing.F) {
	for _, s := range []string{"1700000000000-0", "2/1700000000000-0", "0/1-0", "01/1-0", "1024/1-0", "/", "x/1-0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, id, ok := splitDeadID(s)
		if !ok || !IsEntryID(id) {
			if IsDeadID(s) {
				t.Fatalf("%q accepted without a partition and an entry id", s)
			}
			return
		}
		if p < 0 || p >= MaxPartitions || deadID(p, id) != s {
			t.Fatalf("%q reads as partition %d, entry %q", s, p, id)
		}
	})
}
