package relay

import (
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/event"
)

// Report is what one delivery attempt, or one dead-lettering without an
// attempt, did to an event: the one record metrics, logs and alerts read.
type Report struct {
	Relay   string
	Event   event.Stored // its fields but Body and Header; zero when the entry could not be decoded
	Entry   string       // stream entry id
	Attempt int          // attempts spent, this one included
	Outcome string       // "delivered", "retry" or "dead"
	Status  int          // HTTP status, 0 when none came
	// Class is "2xx", "3xx", "4xx", "5xx", "timeout" or "conn"; empty when
	// nothing was sent (the event could not even be prepared).
	Class     string
	Latency   time.Duration // of the attempt
	Error     string        // short, never a URL's query or user info
	RequestID string        // the X-Request-Id the attempt carried
	At        time.Time
}

// Outcomes of a Report.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeDead      = "dead"
)

// Observer hears every Report. It runs on the delivery path: it must not
// block.
type Observer interface {
	Observe(Report)
}

// class names an attempt's answer for metrics.
func (o outcome) class() string {
	switch {
	case o.status >= 200 && o.status < 600:
		return strconv.Itoa(o.status/100) + "xx"
	case o.timeout:
		return "timeout"
	}
	return "conn"
}

// report logs r, one line per attempt, and hands it to the observer.
func (r *Relay) report(rep Report) {
	rep.Relay = r.cfg.Name
	level := zap.InfoLevel
	if rep.Outcome == OutcomeDead {
		level = zap.WarnLevel
	}
	msg := "delivery attempt"
	if rep.Class == "" {
		msg = "event dead-lettered without an attempt"
	}
	if ce := r.logger.Check(level, msg); ce != nil {
		ce.Write(
			zap.String("event_id", rep.Event.ID), zap.String("source", rep.Event.Source),
			zap.String("tenant", rep.Event.Tenant), zap.String("type", rep.Event.Type),
			zap.String("entry", rep.Entry), zap.String("outcome", rep.Outcome),
			zap.Int("status", rep.Status), zap.Int("attempt", rep.Attempt),
			zap.Float64("latency_ms", float64(rep.Latency.Microseconds())/1000),
			zap.String("request_id", rep.RequestID), zap.String("error", rep.Error))
	}
	if r.cfg.Observer != nil {
		r.cfg.Observer.Observe(rep)
	}
}
