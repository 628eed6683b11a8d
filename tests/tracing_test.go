package tests

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// otlpReceiver is a real OTLP/HTTP trace receiver on loopback: what Caddy's
// exporter sends when OTEL_EXPORTER_OTLP_ENDPOINT points at it.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	bad   []string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	o := &otlpReceiver{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				o.fail(w, "gzip: "+err.Error())
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &req)
		}
		if r.URL.Path != "/v1/traces" || err != nil {
			o.fail(w, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
			return
		}
		o.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				o.spans = append(o.spans, ss.GetSpans()...)
			}
		}
		o.mu.Unlock()
		reply, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(reply)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *otlpReceiver) fail(w http.ResponseWriter, why string) {
	o.mu.Lock()
	o.bad = append(o.bad, why)
	o.mu.Unlock()
	w.WriteHeader(http.StatusBadRequest)
}

// named returns the received spans called name, or every one for "".
func (o *otlpReceiver) named(name string) []*tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range o.spans {
		if name == "" || s.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

// failures are the exports the receiver could not read.
func (o *otlpReceiver) failures() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.bad...)
}

// attr is a span's attribute as text, "" when absent.
func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() != key {
			continue
		}
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue
		case *commonpb.AnyValue_IntValue:
			return strconv.FormatInt(v.IntValue, 10)
		}
		return fmt.Sprintf("%v", kv.GetValue())
	}
	return ""
}

// withAttr filters spans by one attribute.
func withAttr(spans []*tracepb.Span, key, value string) []*tracepb.Span {
	var out []*tracepb.Span
	for _, s := range spans {
		if attr(s, key) == value {
			out = append(out, s)
		}
	}
	return out
}

// tracedTarget answers the first delivery 500 and the rest 204, and keeps
// the traceparent of each.
type tracedTarget struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newTracedTarget(t *testing.T) *tracedTarget {
	t.Helper()
	tt := &tracedTarget{}
	tt.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tt.mu.Lock()
		tt.seen = append(tt.seen, r.Header.Get("Traceparent"))
		n := len(tt.seen)
		tt.mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(tt.Close)
	return tt
}

func (tt *tracedTarget) traceparents() []string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return append([]string(nil), tt.seen...)
}

// The sender's trace context, as a provider that traces would send it.
const (
	senderTraceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
	senderSpanID      = "00f067aa0ba902b7"
	senderTraceparent = "00-" + senderTraceID + "-" + senderSpanID + "-01"
)

// exportTo points Caddy's OpenTelemetry exporter at o, over OTLP/HTTP, and
// has it export without waiting the default 5 s.
func exportTo(t *testing.T, o *otlpReceiver) {
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", o.URL)
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
}

// storedTraceparent is the traceparent stored with the only event.
func storedTraceparent(t *testing.T, redisAddr string) string {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	defer rdb.Close()
	msgs, err := rdb.XRange(context.Background(), "hookgate:{events}", "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("XRANGE: %d entries, %v", len(msgs), err)
	}
	tp, _ := msgs[0].Values["traceparent"].(string)
	return tp
}

func TestTracedIngestAndDeliveriesShareOneTrace(t *testing.T) {
	otlp := newOTLPReceiver(t)
	exportTo(t, otlp)
	srv := redistest.Start(t)
	to := newTracedTarget(t)
	c := startCaddy(t, srv.URL(), relayOpts(to.URL, "max_attempts 3"), "tracing\n\t"+stripeRoute)

	body := stripeEvent("evt_traced")
	if code, _, reply := c.post(t, "/stripe", with(stripeSigned(body, time.Now()), "Traceparent", senderTraceparent), []byte(body)); code != 202 {
		t.Fatalf("ingest: %d %s", code, reply)
	}
	other := stripeEvent("evt_forged")
	if code, _, _ := c.post(t, "/stripe", stripeSigned(other, time.Now()), []byte(stripeEvent("evt_x"))); code != 401 {
		t.Fatalf("a bad signature got %d", code)
	}
	waitFor(t, 20*time.Second, "the ingest spans and two delivery spans", func() bool {
		return len(otlp.named("hookgate.ingest")) >= 2 && len(otlp.named("hookgate.deliver")) >= 2
	})
	if bad := otlp.failures(); len(bad) > 0 {
		t.Fatalf("exports the receiver could not read: %v", bad)
	}

	ingests := withAttr(otlp.named("hookgate.ingest"), "hookgate.outcome", "accepted")
	if len(ingests) != 1 {
		t.Fatalf("%d accepted ingest spans, want 1", len(ingests))
	}
	in := ingests[0]
	for key, want := range map[string]string{"hookgate.event_id": "evt_traced", "hookgate.source": "stripe", "hookgate.tenant": "default",
		"hookgate.type": "invoice.paid", "http.response.status_code": "202"} {
		if got := attr(in, key); got != want {
			t.Errorf("ingest span %s = %q, want %q", key, got, want)
		}
	}
	traceID, ingestID := hex.EncodeToString(in.GetTraceId()), hex.EncodeToString(in.GetSpanId())
	if traceID != senderTraceID {
		t.Errorf("ingest span in trace %s, want the sender's %s", traceID, senderTraceID)
	}
	// Its parent is Caddy's server span, itself the sender's child.
	var server *tracepb.Span
	for _, s := range otlp.named("") {
		if hex.EncodeToString(s.GetSpanId()) == hex.EncodeToString(in.GetParentSpanId()) {
			server = s
		}
	}
	if server == nil || hex.EncodeToString(server.GetParentSpanId()) != senderSpanID {
		t.Errorf("ingest span's parent %x is not Caddy's server span under the sender's %s", in.GetParentSpanId(), senderSpanID)
	}
	if tp := storedTraceparent(t, srv.Addr); tp != "00-"+traceID+"-"+ingestID+"-01" {
		t.Errorf("stored traceparent %q, want the ingest span's", tp)
	}

	rejected := withAttr(otlp.named("hookgate.ingest"), "hookgate.outcome", "unauthorized")
	if len(rejected) != 1 || rejected[0].GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR ||
		attr(rejected[0], "http.response.status_code") != "401" || attr(rejected[0], "hookgate.event_id") != "" {
		t.Errorf("the rejection's ingest span: %v", rejected)
	}

	delivers := otlp.named("hookgate.deliver")
	if len(delivers) != 2 {
		t.Fatalf("%d delivery spans, want 2", len(delivers))
	}
	sent := to.traceparents()
	for i, want := range []struct{ outcome, status string }{{"retry", "500"}, {"delivered", "204"}} {
		var d *tracepb.Span
		for _, s := range delivers {
			if attr(s, "hookgate.attempt") == fmt.Sprint(i+1) {
				d = s
			}
		}
		if d == nil {
			t.Fatalf("no delivery span with attempt %d", i+1)
		}
		if got := hex.EncodeToString(d.GetTraceId()); got != traceID {
			t.Errorf("attempt %d in trace %s, want the ingest's %s", i+1, got, traceID)
		}
		if got := hex.EncodeToString(d.GetParentSpanId()); got != ingestID {
			t.Errorf("attempt %d's parent %s, want the ingest span %s", i+1, got, ingestID)
		}
		if attr(d, "hookgate.outcome") != want.outcome || attr(d, "http.response.status_code") != want.status ||
			attr(d, "hookgate.relay") != "wp" || attr(d, "hookgate.event_id") != "evt_traced" {
			t.Errorf("attempt %d: attributes %v", i+1, d.GetAttributes())
		}
		// The target continues the trace under the attempt it received.
		if wantTP := "00-" + traceID + "-" + hex.EncodeToString(d.GetSpanId()) + "-01"; i >= len(sent) || sent[i] != wantTP {
			t.Errorf("attempt %d reached the target with traceparent %q, want %q", i+1, sent, wantTP)
		}
	}
}

func TestUntracedRouteStoresAndForwardsTheSendersTraceparent(t *testing.T) {
	// The exporter is configured, but no route has the tracing directive.
	otlp := newOTLPReceiver(t)
	exportTo(t, otlp)
	srv := redistest.Start(t)
	to := newTracedTarget(t)
	c := startCaddy(t, srv.URL(), relayOpts(to.URL, "max_attempts 3"), stripeRoute)
	body := stripeEvent("evt_plain")
	if code, _, reply := c.post(t, "/stripe", with(stripeSigned(body, time.Now()), "Traceparent", senderTraceparent), []byte(body)); code != 202 {
		t.Fatalf("ingest: %d %s", code, reply)
	}
	waitFor(t, 20*time.Second, "the retried delivery", func() bool { return len(to.traceparents()) >= 2 })
	if tp := storedTraceparent(t, srv.Addr); tp != senderTraceparent {
		t.Errorf("stored traceparent %q, want the sender's %q", tp, senderTraceparent)
	}
	for i, tp := range to.traceparents() {
		if tp != senderTraceparent {
			t.Errorf("attempt %d forwarded traceparent %q, want the sender's %q", i+1, tp, senderTraceparent)
		}
	}
	if n := len(otlp.named("hookgate.ingest")) + len(otlp.named("hookgate.deliver")); n != 0 {
		t.Errorf("%d hookgate spans exported without the tracing directive", n)
	}
}
