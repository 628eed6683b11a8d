package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// metaLike stands for an unsigned-handshake provider (Meta's GET with
// hub.verify_token and hub.challenge): it echoes the challenge when the
// token is one of its secrets.
type metaLike struct{ secrets []string }

func (m metaLike) Verify(http.Header, []byte) (verifier.Signed, error) {
	return verifier.Signed{}, verifier.ErrMismatch
}
func (metaLike) Locate() verifier.Locator { return verifier.Locator{IDField: "id"} }
func (m metaLike) UnsignedHandshake(r *http.Request, _ []byte) (*verifier.Reply, bool) {
	q := r.URL.Query()
	for _, s := range m.secrets {
		if q.Get("hub.verify_token") == s {
			return &verifier.Reply{Body: []byte(q.Get("hub.challenge"))}, true
		}
	}
	return &verifier.Reply{Status: http.StatusForbidden, Body: []byte("bad token")}, true
}
func (metaLike) SignedHandshake(*http.Request, []byte, verifier.Signed) (*verifier.Reply, bool) {
	return nil, false
}

type metaLikeProvider struct{}

func (metaLikeProvider) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return metaLike{secrets: cfg.Secrets}, nil
}

// An unsigned handshake for an unknown (or malformed) tenant is answered
// by the surrogate, which holds no tenant's secret: tenant acme's token
// does not make the handshake of a tenant that does not exist succeed.
func TestAnUnsignedHandshakeForAnUnknownTenantHoldsNoTenantsSecret(t *testing.T) {
	h := benchHandler(t)
	h.rejects = newRejectLog(h.logger)
	h.Tenant = "{tenant}"
	ts, err := newTenantSigners(metaLikeProvider{}, verifier.Config{},
		map[string][]string{"acme": {"acme-verify-token"}, "beta": {"beta-verify-token"}},
		func(s []string) []string { return []string{verifier.SecretScope(s[0])} })
	if err != nil {
		t.Fatal(err)
	}
	h.signer, h.tenants = nil, ts
	get := func(tenant, token string) (int, string) {
		repl := caddy.NewReplacer()
		repl.Set("tenant", tenant)
		ctx := context.WithValue(context.Background(), caddy.ReplacerCtxKey, repl)
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/hooks/meta?hub.mode=subscribe&hub.verify_token="+token+"&hub.challenge=1158201444", nil)
		w := httptest.NewRecorder()
		_ = h.ServeHTTP(w, r, nil)
		return w.Code, w.Body.String()
	}
	if code, body := get("beta", "acme-verify-token"); code == 200 {
		t.Fatalf("known tenant beta with acme's token: %d %s", code, body)
	}
	if code, body := get("gamma", "acme-verify-token"); code == 200 && body == "1158201444" {
		t.Errorf("unknown tenant gamma's handshake verified with acme's token: %d %s", code, body)
	}
	if code, body := get("bad/tenant", "acme-verify-token"); code == 200 {
		t.Errorf("a malformed tenant's handshake verified with acme's token: %d %s", code, body)
	}
}

// A handshake reply may echo the sender's challenge (Meta's hub.challenge
// is not signed): without a type of its own it is text/plain, and never
// sniffed as HTML.
func TestAnEchoedHandshakeIsNeverHTML(t *testing.T) {
	h := benchHandler(t)
	h.rejects = newRejectLog(h.logger)
	h.signer = &signer{verifier: metaLike{secrets: []string{"acme-verify-token"}}, scopes: h.scopes}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _ = h.ServeHTTP(w, r, nil) }))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/hooks/meta?hub.verify_token=acme-verify-token&hub.challenge=%3Chtml%3E%3Cscript%3Ealert(document.domain)%3C/script%3E")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	w := struct{ Code int }{resp.StatusCode}
	if w.Code != 200 || !strings.HasPrefix(ct, "text/plain") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("an echoed challenge: %d as %q, nosniff %q", w.Code, ct, resp.Header.Get("X-Content-Type-Options"))
	}
}
