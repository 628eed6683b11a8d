package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// answering stands for the webhook handler: it answers with status, or
// returns err. The whole path through Caddy is in tests/logsecrets_test.go;
// this covers what a real Caddy cannot be made to do on demand (a handler
// error) and the server's logging options.
type answering struct {
	status int
	err    error
}

func (a answering) ServeHTTP(w http.ResponseWriter, _ *http.Request, _ caddyhttp.Handler) error {
	if a.err != nil {
		return a.err
	}
	w.WriteHeader(a.status)
	return nil
}

func TestSecretLogs(t *testing.T) {
	const secret = "tok-unit-secret-Jp5"
	for _, tc := range []struct {
		name       string
		handler    answering
		logs       *caddyhttp.ServerLogConfig
		skipBefore bool
		wantStatus int
		wantAccess []string // logger names of the access entries written
		wantErrors []string // levels of the error entries written
	}{
		{name: "an answered request gets one access entry with the secret redacted",
			handler: answering{status: 202}, logs: &caddyhttp.ServerLogConfig{}, wantStatus: 202,
			wantAccess: []string{"http.log.access"}},
		{name: "log_credentials does not let the secret through",
			handler: answering{status: 202}, logs: &caddyhttp.ServerLogConfig{ShouldLogCredentials: true}, wantStatus: 202,
			wantAccess: []string{"http.log.access"}},
		{name: "the entry goes to the host's logger names",
			handler: answering{status: 401}, logs: &caddyhttp.ServerLogConfig{LoggerNames: map[string]caddyhttp.StringArray{"*.example.com": {"hooks", "audit"}}},
			wantStatus: 401, wantAccess: []string{"http.log.access.hooks", "http.log.access.audit"}},
		{name: "a host the server does not log gets no entry",
			handler: answering{status: 202}, logs: &caddyhttp.ServerLogConfig{SkipHosts: []string{"hooks.example.com"}}, wantStatus: 202},
		{name: "a server without access logs gets no entry",
			handler: answering{status: 202}, wantStatus: 202},
		{name: "log_skip set before the handler is kept",
			handler: answering{status: 202}, logs: &caddyhttp.ServerLogConfig{}, skipBefore: true, wantStatus: 202},
		{name: "a handler error is logged here, redacted, and answered with its status",
			handler: answering{err: caddyhttp.Error(http.StatusServiceUnavailable, errors.New("store down"))}, logs: &caddyhttp.ServerLogConfig{},
			wantStatus: 503, wantAccess: []string{"http.log.access"}, wantErrors: []string{"error"}},
		{name: "a plain error is a 500",
			handler:    answering{err: errors.New("write failed")},
			wantStatus: 500, wantErrors: []string{"error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, entries := observer.New(zapcore.DebugLevel)
			logger := zap.New(core).Named("http")
			s := &secretLogs{headers: []string{"X-Token"}, access: logger.Named("log.access"), errors: logger.Named("log.error")}

			rec := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "http://hooks.example.com/hooks/gitlab", strings.NewReader(`{"id":"1"}`))
			r.Header.Set("X-Token", secret)
			r = caddyhttp.PrepareRequest(r, caddy.NewReplacer(), rec, &caddyhttp.Server{Logs: tc.logs})
			if tc.skipBefore {
				caddyhttp.SetVar(r.Context(), caddyhttp.LogSkipVar, true)
			}
			if !s.carries(rec, r) {
				t.Fatal("a request with X-Token is not taken")
			}
			if err := s.serve(rec, r, nil, tc.handler); err != nil {
				t.Fatalf("serve returned %v: Caddy would log it with the secret", err)
			}
			if rec.Code != tc.wantStatus {
				t.Fatalf("answered %d, want %d", rec.Code, tc.wantStatus)
			}
			if skip, _ := caddyhttp.GetVar(r.Context(), caddyhttp.LogSkipVar).(bool); !skip {
				t.Fatal("Caddy's own access entry, which holds the secret, is not skipped")
			}
			var access, errs []string
			for _, e := range entries.All() {
				if got := fmt.Sprint(e.ContextMap()); strings.Contains(got, secret) || !strings.Contains(got, redacted) {
					t.Errorf("%s %q logs %s", e.LoggerName, e.Message, got)
				}
				if strings.HasPrefix(e.LoggerName, "http.log.access") {
					access = append(access, e.LoggerName)
					if e.Message != "handled request" || e.ContextMap()["status"] != int64(tc.wantStatus) {
						t.Errorf("access entry %q with status %v, want \"handled request\" %d", e.Message, e.ContextMap()["status"], tc.wantStatus)
					}
				} else {
					errs = append(errs, e.Level.String())
				}
			}
			if fmt.Sprint(access) != fmt.Sprint(tc.wantAccess) || fmt.Sprint(errs) != fmt.Sprint(tc.wantErrors) {
				t.Fatalf("access entries %v and error entries %v, want %v and %v", access, errs, tc.wantAccess, tc.wantErrors)
			}
		})
	}
}

func TestSecretLogsOnlyForSecretHeaders(t *testing.T) {
	if newSecretLogs(caddy.Context{}, Stripe{}) != nil {
		t.Fatal("a provider without secret headers gets a redaction")
	}
	var none *secretLogs
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Token", "x")
	if none.carries(httptest.NewRecorder(), r) {
		t.Fatal("a route without secret headers takes requests")
	}
	s := &secretLogs{headers: []string{"X-Token"}}
	if s.carries(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil)) {
		t.Fatal("a request without the header is taken")
	}
	if s.carries(&loggedWriter{ResponseWriter: httptest.NewRecorder()}, r) {
		t.Fatal("a request already being served through serve is taken again")
	}
}

// BenchmarkSecretLogs is what serve adds to a request carrying a token,
// with the access log on and its entry discarded at the core.
func BenchmarkSecretLogs(b *testing.B) {
	s := &secretLogs{headers: []string{"X-Token"}, access: zap.NewNop(), errors: zap.NewNop()}
	srv := &caddyhttp.Server{Logs: &caddyhttp.ServerLogConfig{}}
	h := answering{status: 202}
	recs := make([]*httptest.ResponseRecorder, b.N)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		recs[i] = httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "http://hooks.example.com/hooks/gitlab", nil)
		r.Header.Set("X-Token", "t")
		reqs[i] = caddyhttp.PrepareRequest(r, caddy.NewReplacer(), recs[i], srv)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i, r := range reqs {
		if s.carries(recs[i], r) {
			_ = s.serve(recs[i], r, nil, h)
		}
	}
}
