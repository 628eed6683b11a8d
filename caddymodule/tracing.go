package caddymodule

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/caddy-hookgate/event"
)

// instrumentation names Hookgate's tracer.
const instrumentation = "github.com/hookgate/caddy-hookgate"

// tracing is what Hookgate knows of Caddy's tracing: the TracerProvider
// that Caddy's tracing handler put on the requests of a webhook route.
// Caddy builds that provider, its exporter read from the OTEL_*
// environment, and offers it no other way; the relays trace their attempts
// with the one the routes saw, so there is no second exporter to set up.
//
// It is one per App, never global: a config's tracing handlers hold the
// provider until the config is cleaned up, which Caddy does only after
// stopping the App and its relays, so no relay traces with a provider shut
// down by a reload. Until a traced request comes, the relays trace nothing.
type tracing struct {
	seen atomic.Pointer[seenProvider]
}

type seenProvider struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
}

// tracer returns p's tracer and remembers p for the relays.
func (t *tracing) tracer(p trace.TracerProvider) trace.Tracer {
	if cur := t.seen.Load(); cur != nil && cur.provider == p {
		return cur.tracer
	}
	cur := &seenProvider{provider: p, tracer: p.Tracer(instrumentation)}
	t.seen.Store(cur)
	return cur.tracer
}

// provider is the TracerProvider the relays trace with; nil until a
// traced request came.
func (t *tracing) provider() trace.TracerProvider {
	if t == nil {
		return nil
	}
	if cur := t.seen.Load(); cur != nil {
		return cur.provider
	}
	return nil
}

// startIngest starts the ingest span, a child of Caddy's server span
// parent, and returns r carrying it.
func (h *Handler) startIngest(r *http.Request, parent trace.Span) (*http.Request, trace.Span) {
	ctx, span := h.app.tracing.tracer(parent.TracerProvider()).Start(r.Context(), "hookgate.ingest",
		trace.WithAttributes(attribute.String("hookgate.source", h.source)))
	return r.WithContext(ctx), span
}

// endIngest records what ingest did and ends its span. Never a secret, a
// signature or the body: only what the logs already carry.
func endIngest(span trace.Span, res ingested) {
	attrs := []attribute.KeyValue{attribute.String("hookgate.outcome", res.outcome.String()), attribute.Int("http.response.status_code", res.status)}
	for _, a := range []struct{ key, value string }{{"hookgate.event_id", res.id}, {"hookgate.tenant", res.tenant}, {"hookgate.type", res.typ}} {
		if a.value != "" {
			attrs = append(attrs, attribute.String(a.key, a.value))
		}
	}
	span.SetAttributes(attrs...)
	if res.status >= 400 {
		span.SetStatus(codes.Error, res.outcome.String())
	}
	span.End()
}

// storedTraceparent is the trace context stored with the event, which
// every delivery continues.
//
// With tracing on the route it is the ingest span's, so each delivery
// attempt is a child of the ingest in the trace the sender started or
// continued. Not the request's header: Caddy's tracing handler has
// replaced it by then with its own server span's, the ingest's parent.
//
// With tracing off it is the header as sent, when valid.
func storedTraceparent(r *http.Request) string {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		return traceparent(r.Context())
	}
	return event.Traceparent(r.Header.Get("Traceparent"))
}

// traceparent is the W3C traceparent of the span in ctx.
func traceparent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}
