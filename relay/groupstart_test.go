package relay

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// startOn starts a relay of cfg on client c, stopped when t ends.
func startOn(t *testing.T, c redis.UniversalClient, cfg Config) *Relay {
	t.Helper()
	r, err := New(c, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Stop(ctx)
	})
	return r
}

// hookClient is a client of f's server whose commands pass through h.
func hookClient(t *testing.T, f *fixture, h redis.Hook) *redis.Client {
	opt, err := redis.ParseURL(f.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	c.AddHook(h)
	t.Cleanup(func() { c.Close() })
	return c
}

type procHook func(next redis.ProcessHook) redis.ProcessHook

func (procHook) DialHook(next redis.DialHook) redis.DialHook            { return next }
func (h procHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return h(next) }
func (procHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func oldEntry(t *testing.T, f *fixture, stream, id string) {
	values, _ := appendFields(nil, stored(id))
	ms := strconv.FormatInt(time.Now().Add(-2*time.Hour).UnixMilli(), 10) + "-0"
	if err := f.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, ID: ms, Values: values}).Err(); err != nil {
		t.Fatal(err)
	}
}

// afterMarker adds a new event to stream and waits until the relay
// delivered it: what it would have read before the marker it read by then.
func (f *fixture) afterMarker(t *testing.T, tg *target, stream string) {
	t.Helper()
	values, _ := appendFields(nil, stored("evt_marker"))
	if err := f.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: values}).Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the marker delivered", func() bool {
		for _, d := range tg.deliveries() {
			if envelopeOf(t, d).ID == "evt_marker" {
				return true
			}
		}
		return false
	})
}

// A brand-new relay (start new) whose group create on partition 1 fails
// for a moment (its master unreachable, a timeout) while partition 0's
// read succeeded creates partition 1's group at its start, not at 0 as a
// relay-wide "grouped" flag had it: no history is sent.
func TestAGroupCreatedLateOnOnePartitionBeginsAtTheRelaysStart(t *testing.T) {
	f := newFixture(t)
	p1 := f.keys.Partition(1).Stream()
	oldEntry(t, f, p1, "evt_before_the_relay")
	until := time.Now().Add(1500 * time.Millisecond)
	c := hookClient(t, f, procHook(func(next redis.ProcessHook) redis.ProcessHook {
		return func(ctx context.Context, cmd redis.Cmder) error {
			a := cmd.Args()
			if cmd.Name() == "xgroup" && len(a) > 2 && a[2] == p1 && time.Now().Before(until) {
				cmd.SetErr(errors.New("i/o timeout (injected)"))
				return cmd.Err()
			}
			return next(ctx, cmd)
		}
	}))
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Start, cfg.Partitions = StartNew, 2
	r := startOn(t, c, cfg)
	waitUntil(t, 20*time.Second, "partition 1's group", func() bool {
		ok, err := r.groupExists(context.Background(), p1)
		return err == nil && ok && time.Now().After(until)
	})
	f.afterMarker(t, tg, p1)
	for _, d := range tg.deliveries() {
		if envelopeOf(t, d).ID == "evt_before_the_relay" {
			t.Fatalf("a new relay with start new delivered an event stored 2 h before it began (partition 1 created at 0)")
		}
	}
}

// A new relay that starts while another process of it has created
// partition 0's group but not yet partition 1's (a rolling start) begins
// partition 1 where that process recorded the relay's start, not at 0.
func TestARollingStartOfANewRelayBeginsEveryPartitionAtItsStart(t *testing.T) {
	f := newFixture(t)
	p1 := f.keys.Partition(1).Stream()
	oldEntry(t, f, p1, "evt_before_the_relay")
	// Process A of the new relay has just recorded its start and created
	// partition 0's group there.
	// A millisecond back: an entry of the same millisecond as "<ms>-0"
	// is not after it.
	start := strconv.FormatInt(time.Now().UnixMilli()-1, 10) + "-0"
	if err := f.rdb.HSet(context.Background(), f.keys.Starts(), "wp", start).Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.XGroupCreateMkStream(context.Background(), f.keys.Stream(), "wp", start).Err(); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Start, cfg.Partitions = StartNew, 2
	f.start(t, cfg, nil)
	f.afterMarker(t, tg, p1)
	for _, d := range tg.deliveries() {
		if envelopeOf(t, d).ID == "evt_before_the_relay" {
			t.Fatalf("process B of a brand-new relay delivered partition 1's history from 0")
		}
	}
}

// A delivered job stays held until its batched ack ran: an ack that is
// only slow (2.5 s, inside moveTimeout, no error) must not let this relay's
// own reclaim take the entry again and deliver it twice.
func TestASlowAckDeliversNothingTwice(t *testing.T) {
	f := newFixture(t)
	var delayed atomic.Bool
	c := hookClient(t, f, procHook(func(next redis.ProcessHook) redis.ProcessHook {
		return func(ctx context.Context, cmd redis.Cmder) error {
			a := cmd.Args()
			if cmd.Name() == "evalsha" && len(a) > 1 && a[1] == ackBatchScript.Hash() {
				if delayed.CompareAndSwap(false, true) {
					time.Sleep(2500 * time.Millisecond)
				}
			}
			return next(ctx, cmd)
		}
	}))
	tg := newTarget(t, ok)
	cfg := f.config("wp", tg.URL)
	cfg.Timeout, cfg.ClaimAfter = 500*time.Millisecond, time.Second
	r := startOn(t, c, cfg)
	waitUntil(t, 5*time.Second, "the group", func() bool { ok, err := r.groupExists(context.Background(), f.keys.Stream()); return err == nil && ok })
	f.ingest(t, "evt_once")
	waitUntil(t, 10*time.Second, "the delivery", func() bool { return len(tg.deliveries()) >= 1 })
	waitUntil(t, 10*time.Second, "the slow ack to land", func() bool { return f.settled(t, "wp") })
	if n := len(tg.deliveries()); n != 1 {
		t.Fatalf("evt_once delivered %d times; the only fault was one ack taking 2.5 s", n)
	}
}
