package relay

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

func batchOf(ids ...string) ([]event.Stored, []Dedupe) {
	events := make([]event.Stored, len(ids))
	d := make([]Dedupe, len(ids))
	for i, id := range ids {
		events[i] = *stored(id)
		d[i] = Dedupe{Scopes: DefaultScopes, ID: id}
	}
	return events, d
}

func TestABatchIsStoredInOneStepEachEventDedupedByItsOwnID(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	A, D := Accepted, Duplicate
	cases := []struct {
		name string
		ids  []string
		want []Outcome
		xlen int64
	}{
		{"a new batch is every event", []string{"e1", "e2", "e3"}, []Outcome{A, A, A}, 3},
		{"the same batch again is no new entry", []string{"e1", "e2", "e3"}, []Outcome{D, D, D}, 3},
		{"a batch mixing new and seen stores only the new", []string{"e2", "e4", "e1", "e5"}, []Outcome{D, A, D, A}, 5},
		{"an id twice in one batch is stored once", []string{"e6", "e6"}, []Outcome{A, D}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, d := batchOf(tc.ids...)
			got, err := a.AppendBatch(ctx, keys, time.Hour, events, d)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("AppendBatch(%v) = %v, %v; want %v", tc.ids, got, err, tc.want)
			}
			if n, _ := rdb.XLen(ctx, keys.Stream()).Result(); n != tc.xlen {
				t.Fatalf("stream holds %d entries, want %d", n, tc.xlen)
			}
		})
	}
	msgs, _ := rdb.XRange(ctx, keys.Stream(), "-", "+").Result()
	var order []string
	for _, m := range msgs {
		e, err := Decode(m.Values)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, e.ID)
	}
	if want := []string{"e1", "e2", "e3", "e4", "e5", "e6"}; !slices.Equal(order, want) {
		t.Errorf("stream order %v, want %v (a batch keeps its order)", order, want)
	}
}

func TestABatchIsBoundedAndRefusedWhenRedisIsGone(t *testing.T) {
	srv := redistest.Start(t)
	a, _ := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	if _, err := a.AppendBatch(ctx, keys, time.Hour, nil, nil); err == nil {
		t.Error("an empty batch was taken")
	}
	ids := make([]string, MaxBatchEvents+1)
	for i := range ids {
		ids[i] = fmt.Sprint("e", i)
	}
	events, d := batchOf(ids...)
	if _, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err == nil || !strings.Contains(err.Error(), "want 1 to") {
		t.Errorf("a batch past MaxBatchEvents: %v", err)
	}
	events, d = batchOf(ids[:MaxBatchEvents]...)
	if got, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err != nil || len(got) != MaxBatchEvents {
		t.Fatalf("a batch of MaxBatchEvents: %d outcomes, %v", len(got), err)
	}
	srv.Stop()
	events, d = batchOf("late")
	if _, err := a.AppendBatch(ctx, keys, time.Hour, events, d); err == nil || !strings.Contains(err.Error(), ErrUnavailable.Error()) {
		t.Errorf("with Redis gone: %v, want ErrUnavailable", err)
	}
}
