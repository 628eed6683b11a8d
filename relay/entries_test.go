package relay

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
)

// add appends st to the stream as ingest stores it, bypassing ingest's
// checks: entries written by older versions, or by a bug, look like this.
func (f *fixture) add(t *testing.T, st *event.Stored) string {
	t.Helper()
	values, _ := appendFields(nil, st)
	id, err := f.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: f.keys.Stream(), Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deadLetters lists relay name's dead letters.
func (f *fixture) deadLetters(t *testing.T, name string) []DeadLetter {
	t.Helper()
	letters, err := NewDeadLetters(f.rdb, f.keys, name).List(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return letters
}

// envelopeOf decodes a delivery's body.
func envelopeOf(t *testing.T, d delivery) event.Envelope {
	t.Helper()
	var env event.Envelope
	if err := json.Unmarshal(d.body, &env); err != nil {
		t.Fatalf("delivery is not an envelope: %v", err)
	}
	return env
}

// ack finishes one delivered job as the acker does a batch, for tests
// that move entries by hand; the entry of its key it releases is set as j.next.
func (m *moves) ack(ctx context.Context, j *job) error {
	next, err := m.ackBatch(ctx, []*job{j}, m.claimant())
	if err == nil && len(next) > 0 {
		j.next = next[0]
	}
	return err
}
