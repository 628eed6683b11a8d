package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Per-tenant secrets: one route, the tenant from the path, each tenant its
// own secrets. The tenant a request names picks the only secrets that may
// verify it.
const tenantRoute = `webhook /hooks/stripe/* stripe {
		tenant {http.request.uri.path.2}
		tenant_secret acme whsec_acme_tenant_1
		tenant_secrets {env.HOOKGATE_TEST_TENANTS}
	}`

func TestEachTenantIsVerifiedWithItsOwnSecrets(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_TENANTS", "beta:whsec_beta_tenant_new, beta:whsec_beta_tenant_old")
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", tenantRoute)
	post := func(tenant, secret, body string) (int, string) {
		t.Helper()
		status, _, reply := c.post(t, "/hooks/stripe/"+tenant, caddytest.StripeSigned(secret, body, time.Now()), []byte(body))
		return status, reply
	}
	stored := func(tenant, id string) bool {
		var ev adminEvent
		status, _ := adminCall(t, c, "GET", "/hookgate/events/stripe/"+tenant+"/"+id, "", &ev)
		return status == 200 && ev.Stored != nil
	}

	cases := []struct {
		name, tenant, secret, id string
		want                     int
	}{
		{"a tenant's own secret is accepted", "acme", "whsec_acme_tenant_1", "evt_a1", 202},
		{"a tenant from the list is accepted", "beta", "whsec_beta_tenant_new", "evt_b1", 202},
		{"a tenant's second secret (rotation) is accepted", "beta", "whsec_beta_tenant_old", "evt_b2", 202},
		{"the same event id for another tenant is its own event", "beta", "whsec_beta_tenant_new", "evt_a1", 202},
		{"the same signed event again is a duplicate", "acme", "whsec_acme_tenant_1", "evt_a1", 200},
		{"tenant B signed with A's secret is refused", "beta", "whsec_acme_tenant_1", "evt_cross", 401},
		{"tenant A signed with B's secret is refused", "acme", "whsec_beta_tenant_new", "evt_cross2", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, reply := post(tc.tenant, tc.secret, stripeEvent(tc.id)); status != tc.want {
				t.Fatalf("%s signed for %s: %d %s, want %d", tc.id, tc.tenant, status, reply, tc.want)
			}
		})
	}
	if !stored("acme", "evt_a1") || !stored("beta", "evt_a1") || !stored("beta", "evt_b2") {
		t.Error("accepted events are not stored under their tenants")
	}
	if stored("beta", "evt_cross") || stored("acme", "evt_cross2") {
		t.Error("a refused cross-tenant event was stored")
	}

	// An unknown tenant must look exactly like a bad signature.
	t.Run("an unknown tenant is answered as a bad signature", func(t *testing.T) {
		body := stripeEvent("evt_probe")
		for _, secret := range []string{"whsec_acme_tenant_1", "whsec_not_anyones"} {
			knownStatus, knownReply := post("beta", "whsec_not_anyones", body)
			unknownStatus, unknownReply := post("gamma", secret, body)
			if knownStatus != 401 || unknownStatus != knownStatus || unknownReply != knownReply {
				t.Errorf("unknown tenant signed with %s: %d %q; a known tenant's bad signature: %d %q", secret[:10], unknownStatus, unknownReply, knownStatus, knownReply)
			}
		}
		req := caddytest.StripeSigned("whsec_acme_tenant_1", body, time.Now())
		req.Del("Stripe-Signature")
		s1, _, r1 := c.post(t, "/hooks/stripe/gamma", req, []byte(body))
		s2, _, r2 := c.post(t, "/hooks/stripe/acme", req, []byte(body))
		if s1 != 401 || s1 != s2 || r1 != r2 {
			t.Errorf("no signature: unknown tenant %d %q, known %d %q", s1, r1, s2, r2)
		}
		if stored("gamma", "evt_probe") {
			t.Error("an unknown tenant's event was stored")
		}
	})

	t.Run("a tenant that cannot be a key part is a 400", func(t *testing.T) {
		body := stripeEvent("evt_bad_tenant")
		status, _, reply := c.post(t, "/hooks/stripe/"+strings.Repeat("a", 65), caddytest.StripeSigned("whsec_acme_tenant_1", body, time.Now()), []byte(body))
		if status != 400 {
			t.Fatalf("65-character tenant: %d %s, want 400", status, reply)
		}
	})
}

func TestTenantSecretsAreCheckedWhenCaddyStarts(t *testing.T) {
	cases := []struct {
		name, env, site, want string
	}{
		{"secret and tenant_secret together", "", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\tsecret whsec_a\n\t\ttenant_secret acme whsec_b\n\t}", "cannot be combined"},
		{"tenant_secret without a tenant from the request", "", "webhook /x stripe {\n\t\ttenant_secret acme whsec_b\n\t}", "needs the tenant taken from the request"},
		{"tenant_secret without a secret", "", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\ttenant_secret acme\n\t}", "needs a tenant and at least one secret"},
		{"a tenant that cannot be a key part", "", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\ttenant_secret a:b whsec_b\n\t}", `tenant "a:b"`},
		{"a list entry without a colon", "HOOKGATE_TEST_LIST=acme:whsec_listed_secret_1,whsec_lonely_secret_2", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\ttenant_secrets {env.HOOKGATE_TEST_LIST}\n\t}", "tenant_secrets 1: entry 2 is not tenant:secret"},
		{"dedupe_scope with tenant secrets", "", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\ttenant_secret acme whsec_b\n\t\tdedupe_scope shared\n\t}", "dedupe_scope and tenant secrets cannot be combined"},
		{"a list that is unset", "", "webhook /x/* stripe {\n\t\ttenant {http.request.uri.path.1}\n\t\ttenant_secrets {env.HOOKGATE_TEST_UNSET}\n\t}", "tenant_secrets 1: no tenant:secret entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "{\n\thookgate {\n\t\tredis redis://127.0.0.1:1/0\n\t}\n}\nhttp://localhost:8080 {\n\t" + tc.site + "\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			var env []string
			if tc.env != "" {
				env = []string{tc.env}
			}
			out, err := caddyCmd(t, env, "validate", "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("validate accepted:\n%s", cfg)
			}
			out = strings.ReplaceAll(out, `\"`, `"`)
			if !strings.Contains(out, tc.want) {
				t.Fatalf("error does not say %q:\n%s", tc.want, out)
			}
			for _, secret := range []string{"whsec_listed_secret_1", "whsec_lonely_secret_2"} {
				if strings.Contains(out, secret) {
					t.Errorf("the error quotes a secret: %s", out)
				}
			}
		})
	}
}
