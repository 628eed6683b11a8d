package relay

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/caddy-hookgate/event"
)

// instrumentation names the relay's tracer.
const instrumentation = "github.com/hookgate/caddy-hookgate/relay"

// traceAttempt starts the span of one delivery attempt, a child of the
// trace context stored with the event (a root when none was), and returns
// the context to send the attempt in. The span is nil when the relay
// traces nothing; ctx then carries no span and the request forwards the
// stored traceparent unchanged.
func (r *Relay) traceAttempt(st event.Stored) (context.Context, trace.Span) {
	ctx := context.Background()
	if r.cfg.Tracing == nil {
		return ctx, nil
	}
	p := r.cfg.Tracing()
	if p == nil {
		return ctx, nil
	}
	if st.Traceparent != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": st.Traceparent})
	}
	return p.Tracer(instrumentation).Start(ctx, "hookgate.deliver", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("hookgate.relay", r.cfg.Name), attribute.String("hookgate.event_id", st.ID),
			attribute.String("hookgate.source", st.Source), attribute.String("hookgate.tenant", st.Tenant),
			attribute.String("hookgate.type", st.Type)))
}

// endAttempt records what the attempt did and ends its span, if any.
func endAttempt(span trace.Span, rep Report) {
	if span == nil {
		return
	}
	span.SetAttributes(attribute.Int("hookgate.attempt", rep.Attempt), attribute.String("hookgate.outcome", rep.Outcome),
		attribute.String("hookgate.code_class", rep.Class))
	if rep.Status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", rep.Status))
	}
	if rep.Outcome != OutcomeDelivered {
		span.SetStatus(codes.Error, rep.Error)
	}
	span.End()
}

// injectTraceparent sets the traceparent of the attempt's span in ctx on
// h, so the receiver continues the trace under this attempt. Without a
// span h keeps the stored traceparent.
func injectTraceparent(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
	}
}
