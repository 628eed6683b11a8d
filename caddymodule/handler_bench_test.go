package caddymodule

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
	"github.com/hookgate/caddy-hookgate/verifier"
)

const benchSecret = "whsec_bench"

// benchHandler wires a Stripe handler to a real redis-server the way
// Provision does, without a Caddy config around it.
func benchHandler(b testing.TB) *Handler {
	srv := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	appender := relay.NewAppender(rdb, 2*time.Second, 4, 128)
	b.Cleanup(func() { appender.Close(); rdb.Close() })
	v, err := verifier.NewStripe(verifier.Config{Secrets: []string{benchSecret}})
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := relay.NewKeys("hookgate", "events")
	loc := v.Locate()
	return &Handler{
		MaxSize: DefaultMaxSize, Tenant: DefaultTenant, DedupeTTL: caddy.Duration(time.Hour), ReadTimeout: caddy.Duration(DefaultReadTimeout),
		MaxDepth: DefaultMaxDepth, scopes: []string{verifier.SecretScope(benchSecret)},
		source: "stripe", signer: &signer{verifier: v, scopes: []string{verifier.SecretScope(benchSecret)}}, locator: loc, fields: []string{loc.IDField, loc.TypeField},
		keys: keys, layout: relay.NewPlacement(keys, 1, relay.OrderBy{}, time.Hour), app: &App{Timeout: caddy.Duration(2 * time.Second), store: &store{rdb: rdb, appender: appender}, budget: newBudget(DefaultMaxBuffered)},
		now: time.Now, logger: zap.NewNop(),
	}
}

type signedBody struct {
	body []byte
	sig  string
}

// stripeBodies signs n distinct ~2 KB events ahead of the timed loop.
func stripeBodies(n int) []signedBody {
	pad := strings.Repeat("x", 1800)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	out := make([]signedBody, n)
	for i := range out {
		body := fmt.Sprintf(`{"id":"evt_%d","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","pad":%q}}}`, i, pad)
		m := hmac.New(sha256.New, []byte(benchSecret))
		m.Write([]byte(ts + "." + body))
		out[i] = signedBody{[]byte(body), "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))}
	}
	return out
}

// BenchmarkHandlerStripe is the whole ingest path of one request, in
// parallel as under load: read, verify, scan, dedupe and append in Redis.
func BenchmarkHandlerStripe(b *testing.B) {
	h := benchHandler(b)
	reqs := stripeBodies(b.N)
	b.ReportAllocs()
	b.SetBytes(int64(len(reqs[0].body)))
	// Many requests in flight, as with a provider's burst: appends coalesce.
	b.SetParallelism(32)
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		w := &statusWriter{header: http.Header{}}
		for pb.Next() {
			s := reqs[next.Add(1)-1]
			r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/stripe", bytes.NewReader(s.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Stripe-Signature", s.sig)
			w.code = 0
			if err := h.ServeHTTP(w, r, nil); err != nil || w.code != http.StatusAccepted {
				b.Fatalf("status %d: %v", w.code, err)
			}
		}
	})
}

// statusWriter keeps only the status, so the benchmark measures the
// handler and not a recorder.
type statusWriter struct {
	header http.Header
	code   int
}

func (w *statusWriter) Header() http.Header         { return w.header }
func (w *statusWriter) WriteHeader(code int)        { w.code = code }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }

// SetReadDeadline lets the handler set its body deadline as on a
// connection; what the conn itself spends on it is not measured here.
func (w *statusWriter) SetReadDeadline(time.Time) error { return nil }
