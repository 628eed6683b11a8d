package caddymodule

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// SecretHeaders is implemented by providers whose senders put the secret
// itself in a header (a static token, basic credentials, a bearer JWT),
// not a MAC made with it. The handler keeps those headers' values out of
// Caddy's access and error logs.
type SecretHeaders interface {
	SecretHeaders() []string
}

// SecretQuery is implemented by providers whose senders put a secret in
// the request's query (Meta's hub.verify_token): the handler keeps those
// parameters' values out of Caddy's logs as it does secret headers'.
type SecretQuery interface {
	SecretQuery() []string
}

// SecretHeaders is the header the token travels in.
func (t Token) SecretHeaders() []string { return []string{t.Header} }

// redacted is what a secret header's value is logged as; Caddy writes the
// same for the Authorization and Cookie headers it redacts.
const redacted = "REDACTED"

// secretLogs keeps a route's secret headers out of Caddy's logs.
//
// Caddy's server copies the request for its access and error logs before
// any handler runs, and redacts only Authorization, Cookie and their kin
// (none of them when log_credentials is on): what a handler does to
// r.Header does not change those copies. So for a request that carries a
// secret header, the handler turns Caddy's access entry off (the log_skip
// variable) and writes the same entry itself, to the same loggers, with
// the header's value redacted; and it logs a handler error itself rather
// than return it, since Caddy would log it with its copy.
type secretLogs struct {
	headers []string    // canonical names
	query   []string    // query parameter names
	access  *zap.Logger // http.log.access, built as the http app builds its servers' one
	errors  *zap.Logger // http.log.error, likewise
}

// newSecretLogs returns nil for a provider without secret headers, so the
// request path costs a nil check.
func newSecretLogs(ctx caddy.Context, p Provider) *secretLogs {
	var names, params []string
	if sh, ok := p.(SecretHeaders); ok {
		for _, n := range sh.SecretHeaders() {
			if n != "" {
				names = append(names, http.CanonicalHeaderKey(n))
			}
		}
	}
	if sq, ok := p.(SecretQuery); ok {
		params = sq.SecretQuery()
	}
	if len(names) == 0 && len(params) == 0 {
		return nil
	}
	// Caddy picks a logger's outputs by the module asking (the access log
	// of a site includes "http.log.access.<name>", which only the http
	// app's logger reaches): asking as the http app gives its loggers.
	app := ctx.Logger(new(caddyhttp.App))
	return &secretLogs{headers: names, query: params, access: app.Named("log.access"), errors: app.Named("log.error")}
}

// carries reports whether r has a secret header and is not being served
// through serve already.
func (s *secretLogs) carries(w http.ResponseWriter, r *http.Request) bool {
	if s == nil {
		return false
	}
	if _, inside := w.(*loggedWriter); inside {
		return false
	}
	for _, n := range s.headers {
		if _, ok := r.Header[n]; ok {
			return true
		}
	}
	for _, p := range s.query {
		// An escaped name is a name too: any escape is taken as one.
		if strings.Contains(r.URL.RawQuery, p) || strings.IndexByte(r.URL.RawQuery, '%') >= 0 {
			return true
		}
	}
	return false
}

// serve runs h for r in place of Caddy's logging of it, as the type's
// comment says.
func (s *secretLogs) serve(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, h caddyhttp.MiddlewareHandler) error {
	start := time.Now()
	ctx := r.Context()
	srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	skipped, _ := caddyhttp.GetVar(ctx, caddyhttp.LogSkipVar).(bool)
	caddyhttp.SetVar(ctx, caddyhttp.LogSkipVar, true)
	credentials := srv != nil && srv.Logs != nil && srv.Logs.ShouldLogCredentials
	// Built only for an entry that is written. The handler changes no
	// header, so after it r still reads as it arrived.
	request := func() zap.Field {
		return zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: s.redact(r), ShouldLogCredentials: credentials})
	}

	lw := &loggedWriter{ResponseWriter: w}
	var body *countedBody
	if r.Body != nil {
		body = &countedBody{ReadCloser: r.Body}
		r.Body = body
	}
	err := h.ServeHTTP(lw, r, next)
	duration := time.Since(start)
	if err != nil {
		status := s.logError(srv, r, request, duration, err)
		if lw.status == 0 {
			lw.WriteHeader(status)
		}
	}
	if skipped || !accessLogged(srv, r) {
		return nil
	}

	level := zapcore.InfoLevel
	if lw.status >= 500 {
		level = zapcore.ErrorLevel
	}
	if name, ok := caddyhttp.GetVar(ctx, caddyhttp.LogLevelVar).(string); ok {
		if l, err := zapcore.ParseLevel(name); err == nil && l >= zapcore.DebugLevel && l <= zapcore.ErrorLevel {
			level = l
		}
	}
	var userID string
	if repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		userID, _ = repl.GetString("http.auth.user.id")
	}
	read := 0
	if body != nil {
		read = body.n
	}
	var fields []zap.Field
	for _, l := range loggers(srv, r, s.access) {
		ce := l.Check(level, "handled request")
		if ce == nil {
			continue
		}
		if fields == nil {
			// Caddy's own fields, in its order.
			fields = []zap.Field{
				request(),
				zap.Int("bytes_read", read),
				zap.String("user_id", userID),
				zap.Duration("duration", duration),
				zap.Int("size", lw.size),
				zap.Int("status", lw.status),
				zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: lw.Header(), ShouldLogCredentials: credentials}),
			}
		}
		ce.Write(fields...)
	}
	return nil
}

// redact returns the request as the entries show it: as it arrived, as in
// Caddy's own entries, with every secret header's value redacted.
func (s *secretLogs) redact(r *http.Request) *http.Request {
	c := r.WithContext(r.Context()) // a shallow copy
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok {
		c.Method, c.RequestURI, c.RemoteAddr, c.URL = orig.Method, orig.RequestURI, orig.RemoteAddr, orig.URL
	}
	c.Header = r.Header.Clone()
	for _, n := range s.headers {
		if _, ok := c.Header[n]; ok {
			c.Header[n] = []string{redacted}
		}
	}
	if len(s.query) > 0 && c.URL != nil {
		u := *c.URL
		u.RawQuery = redactQuery(u.RawQuery, s.query)
		c.URL = &u
		c.RequestURI = u.RequestURI()
	}
	return c
}

// redactQuery replaces the value of every parameter of rawQuery named in
// params, however it is escaped, keeping the rest as sent.
func redactQuery(rawQuery string, params []string) string {
	parts := strings.Split(rawQuery, "&")
	for i, part := range parts {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		for _, p := range params {
			if strings.EqualFold(name, p) || strings.Contains(part, p) {
				parts[i] = p + "=" + redacted
			}
		}
	}
	return strings.Join(parts, "&")
}

// logError logs a handler error as Caddy's server would, at the level it
// would, and returns the status Caddy would answer with.
func (s *secretLogs) logError(srv *caddyhttp.Server, r *http.Request, request func() zap.Field, duration time.Duration, err error) int {
	status, msg := http.StatusInternalServerError, err.Error()
	fields := []zap.Field{request(), zap.Duration("duration", duration)}
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		status = he.StatusCode
		if he.Err != nil {
			msg = he.Err.Error()
		}
		fields = append(fields, zap.Int("status", he.StatusCode), zap.String("err_id", he.ID), zap.String("err_trace", he.Trace))
	} else {
		fields = append(fields, zap.Error(err))
	}
	level := zapcore.DebugLevel
	if status >= 500 {
		level = zapcore.ErrorLevel
	}
	base := []*zap.Logger{s.errors}
	if srv != nil && srv.Logs != nil {
		base = loggers(srv, r, s.errors)
	}
	for _, l := range base {
		if ce := l.Check(level, msg); ce != nil {
			ce.Write(fields...)
		}
	}
	return status
}

// accessLogged reports whether Caddy's server would write an access entry
// for r (its shouldLogRequest, which is not exported).
func accessLogged(srv *caddyhttp.Server, r *http.Request) bool {
	if srv == nil || srv.Logs == nil {
		return false
	}
	host := hostOnly(r.Host)
	for name := range srv.Logs.LoggerNames {
		if certmagic.MatchWildcard(host, name) {
			return true
		}
	}
	for _, skip := range srv.Logs.SkipHosts {
		if certmagic.MatchWildcard(host, skip) {
			return false
		}
	}
	return !srv.Logs.SkipUnmappedHosts
}

// loggers names base as Caddy's server names its access and error loggers
// for r: after the log_name directive's variable, or the host's logger
// names, or the server's default name (its wrapLogger, not exported).
func loggers(srv *caddyhttp.Server, r *http.Request, base *zap.Logger) []*zap.Logger {
	var names []string
	if set, ok := caddyhttp.GetVar(r.Context(), caddyhttp.AccessLoggerNameVarKey).([]any); ok {
		for _, n := range set {
			s, _ := n.(string)
			names = append(names, s)
		}
	} else {
		names = hostLoggerNames(srv.Logs, strings.ToLower(hostOnly(r.Host)))
	}
	out := make([]*zap.Logger, 0, len(names))
	for _, n := range names {
		if n == "" {
			out = append(out, base)
		} else {
			out = append(out, base.Named(n))
		}
	}
	return out
}

// hostLoggerNames is the logger names configured for host: its own, a
// wildcard's, or the default.
func hostLoggerNames(logs *caddyhttp.ServerLogConfig, host string) []string {
	if len(logs.LoggerNames) == 0 {
		return []string{logs.DefaultLoggerName}
	}
	if names, ok := logs.LoggerNames[host]; ok {
		return names
	}
	labels := strings.Split(host, ".")
	for i := range labels {
		if labels[i] == "" {
			continue
		}
		labels[i] = "*"
		if names, ok := logs.LoggerNames[strings.Join(labels, ".")]; ok {
			return names
		}
	}
	return []string{logs.DefaultLoggerName}
}

func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return hostport
}

// loggedWriter notes the status and size of the answer for the entry.
type loggedWriter struct {
	http.ResponseWriter
	status, size int
}

func (w *loggedWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *loggedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines) through the writer.
func (w *loggedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// MarshalLogObject is what Caddy's trace log (servers { trace }) shows of
// the handler as it runs: its settings without the secrets, which Caddy
// would otherwise print as configured, literal ones included.
func (h *Handler) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("provider", h.source)
	enc.AddInt("secrets", len(h.Secrets))
	if h.tenants != nil {
		enc.AddInt("tenants", len(h.tenants.byTenant))
	}
	enc.AddString("tenant", h.Tenant)
	enc.AddString("stream", h.Stream)
	enc.AddInt64("max_size", h.MaxSize)
	return nil
}

// countedBody counts the bytes the handler read, for bytes_read.
type countedBody struct {
	io.ReadCloser
	n int
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += n
	return n, err
}

// Interface guards
var (
	_ SecretHeaders           = Token{}
	_ http.ResponseWriter     = (*loggedWriter)(nil)
	_ zapcore.ObjectMarshaler = (*Handler)(nil)
)
