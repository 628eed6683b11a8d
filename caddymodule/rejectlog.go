package caddymodule

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// Rejections logged per route: a burst, then a steady rate.
const (
	rejectLogBurst = 20
	rejectLogRate  = 5 // per second
)

// rejectLog writes rejected requests at a rate a flood of forged requests
// cannot raise: past it, lines are dropped and counted, and the next line
// written says how many were dropped since the last one.
type rejectLog struct {
	logger  *zap.Logger
	limit   *rate.Limiter
	dropped atomic.Int64
}

func newRejectLog(logger *zap.Logger) *rejectLog {
	return &rejectLog{logger: logger, limit: rate.NewLimiter(rejectLogRate, rejectLogBurst)}
}

// write logs the fields fields makes, only when the line is written.
func (l *rejectLog) write(at time.Time, fields func() []zap.Field) {
	if !l.limit.AllowN(at, 1) {
		l.dropped.Add(1)
		return
	}
	ce := l.logger.Check(zap.InfoLevel, "webhook rejected")
	if ce == nil {
		return
	}
	fs := fields()
	if n := l.dropped.Swap(0); n > 0 {
		fs = append(fs, zap.Int64("dropped_since_last", n))
	}
	ce.Write(fs...)
}
