package relay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Defaults of a relay.
const (
	DefaultWorkers     = 8
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 8
	DefaultBackoffBase = time.Second
	DefaultBackoffCap  = 10 * time.Minute
	DefaultFailures    = 10
	DefaultCooldown    = 30 * time.Second
	DefaultClaimAfter  = time.Minute
	DefaultRetention   = 7 * 24 * time.Hour
)

// Route sends events whose type matches Glob to URL instead of the target.
type Route struct {
	Glob string // path.Match pattern over the event type, e.g. "customer.*"
	URL  string // absolute URL, or a path resolved against the target
}

// Config describes one relay: which stream it reads and where it delivers.
type Config struct {
	Name        string      // the consumer group; unique per stream
	Keys        Keys        // the stream read
	To          string      // target URL
	Routes      []Route     // per-type targets, first match wins
	Filter      []string    // type globs delivered; others are acked and skipped
	Secret      string      // whsec_… key the deliveries are signed with
	Header      http.Header // extra headers, auth included
	Workers     int
	Timeout     time.Duration // per attempt
	MaxAttempts int
	BackoffBase time.Duration
	BackoffCap  time.Duration
	Failures    int           // consecutive retryable failures that open the breaker
	Cooldown    time.Duration // how long the breaker stays open before a probe
	ClaimAfter  time.Duration // idle time after which another consumer's entry is taken over
	Retention   time.Duration // age past which dead letters are trimmed
	// StreamRetention is the age past which the shared stream is trimmed:
	// the longest retention of the relays reading it, so no relay loses
	// what it has not delivered to another's shorter bound. Default Retention.
	StreamRetention time.Duration
	Rate            float64 // attempts per second at most; 0 for no limit
	Consumer        string  // this process's consumer name; unique per process
	// Start is where the consumer group begins when this relay creates
	// it; a group that exists is never moved. Default StartNew.
	Start Start
	// OrderBy delivers the events of one key in ingest order, one at a
	// time; the zero OrderBy orders nothing. Ingest must queue the entries
	// of the stream for this relay (Dedupe.Queues), which the hookgate app
	// does for every relay with order_by.
	OrderBy OrderBy
	// OnDead says whether a dead-lettered head lets its key go on.
	OnDead OnDead
	// Partitions is how many partitions the stream is ingested into now
	// (Keys.Partition); the relay reads these and those of every earlier
	// layout recorded for the stream. 0 means 1.
	Partitions int
	// Observer hears what every attempt did; nil for none.
	Observer Observer
	// Tracing is asked before each attempt for the TracerProvider it is
	// traced with. Nil, or a nil answer, traces nothing: the stored
	// traceparent is forwarded as it is.
	Tracing func() trace.TracerProvider
}

// Start says which events already in the stream a new relay delivers. A
// new or renamed relay is a new consumer group: starting it at the
// beginning would re-send the whole retained stream (7 days by default),
// far past the receivers' dedupe window.
type Start struct {
	all   bool
	since time.Duration
}

// StartNew delivers only events stored after the relay started. Not "$"
// when the group is created: the reader creates it a moment after Start,
// or later if Redis is down then, and what ingest stores meanwhile is
// newer than the relay. Entry ids carry Redis's clock and started this
// process's: between hosts, skew moves the line by as much.
var StartNew = Start{}

// StartAll delivers every event still in the stream.
var StartAll = Start{all: true}

// StartSince delivers the events stored within d before the relay
// started, and every later one.
func StartSince(d time.Duration) Start { return Start{since: d} }

// groupID is the XGROUP CREATE id for a relay that started at started.
func (s Start) groupID(started time.Time) string {
	from := started
	switch {
	case s.all:
		return "0"
	case s.since > 0:
		from = started.Add(-s.since)
	}
	return strconv.FormatInt(max(from.UnixMilli(), 0), 10) + "-0"
}

func (s Start) String() string {
	switch {
	case s.all:
		return "all"
	case s.since > 0:
		return s.since.String()
	}
	return "new"
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	defInt(&c.Workers, DefaultWorkers)
	defInt(&c.MaxAttempts, DefaultMaxAttempts)
	defInt(&c.Failures, DefaultFailures)
	defInt(&c.Partitions, 1)
	def(&c.Timeout, DefaultTimeout)
	def(&c.BackoffBase, DefaultBackoffBase)
	def(&c.BackoffCap, DefaultBackoffCap)
	def(&c.Cooldown, DefaultCooldown)
	def(&c.ClaimAfter, DefaultClaimAfter)
	def(&c.Retention, DefaultRetention)
	def(&c.StreamRetention, c.Retention)
	if c.Name == "" || c.Consumer == "" {
		return c, errors.New("relay needs a name and a consumer name")
	}
	if _, err := targetURL(c.To, ""); err != nil {
		return c, err
	}
	for _, r := range c.Routes {
		if _, err := path.Match(r.Glob, ""); err != nil {
			return c, fmt.Errorf("route %q: %w", r.Glob, err)
		}
		if _, err := targetURL(c.To, r.URL); err != nil {
			return c, fmt.Errorf("route %q: %w", r.Glob, err)
		}
	}
	for _, g := range c.Filter {
		if _, err := path.Match(g, ""); err != nil {
			return c, fmt.Errorf("filter %q: %w", g, err)
		}
	}
	if c.ClaimAfter <= c.Timeout {
		// An attempt still running past claim_after would be reclaimed
		// and delivered twice.
		return c, fmt.Errorf("claim_after %v must be longer than the attempt timeout %v", c.ClaimAfter, c.Timeout)
	}
	if c.BackoffBase > c.BackoffCap {
		return c, fmt.Errorf("backoff base %v is above its cap %v", c.BackoffBase, c.BackoffCap)
	}
	if c.Partitions < 1 || c.Partitions > MaxPartitions {
		return c, fmt.Errorf("partitions must be 1 to %d", MaxPartitions)
	}
	if c.Workers < 0 || c.MaxAttempts < 0 || c.Failures < 0 {
		return c, errors.New("workers, max_attempts and breaker failures must be positive")
	}
	return c, nil
}

// targetURL resolves a route's URL (absolute, or a path) against the target.
func targetURL(to, route string) (string, error) {
	base, err := url.Parse(to)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return "", fmt.Errorf("target %q must be an absolute http(s) URL", to)
	}
	if route == "" {
		return base.String(), nil
	}
	ref, err := url.Parse(route)
	if err != nil {
		return "", fmt.Errorf("route target %q: %w", route, err)
	}
	return base.ResolveReference(ref).String(), nil
}

// matchAny reports whether typ matches one of globs.
func matchAny(globs []string, typ string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, typ); ok {
			return true
		}
	}
	return false
}
