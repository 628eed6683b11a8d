package caddymodule

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/caddy-hookgate/relay"
)

// The metric families live for the process, not for one config: Caddy
// gives every config load a registry of its own, and a counter must not
// fall back to zero on a reload. Each config registers them into its
// registry.
var (
	ingestLabels       = []string{"source", "outcome"}
	ingestTenantLabels = []string{"source", "tenant", "outcome"}
	// Ingest answers in well under a millisecond when Redis is near; the
	// top buckets show appends waiting on a slow Redis up to its timeout.
	ingestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	ingestOpts    = prometheus.CounterOpts{Namespace: "hookgate", Subsystem: "ingest", Name: "requests_total",
		Help: "Webhook requests by outcome: accepted, duplicate, unauthorized, invalid, too_large, method, unsupported_type, unavailable, handshake."}
	ingestDurationOpts = prometheus.HistogramOpts{Namespace: "hookgate", Subsystem: "ingest", Name: "duration_seconds",
		Help: "Time from the request reaching the webhook handler to its answer, by outcome.", Buckets: ingestBuckets}

	ingestRequests         = prometheus.NewCounterVec(ingestOpts, ingestLabels)
	ingestDuration         = prometheus.NewHistogramVec(ingestDurationOpts, ingestLabels)
	ingestRequestsByTenant = prometheus.NewCounterVec(ingestOpts, ingestTenantLabels)
	ingestDurationByTenant = prometheus.NewHistogramVec(ingestDurationOpts, ingestTenantLabels)

	relayDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hookgate", Subsystem: "relay", Name: "deliveries_total",
		Help: "Delivery attempts by outcome (delivered, retry, dead) and answer class (2xx, 3xx, 4xx, 5xx, timeout, conn)."},
		[]string{"relay", "outcome", "code_class"})
	relayDeliveryDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "hookgate", Subsystem: "relay", Name: "delivery_duration_seconds",
		Help: "Time one delivery attempt took, until the answer's head or the error.", Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
		[]string{"relay"})
	relayEventAge = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "hookgate", Subsystem: "relay", Name: "event_age_seconds",
		Help: "Time from ingest to successful delivery.", Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600}},
		[]string{"relay"})
	relayRetries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hookgate", Subsystem: "relay", Name: "retries_scheduled_total",
		Help: "Failed attempts after which a retry was scheduled."}, []string{"relay"})
	relayDeadLettered = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hookgate", Subsystem: "relay", Name: "dead_lettered_total",
		Help: "Events moved to the dead-letter stream."}, []string{"relay"})
	relayReplayed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "hookgate", Subsystem: "relay", Name: "replayed_total",
		Help: "Dead letters replayed and events queued for redelivery through the admin API."}, []string{"relay"})
)

// registerMetrics adds the families this config uses to its registry.
func registerMetrics(reg prometheus.Registerer, byTenant bool) error {
	ingest := []prometheus.Collector{ingestRequests, ingestDuration}
	if byTenant {
		ingest = []prometheus.Collector{ingestRequestsByTenant, ingestDurationByTenant}
	}
	for _, c := range append(ingest, relayDeliveries, relayDeliveryDuration, relayEventAge, relayRetries, relayDeadLettered, relayReplayed) {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			return err
		}
	}
	return nil
}

// ingestOutcome is what the handler did with one request.
type ingestOutcome uint8

const (
	outcomeAccepted ingestOutcome = iota
	outcomeDuplicate
	outcomeUnauthorized
	outcomeInvalid
	outcomeTooLarge
	outcomeMethod
	outcomeUnsupportedType
	outcomeUnavailable
	outcomeHandshake
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"accepted", "duplicate", "unauthorized", "invalid", "too_large", "method", "unsupported_type", "unavailable", "handshake"}

func (o ingestOutcome) String() string { return outcomeNames[o] }

// rejection is the outcome of a refusal with this status.
func rejection(code int) ingestOutcome {
	switch code {
	case http.StatusUnauthorized:
		return outcomeUnauthorized
	case http.StatusRequestEntityTooLarge:
		return outcomeTooLarge
	case http.StatusMethodNotAllowed:
		return outcomeMethod
	case http.StatusUnsupportedMediaType:
		return outcomeUnsupportedType
	case http.StatusServiceUnavailable:
		return outcomeUnavailable
	}
	return outcomeInvalid
}

// ingestMeter counts one route's outcomes. Without the tenant label the
// series are bound at provisioning, so a request costs two atomic adds
// and no label lookup.
type ingestMeter struct {
	source    string
	byTenant  bool
	requests  [numOutcomes]prometheus.Counter
	durations [numOutcomes]prometheus.Observer
}

func newIngestMeter(source string, byTenant bool) *ingestMeter {
	m := &ingestMeter{source: source, byTenant: byTenant}
	if !byTenant {
		for o := range numOutcomes {
			m.requests[o] = ingestRequests.WithLabelValues(source, o.String())
			m.durations[o] = ingestDuration.WithLabelValues(source, o.String())
		}
	}
	return m
}

// observe counts one request; tenant is "" when the request was refused
// before its tenant was known.
func (m *ingestMeter) observe(o ingestOutcome, tenant string, d time.Duration) {
	if m == nil {
		return
	}
	if m.byTenant {
		ingestRequestsByTenant.WithLabelValues(m.source, tenant, o.String()).Inc()
		ingestDurationByTenant.WithLabelValues(m.source, tenant, o.String()).Observe(d.Seconds())
		return
	}
	m.requests[o].Inc()
	m.durations[o].Observe(d.Seconds())
}

// relayMeter turns relay reports into the relay families, then hands
// them on to next (alerts), if any.
type relayMeter struct{ next relay.Observer }

// newRelayMeter makes the relay's series exist from the start, at zero,
// so a rate or an alert over them has a series to read before the first
// failure.
func newRelayMeter(name string, next relay.Observer) relayMeter {
	relayRetries.WithLabelValues(name)
	relayDeadLettered.WithLabelValues(name)
	relayReplayed.WithLabelValues(name)
	return relayMeter{next: next}
}

func (m relayMeter) Observe(r relay.Report) {
	if r.Class != "" {
		relayDeliveries.WithLabelValues(r.Relay, r.Outcome, r.Class).Inc()
		relayDeliveryDuration.WithLabelValues(r.Relay).Observe(r.Latency.Seconds())
	}
	switch r.Outcome {
	case relay.OutcomeDelivered:
		if !r.Event.ReceivedAt.IsZero() {
			relayEventAge.WithLabelValues(r.Relay).Observe(r.At.Sub(r.Event.ReceivedAt).Seconds())
		}
	case relay.OutcomeRetry:
		relayRetries.WithLabelValues(r.Relay).Inc()
	case relay.OutcomeDead:
		relayDeadLettered.WithLabelValues(r.Relay).Inc()
	}
	if m.next != nil {
		m.next.Observe(r)
	}
}

// countReplayed counts n events sent back to relay name by the admin API.
func countReplayed(name string, n int) {
	if n > 0 {
		relayReplayed.WithLabelValues(name).Add(float64(n))
	}
}
