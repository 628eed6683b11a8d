package caddymodule

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// publicRequest is a request as Caddy hands it to a handler: its vars
// say whether the peer is a trusted proxy, and the original request keeps
// the URI as sent.
func publicRequest(target, host string, https, trusted bool, h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, nil)
	r.Host = host
	r.RequestURI = target
	r.TLS = nil
	if https {
		r.TLS = &tls.ConnectionState{}
	}
	for k, v := range h {
		r.Header[k] = v
	}
	orig := *r
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{caddyhttp.TrustedProxyVarKey: trusted})
	ctx = context.WithValue(ctx, caddyhttp.OriginalRequestCtxKey, orig)
	r = r.WithContext(ctx)
	caddyhttp.NewTestReplacer(r) // puts a replacer with the request's placeholders in r
	return r
}

func TestThePublicURLIsTheRequestsUnlessATrustedProxySaysOtherwise(t *testing.T) {
	fwd := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"hooks.example.com"}}
	cases := []struct {
		name, target, host string
		https, trusted     bool
		h                  http.Header
		want               string
	}{
		{"http from the Host and the URI as sent", "/hooks/twilio?a=1&b=%2F", "127.0.0.1:8080", false, false, nil, "http://127.0.0.1:8080/hooks/twilio?a=1&b=%2F"},
		{"https when the request came over TLS", "/t", "hooks.example.com", true, false, nil, "https://hooks.example.com/t"},
		{"forwarded headers from an untrusted peer are ignored", "/t", "10.0.0.5:8080", false, false, fwd, "http://10.0.0.5:8080/t"},
		{"forwarded headers from a trusted proxy are honoured", "/t", "10.0.0.5:8080", false, true, fwd, "https://hooks.example.com/t"},
		{"the first hop of a forwarded list is the sender's", "/t", "10.0.0.5", false, true,
			http.Header{"X-Forwarded-Proto": {"https, http"}, "X-Forwarded-Host": {"hooks.example.com, inner"}}, "https://hooks.example.com/t"},
		{"a forwarded proto other than http(s) is ignored", "/t", "10.0.0.5", true, true, http.Header{"X-Forwarded-Proto": {"gopher"}}, "https://10.0.0.5/t"},
		{"a trusted proxy may say http", "/t", "10.0.0.5", true, true, http.Header{"X-Forwarded-Proto": {"HTTP"}}, "http://10.0.0.5/t"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := publicRequest(tc.target, tc.host, tc.https, tc.trusted, tc.h)
			if got := (PublicURL{}).urlFunc()(r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("the URI before a rewrite is the one signed", func(t *testing.T) {
		r := publicRequest("/hooks/twilio?x=1", "h.example", true, false, nil)
		r.RequestURI, r.URL.Path = "/rewritten", "/rewritten"
		if got := requestPublicURL(r); got != "https://h.example/hooks/twilio?x=1" {
			t.Fatalf("got %q", got)
		}
	})
}

func TestPublicURLOption(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_PUBLIC_BASE", "https://public.example")
	r := publicRequest("/hooks/x?y=1", "127.0.0.1", false, false, nil)
	cases := []struct{ name, option, want string }{
		{"a fixed URL is used as it is", "https://hooks.example.com/hooks/square", "https://hooks.example.com/hooks/square"},
		{"placeholders are replaced per request and joined as written", "{env.HOOKGATE_TEST_PUBLIC_BASE}{http.request.orig_uri}", "https://public.example/hooks/x?y=1"},
		{"an unknown placeholder is empty", "https://h.example{nope}", "https://h.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (PublicURL{PublicURL: tc.option}).urlFunc()(r); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"hooks.example.com/x", "ftp://h/x", "https://", "https://h/x#frag", "https://u:p@h/x", "{env.HOOKGATE_TEST_UNSET_X}"} {
		if err := (&PublicURL{PublicURL: bad}).Provision(caddy.Context{}); err == nil {
			t.Errorf("public_url %q was accepted", bad)
		}
	}
	for _, good := range []string{"https://h.example/x", "{env.HOOKGATE_TEST_PUBLIC_BASE}{http.request.orig_uri}", "http://127.0.0.1:8080{http.request.uri}"} {
		if err := (&PublicURL{PublicURL: good}).Provision(caddy.Context{}); err != nil {
			t.Errorf("public_url %q: %v", good, err)
		}
	}
}
