package caddymodule

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestRejectLogIsSampledAndCountsWhatItDrops(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	l := newRejectLog(zap.New(core))
	at := time.Unix(1700000000, 0)
	for range 1000 {
		l.write(at, func() []zap.Field { return []zap.Field{zap.String("reason", "signature mismatch")} })
	}
	if n := logs.Len(); n != rejectLogBurst {
		t.Fatalf("a flood of 1000 in one instant wrote %d lines, want the burst of %d", n, rejectLogBurst)
	}
	l.write(at.Add(time.Second), func() []zap.Field { return []zap.Field{zap.String("reason", "signature mismatch")} })
	all := logs.All()
	last := all[len(all)-1].ContextMap()
	if last["dropped_since_last"] != int64(1000-rejectLogBurst) {
		t.Fatalf("the next line says %v dropped, want %d", last["dropped_since_last"], 1000-rejectLogBurst)
	}
	l.write(at.Add(2*time.Second), func() []zap.Field { return []zap.Field{zap.String("reason", "x")} })
	all = logs.All()
	if _, ok := all[len(all)-1].ContextMap()["dropped_since_last"]; ok {
		t.Fatal("the count of dropped lines is reported twice")
	}
}
