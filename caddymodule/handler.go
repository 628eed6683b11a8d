package caddymodule

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/relay"
	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the webhook directive.
const (
	DefaultMaxSize   = 1 << 20
	DefaultTenant    = "default"
	DefaultStream    = "events"
	DefaultDedupeTTL = 72 * time.Hour
	DefaultMaxDepth  = 64
	maxAuditLen      = 512
	// defaultLoggedPayload is what log_payloads without a size logs of a body.
	defaultLoggedPayload = 4 << 10
)

// Handler is the webhook ingest endpoint of one provider on one route. It
// answers every request itself: a verified event is stored in the Redis
// stream before any 2xx goes back.
type Handler struct {
	// Provider verifies signatures; its module name is the event source.
	ProviderRaw json.RawMessage `json:"provider,omitempty" caddy:"namespace=http.handlers.webhook.verifiers inline_key=name"`
	// Secrets the signature may be made with; several allow rotation.
	// Placeholders such as {env.STRIPE_SECRET} are replaced at provisioning.
	Secrets []string `json:"secrets,omitempty"`
	// TenantSecrets gives each tenant its own secrets, instead of Secrets:
	// the tenant a request names (Tenant, from a request placeholder)
	// picks the only secrets that may verify it. Placeholders allowed.
	TenantSecrets map[string][]string `json:"tenant_secrets,omitempty"`
	// TenantSecretLists are "tenant:secret,tenant:secret" lists, usually
	// one {env.NAME}, read at provisioning into more tenant secrets; a
	// tenant named twice has both (rotation).
	TenantSecretLists []string `json:"tenant_secret_lists,omitempty"`
	// Tolerance for signed timestamps, both directions. Default 5m.
	Tolerance caddy.Duration `json:"tolerance,omitempty"`
	// MaxSize is the largest body accepted, in bytes. Default 1 MiB.
	MaxSize int64 `json:"max_size,omitempty"`
	// Tenant names who the events belong to; request placeholders allowed.
	// Default "default".
	Tenant string `json:"tenant,omitempty"`
	// Stream is the name of the Redis stream events go to. Default "events".
	Stream string `json:"stream,omitempty"`
	// DedupeTTL is how long a provider event id is remembered. Default 72h.
	DedupeTTL caddy.Duration `json:"dedupe_ttl,omitempty"`
	// ReadTimeout bounds the time the whole body may take to arrive, from
	// when the handler starts reading; past it the request gets 408. The
	// server's own read_body applies instead when it is shorter.
	// Default 10s.
	ReadTimeout caddy.Duration `json:"read_timeout,omitempty"`
	// DedupeScope names the namespace event ids are deduplicated in, for
	// routes that should share one. By default each secret is its own
	// scope: events are duplicates only for the same signer.
	DedupeScope string `json:"dedupe_scope,omitempty"`
	// MaxDepth is the deepest nesting of arrays and objects a body may
	// have. Default 64.
	MaxDepth int `json:"max_depth,omitempty"`
	// LogPayloads, when above 0, adds up to that many bytes of the body to
	// the route's log lines (the DEBUG line of a stored or duplicate event
	// and the sampled line of a refusal): for debugging only, since bodies
	// carry customers' data. Default 0: no payload is ever logged.
	LogPayloads int64 `json:"log_payloads,omitempty"`

	source  string
	signer  *signer        // nil with per-tenant secrets
	tenants *tenantSigners // nil without
	locator verifier.Locator
	fields  []string
	scopes  []string // every dedupe scope of the route, for the stream check
	keys    relay.Keys
	ordered []relay.Ordered // the relays with order_by on the stream
	layout  *relay.Placement
	app     *App
	now     func() time.Time
	logger  *zap.Logger
	rejects *rejectLog
	meter   *ingestMeter // nil with metrics off

	// secretLogs keeps the provider's secret headers out of Caddy's
	// logs; nil when it has none.
	secretLogs *secretLogs
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.webhook",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision loads the provider, resolves secrets and takes the app's store.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.rejects = newRejectLog(h.logger)
	h.now = time.Now
	if h.ProviderRaw == nil {
		return fmt.Errorf("webhook: no provider")
	}
	mod, err := ctx.LoadModule(h, "ProviderRaw")
	if err != nil {
		return fmt.Errorf("webhook: loading provider: %w", err)
	}
	provider, ok := mod.(Provider)
	if !ok {
		return fmt.Errorf("webhook: module %T is not a provider", mod)
	}
	h.source = caddy.GetModuleName(mod)
	h.secretLogs = newSecretLogs(ctx, provider)

	if err := h.provisionSigners(provider); err != nil {
		return err
	}
	h.fields = h.locator.Fields()

	if h.MaxSize == 0 {
		h.MaxSize = DefaultMaxSize
	}
	if h.Tenant == "" {
		h.Tenant = DefaultTenant
	}
	if h.Stream == "" {
		h.Stream = DefaultStream
	}
	if h.DedupeTTL == 0 {
		h.DedupeTTL = caddy.Duration(DefaultDedupeTTL)
	}
	if h.ReadTimeout == 0 {
		h.ReadTimeout = caddy.Duration(DefaultReadTimeout)
	}
	if h.MaxDepth == 0 {
		h.MaxDepth = DefaultMaxDepth
	}
	if strings.IndexByte(h.Tenant, '{') < 0 {
		if h.Tenant, err = verifier.NormalizeTenant(h.Tenant); err != nil {
			return fmt.Errorf("webhook %s: tenant %q: %w", h.source, h.Tenant, err)
		}
	}
	appMod, err := ctx.App("hookgate")
	if err != nil {
		return fmt.Errorf("webhook %s: loading hookgate app: %w", h.source, err)
	}
	h.app = appMod.(*App)
	if !h.app.MetricsOff {
		h.meter = newIngestMeter(h.source, h.app.MetricsTenantLabel)
	}
	h.keys, err = relay.NewKeys(h.app.Prefix, h.Stream)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", h.source, err)
	}
	if h.app.gauges != nil {
		h.app.gauges.stream(h.Stream, h.app.partsOf(h.Stream))
	}
	if h.ordered, err = h.app.orderedOn(h.Stream); err != nil {
		return fmt.Errorf("webhook %s: %w", h.source, err)
	}
	h.layout = h.app.placement(h.Stream, h.keys, time.Duration(h.DedupeTTL))
	if h.ordered != nil && h.layout.N() > 1 && (h.source == "jwt" || h.source == "mailgun") {
		return fmt.Errorf("webhook %s: stream %s has %d partitions and an ordered relay: %s events are placed by their one-time value, "+
			"so their order could not be kept; give the route a stream of its own", h.source, h.Stream, h.layout.N(), h.source)
	}
	for _, scope := range h.scopes {
		if other, ok := h.app.signers.claim(h.source, scope, h.Stream); !ok {
			return fmt.Errorf("webhook %s: a route with the same signer (a secret or dedupe_scope in common) stores into stream %q, this one into %q: "+
				"one signed event would be accepted once per stream; give the routes one stream (several relays on it fan out) or their own secrets", h.source, other, h.Stream)
		}
	}
	return nil
}

// place picks the partition of an event and fills in what its append
// needs beyond the dedupe key: the ordering queues and, while the stream
// has another recent layout, its keys there.
func (h *Handler) place(ctx context.Context, st *event.Stored, d *relay.Dedupe) (relay.Keys, error) {
	keys, err := h.layout.Place(ctx, h.app.store.rdb, st, "", d)
	if err != nil {
		return keys, err
	}
	if h.ordered != nil {
		d.Queues = keys.QueuesOf(h.ordered, st)
	}
	return keys, nil
}

// Validate checks the limits.
func (h *Handler) Validate() error {
	if h.MaxSize < 0 {
		return fmt.Errorf("webhook %s: max_size must be positive", h.source)
	}
	if h.Tolerance < 0 {
		return fmt.Errorf("webhook %s: tolerance must be positive", h.source)
	}
	if h.ReadTimeout < 0 {
		return fmt.Errorf("webhook %s: read_timeout must be positive", h.source)
	}
	if h.MaxSize >= h.app.MaxBuffered {
		return fmt.Errorf("webhook %s: max_size must be below the hookgate max_buffered of %s, or no body of max_size could be received", h.source, humanize.IBytes(uint64(h.app.MaxBuffered)))
	}
	if h.LogPayloads < 0 {
		return fmt.Errorf("webhook %s: log_payloads must not be negative", h.source)
	}
	if h.MaxDepth < 1 || h.MaxDepth > event.MaxDepthLimit {
		return fmt.Errorf("webhook %s: max_depth must be between 1 and %d", h.source, event.MaxDepthLimit)
	}
	tolerance := time.Duration(h.Tolerance)
	if tolerance == 0 {
		tolerance = verifier.DefaultTolerance
	}
	if time.Duration(h.DedupeTTL) < 2*tolerance {
		// A signature stays valid from tolerance before its timestamp to
		// tolerance after: a key that expires sooner lets the same capture
		// in again.
		return fmt.Errorf("webhook %s: dedupe_ttl %v must be at least twice the tolerance (%v), or a replay inside the tolerance would be a new event",
			h.source, time.Duration(h.DedupeTTL), 2*tolerance)
	}
	if h.DedupeTTL < caddy.Duration(time.Second) {
		return fmt.Errorf("webhook %s: dedupe_ttl must be at least 1s", h.source)
	}
	return nil
}

// ServeHTTP runs the ingest contract: method, content type, size, signature
// and timestamp, body shape, then one atomic dedupe-and-append.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.secretLogs.carries(w, r) {
		return h.secretLogs.serve(w, r, next, h)
	}
	start := time.Now()
	// Recording only with Caddy's tracing on the route; off, this check
	// is all tracing costs.
	span := trace.SpanFromContext(r.Context())
	if span.IsRecording() {
		r, span = h.startIngest(r, span)
	}
	res := h.ingest(w, r)
	latency := time.Since(start)
	if span.IsRecording() {
		endIngest(span, res)
	}
	h.meter.observe(res.outcome, res.tenant, latency)
	if res.outcome <= outcomeDuplicate {
		// Check first: building fields for a disabled level costs on
		// every request.
		if ce := h.logger.Check(zap.DebugLevel, "event "+res.outcome.String()); ce != nil {
			fs := []zap.Field{zap.String("event_id", res.id), zap.String("source", h.source), zap.String("tenant", res.tenant),
				zap.String("type", res.typ), zap.String("outcome", res.outcome.String()), zap.Int("status", res.status),
				zap.Float64("latency_ms", float64(latency.Microseconds())/1000), zap.String("request_id", requestID(r))}
			if h.LogPayloads > 0 {
				fs = append(fs, zap.String("payload", res.payload))
			}
			ce.Write(fs...)
		}
	}
	return res.err
}

// ingested is what ingest did with one request, for metrics and logs.
type ingested struct {
	outcome         ingestOutcome
	status          int
	id, tenant, typ string // empty until known
	payload         string // with log_payloads and DEBUG on: the start of the body
	err             error
}

// ingest answers one request.
func (h *Handler) ingest(w http.ResponseWriter, r *http.Request) ingested {
	if r.Method != http.MethodPost {
		if r.Method == http.MethodGet {
			if res, ok := h.unsignedHandshake(w, r, nil); ok {
				return res
			}
		}
		w.Header().Set("Allow", http.MethodPost)
		closeAfterReply(w, r)
		return ingested{outcome: outcomeMethod, status: http.StatusMethodNotAllowed,
			err: replyError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")}
	}
	if ct := h.locator.ContentType; ct != "" && !mediaTypeIs(r.Header.Get("Content-Type"), ct) {
		closeAfterReply(w, r)
		return h.reject(w, r, http.StatusUnsupportedMediaType, "content type must be "+ct)
	}
	if r.ContentLength > h.MaxSize {
		closeAfterReply(w, r)
		return h.reject(w, r, http.StatusRequestEntityTooLarge, "body exceeds max_size of "+humanize.IBytes(uint64(h.MaxSize)))
	}
	rc := http.NewResponseController(w)
	within, ours := h.bodyDeadline(rc, r)
	bufp := bodies.Get().(*[]byte)
	body, held, err := readCapped(r.Body, *bufp, h.MaxSize, r.ContentLength, h.app.budget)
	// Given back once the request is answered, on every path: on a 503 from
	// the store the buffer is not reused but becomes garbage.
	defer h.app.budget.give(held)
	if err != nil {
		closeAfterReply(w, r)
		putBody(bufp, body)
		switch {
		case errors.Is(err, errNoBudget):
			w.Header().Set("Retry-After", retryAfter)
			return h.reject(w, r, http.StatusServiceUnavailable, "too many bodies being received, retry later")
		case errors.Is(err, errTooLarge):
			return h.reject(w, r, http.StatusRequestEntityTooLarge, "body exceeds max_size of "+humanize.IBytes(uint64(h.MaxSize)))
		case errors.Is(err, os.ErrDeadlineExceeded):
			return h.reject(w, r, http.StatusRequestTimeout, "body not received within "+within.String())
		}
		return h.reject(w, r, http.StatusBadRequest, "reading body failed")
	}
	if ours {
		_ = rc.SetReadDeadline(time.Time{})
	}
	if res, ok := h.unsignedHandshake(w, r, body); ok {
		putBody(bufp, body)
		return res
	}
	if h.locator.Body == verifier.BodyJSONArray {
		return h.ingestBatch(w, r, body, bufp)
	}
	stored, dedupe, reply, code, msg := h.check(r, body)
	if reply != nil {
		putBody(bufp, body)
		return h.handshake(w, reply)
	}
	if code != 0 {
		// Logged before the buffer goes back to the pool for another request.
		res := h.rejectBody(w, r, code, msg, body)
		putBody(bufp, body)
		return res
	}

	var outcome relay.Outcome
	keys, err := h.place(r.Context(), &stored, &dedupe)
	if err == nil {
		outcome, err = h.app.store.appender.AppendWithin(r.Context(), time.Duration(h.app.Timeout), keys, time.Duration(h.DedupeTTL), &stored, dedupe)
	}
	res := ingested{id: stored.ID, tenant: stored.Tenant, typ: stored.Type}
	if h.LogPayloads > 0 && h.logger.Core().Enabled(zap.DebugLevel) {
		res.payload = payload(body, h.LogPayloads)
	}
	if err != nil {
		// The appender may still read body: the buffer is not reused. The
		// append may yet succeed; the provider's retry is then a duplicate.
		level, msg := zap.ErrorLevel, "event may not be stored; asking the provider to retry"
		if r.Context().Err() != nil {
			level, msg = zap.InfoLevel, "sender hung up before its event was confirmed stored"
		}
		h.logger.Log(level, msg,
			zap.String("source", h.source), zap.String("tenant", stored.Tenant),
			zap.String("event_id", stored.ID), zap.String("outcome", outcomeUnavailable.String()),
			zap.String("request_id", requestID(r)), zap.Error(err))
		w.Header().Set("Retry-After", retryAfter)
		res.outcome, res.status = outcomeUnavailable, http.StatusServiceUnavailable
		res.err = replyError(w, http.StatusServiceUnavailable, "event store unavailable, retry later")
		return res
	}
	if outcome == relay.Replayed {
		res := h.rejectBody(w, r, http.StatusUnauthorized, errReplayed, body)
		putBody(bufp, body)
		return res
	}
	res.outcome, res.status = outcomeAccepted, http.StatusAccepted
	if h.locator.Accepted != 0 {
		res.status = h.locator.Accepted
	}
	if outcome == relay.Duplicate {
		res.outcome, res.status = outcomeDuplicate, http.StatusOK
	}
	if ack, ok := h.routeVerifier(r).(verifier.Acknowledger); ok {
		if reply, ok := ack.Acknowledge(body, stored.Type); ok {
			putBody(bufp, body)
			res.status = cmp.Or(reply.Status, http.StatusOK)
			res.err = h.writeReply(w, reply)
			return res
		}
	}
	putBody(bufp, body)
	res.err = replyStatus(w, res.status, res.outcome.String(), stored.ID)
	return res
}

// check verifies the request and builds the event to store and what
// makes it a duplicate. A non-zero code is the rejection to send, with its
// message. Only what the signature covers decides the event's identity
// (verifier.Identify); the tenant is a label, never part of the dedupe key.
func (h *Handler) check(r *http.Request, body []byte) (event.Stored, relay.Dedupe, *verifier.Reply, int, string) {
	v, reply, code, msg := h.authenticate(r, body)
	if reply != nil || code != 0 {
		return event.Stored{}, relay.Dedupe{}, reply, code, msg
	}
	var found [3]string
	if code, msg := h.readFields(body, found[:]); code != 0 {
		return event.Stored{}, relay.Dedupe{}, nil, code, msg
	}
	id, err := verifier.Identify(v.signed, h.locator, r.Header, body, verifier.BodyFields{ID: found[0], Type: found[1], Action: found[2]})
	if err != nil {
		return event.Stored{}, relay.Dedupe{}, nil, http.StatusBadRequest, err.Error()
	}
	return event.Stored{
		ID: id.ID, Source: h.source, Tenant: v.tenant, Type: id.Type,
		ReceivedAt:  h.now(),
		Traceparent: storedTraceparent(r),
		Header:      h.auditHeaders(r),
		Body:        body,
	}, relay.Dedupe{Scopes: v.signer.scopes, ID: id.Dedupe, Replay: v.signed.Replay, ReplayTTL: v.signed.ReplayTTL}, nil, 0, ""
}

// verified is what authenticate learnt of a request it let through.
type verified struct {
	signer *signer
	signed verifier.Signed
	tenant string
}

// authenticate verifies r with the secrets its route (or its tenant) has
// and answers a signed handshake. A non-zero code is the refusal.
func (h *Handler) authenticate(r *http.Request, body []byte) (verified, *verifier.Reply, int, string) {
	s, tenant := h.signer, ""
	if h.tenants != nil {
		// The tenant picks the secrets, so it is read first.
		var err error
		if tenant, err = h.requestTenant(r); err != nil {
			return verified{}, nil, http.StatusBadRequest, err.Error()
		}
		var known bool
		s, known = h.tenants.pick(tenant)
		if !known {
			// Verified all the same, so an unknown tenant costs the time
			// and gets the answer of a bad signature.
			_, err := verify(s.verifier, r, body)
			if err == nil {
				err = verifier.ErrMismatch
			}
			return verified{}, nil, http.StatusUnauthorized, signatureMessage(err)
		}
	}
	signed, err := verify(s.verifier, r, body)
	if err != nil {
		return verified{}, nil, http.StatusUnauthorized, signatureMessage(err)
	}
	if hs, ok := s.verifier.(verifier.Handshaker); ok {
		if reply, ok := hs.SignedHandshake(r, body, signed); ok {
			return verified{}, reply, 0, ""
		}
	}
	if h.tenants == nil {
		if tenant, err = h.requestTenant(r); err != nil {
			return verified{}, nil, http.StatusBadRequest, err.Error()
		}
	}
	return verified{signer: s, signed: signed, tenant: tenant}, nil, 0, ""
}

// auditHeaders are the provider's audit headers r carries, kept with the
// event; nil when none.
func (h *Handler) auditHeaders(r *http.Request) http.Header {
	var kept http.Header
	for _, name := range h.locator.Audit {
		if v := r.Header.Get(name); auditable(v) {
			if kept == nil {
				kept = make(http.Header, len(h.locator.Audit))
			}
			kept[http.CanonicalHeaderKey(name)] = []string{v}
		}
	}
	return kept
}

// requestTenant is the route's tenant for r, its placeholders replaced
// and checked: it becomes part of Redis keys and delivery ids.
func (h *Handler) requestTenant(r *http.Request) (string, error) {
	tenant := h.Tenant
	if strings.IndexByte(tenant, '{') < 0 {
		return tenant, nil
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		tenant = repl.ReplaceAll(tenant, DefaultTenant)
	}
	return verifier.NormalizeTenant(tenant)
}

// auditable reports whether an unsigned header value may be stored beside
// the event: a short line of printable ASCII, so a sender cannot bloat
// entries or carry control bytes into what operators and normalizers read.
func auditable(v string) bool {
	if v == "" || len(v) > maxAuditLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request, code int, msg string) ingested {
	return h.rejectBody(w, r, code, msg, nil)
}

// rejectBody is reject for a request whose body was read: with
// log_payloads, its line carries the start of body.
func (h *Handler) rejectBody(w http.ResponseWriter, r *http.Request, code int, msg string, body []byte) ingested {
	o := rejection(code)
	h.rejects.write(h.now(), func() []zap.Field {
		fs := []zap.Field{zap.String("source", h.source), zap.String("outcome", o.String()), zap.Int("status", code),
			zap.String("reason", msg), zap.String("remote", r.RemoteAddr), zap.String("request_id", requestID(r))}
		if h.LogPayloads > 0 && body != nil {
			fs = append(fs, zap.String("payload", payload(body, h.LogPayloads)))
		}
		return fs
	})
	return ingested{outcome: o, status: code, err: replyError(w, code, msg)}
}

// payload copies at most limit bytes of body for a log line: the buffer
// is reused by the next request once this one is answered.
func payload(body []byte, limit int64) string {
	if int64(len(body)) > limit {
		return string(body[:limit]) + "…"
	}
	return string(body)
}

// errReplayed answers an event under a signed value (a JWT's jti) that
// already named another event.
const errReplayed = "signature already used for another event"

// requestID is Caddy's id of the request, {http.request.uuid}: the same
// one its access log carries, made when first asked for.
func requestID(r *http.Request) string {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return ""
	}
	return repl.ReplaceKnown("{http.request.uuid}", "")
}

// signatureMessage keeps verifier errors to their fixed wording, so no
// detail of what was expected reaches the sender.
func signatureMessage(err error) string {
	for _, known := range []error{verifier.ErrMissing, verifier.ErrMalformed, verifier.ErrStale, verifier.ErrMismatch} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return "invalid signature"
}

func mediaTypeIs(header, want string) bool {
	if header == want {
		return true
	}
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == want
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
