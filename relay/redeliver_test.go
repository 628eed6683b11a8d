package relay

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestRedeliverCopiesARangeToOneRelaysReplayStream(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := time.UnixMilli(1700000000000).UTC()
	for i := range 450 { // more than two batches inside the range
		f.addAt(t, fmt.Sprintf("%d-0", base.Add(time.Duration(i)*time.Millisecond).UnixMilli()), fmt.Sprintf("evt_%03d", i))
	}
	f.addAt(t, fmt.Sprintf("%d-0", base.Add(time.Hour).UnixMilli()), "evt_later")
	n, err := Redeliver(ctx, f.rdb, f.keys, "wp", base.Add(10*time.Millisecond), base.Add(449*time.Millisecond))
	if err != nil || n != 440 {
		t.Fatalf("redeliver: %d, %v; want 440", n, err)
	}
	copies := f.rdb.XRange(ctx, f.keys.Replay("wp"), "-", "+").Val()
	if len(copies) != 440 {
		t.Fatalf("%d entries in wp's replay stream, want 440", len(copies))
	}
	if st, err := Decode(copies[0].Values); err != nil || st.ID != "evt_010" || string(st.Body) != string(stored("evt_010").Body) {
		t.Fatalf("first copy %+v, %v", st, err)
	}
	if got := f.rdb.Exists(ctx, f.keys.Replay("other")).Val(); got != 0 {
		t.Fatal("another relay's replay stream was written")
	}
	if n, err := RedeliverIDs(ctx, f.rdb, f.keys, "other", []string{fmt.Sprintf("%d-0", base.UnixMilli()), "1-0"}); err != nil || n != 1 {
		t.Fatalf("redeliver by ids: %d, %v; want 1 (the unknown id skipped)", n, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Redeliver(done, f.rdb, f.keys, "wp", base, base.Add(time.Hour)); err == nil {
		t.Fatal("redelivered with an ended context")
	}
}

func TestIsEntryID(t *testing.T) {
	for s, want := range map[string]bool{"1700000000000-0": true, "0-1": true, "1700000000000": false, "a-b": false, "-1-0": false, "": false, "1-0 ": false} {
		if IsEntryID(s) != want {
			t.Errorf("IsEntryID(%q) = %v", s, !want)
		}
	}
}
