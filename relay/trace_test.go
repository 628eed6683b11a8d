package relay

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// storedTraceID and storedSpanID make up stored()'s traceparent.
const (
	storedTraceID = "0af7651916cd43dd8448eb211c80319c"
	storedSpanID  = "b7ad6b7169203331"
)

// failOnce answers 500 to the first attempt and 200 after.
func failOnce(n int, _ delivery) (int, http.Header, string) {
	if n == 1 {
		return 500, nil, "oops"
	}
	return 200, nil, ""
}

func TestEachAttemptIsASpanUnderTheStoredTraceparent(t *testing.T) {
	f := newFixture(t)
	tg := newTarget(t, failOnce)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	cfg := f.config("wp", tg.URL)
	cfg.Tracing = func() trace.TracerProvider { return tp }
	f.start(t, cfg, nil)
	f.ingest(t, "evt_traced")
	waitUntil(t, 10*time.Second, "two ended attempt spans", func() bool { return len(spans.Ended()) >= 2 })

	ended, got := spans.Ended(), tg.deliveries()
	if len(ended) != 2 || len(got) != 2 {
		t.Fatalf("%d spans and %d deliveries, want 2 of each", len(ended), len(got))
	}
	for i, want := range []struct {
		outcome, class string
		status         int
		code           codes.Code
	}{
		{OutcomeRetry, "5xx", 500, codes.Error},
		{OutcomeDelivered, "2xx", 200, codes.Unset},
	} {
		s := ended[i]
		if s.Name() != "hookgate.deliver" || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("attempt %d: span %q of kind %v", i+1, s.Name(), s.SpanKind())
		}
		if p := s.Parent(); p.TraceID().String() != storedTraceID || p.SpanID().String() != storedSpanID || !p.IsRemote() {
			t.Errorf("attempt %d: parent %s/%s, want the stored %s/%s", i+1, p.TraceID(), p.SpanID(), storedTraceID, storedSpanID)
		}
		attrs := attribute.NewSet(s.Attributes()...)
		for key, v := range map[string]attribute.Value{
			"hookgate.relay": attribute.StringValue("wp"), "hookgate.event_id": attribute.StringValue("evt_traced"),
			"hookgate.attempt": attribute.IntValue(i + 1), "hookgate.outcome": attribute.StringValue(want.outcome),
			"hookgate.code_class": attribute.StringValue(want.class), "http.response.status_code": attribute.IntValue(want.status),
		} {
			if got, ok := attrs.Value(attribute.Key(key)); !ok || got != v {
				t.Errorf("attempt %d: %s = %v, want %v", i+1, key, got.String(), v.String())
			}
		}
		if s.Status().Code != want.code {
			t.Errorf("attempt %d: status %v, want %v", i+1, s.Status().Code, want.code)
		}
		// The receiver continues the trace under the attempt, not above it.
		wantTP := fmt.Sprintf("00-%s-%s-01", storedTraceID, s.SpanContext().SpanID())
		if tp := got[i].header.Get("Traceparent"); tp != wantTP {
			t.Errorf("attempt %d sent traceparent %q, want its own span's %q", i+1, tp, wantTP)
		}
	}
}

func TestWithoutATracerTheStoredTraceparentIsForwardedUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tracing func() trace.TracerProvider
	}{
		{"no tracing configured", nil},
		{"no provider seen yet", func() trace.TracerProvider { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tg := newTarget(t, failOnce)
			cfg := f.config("wp", tg.URL)
			cfg.Tracing = tc.tracing
			f.start(t, cfg, nil)
			f.ingest(t, "evt_plain")
			waitUntil(t, 10*time.Second, "the second attempt", func() bool { return len(tg.deliveries()) >= 2 })
			want := stored("evt_plain").Traceparent
			for i, d := range tg.deliveries() {
				if got := d.header.Get("Traceparent"); got != want {
					t.Errorf("attempt %d sent traceparent %q, want the stored %q", i+1, got, want)
				}
			}
		})
	}
}
