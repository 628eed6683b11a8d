package tests

import (
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// An unknown tenant is verified by a surrogate that holds no tenant's
// secret. Were it a real tenant's verifier, whoever holds that secret
// (tenant "acme" here: a customer of the platform) could sign a request
// with a stale timestamp: for an unknown tenant the surrogate's MAC would
// match and the answer be "timestamp outside tolerance", for a known one
// "signature mismatch", and every tenant name could be probed this way.
func TestAnUnknownTenantCannotBeToldFromAKnownOneByAStaleSignature(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_TENANTS", "beta:whsec_beta_tenant_new")
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", tenantRoute)
	body := stripeEvent("evt_probe")
	stale := caddytest.StripeSigned("whsec_acme_tenant_1", body, time.Now().Add(-time.Hour))
	_, _, known := c.post(t, "/hooks/stripe/beta", stale, []byte(body))
	_, _, unknown := c.post(t, "/hooks/stripe/gamma", stale, []byte(body))
	if known != unknown {
		t.Errorf("probe for a known tenant answers %q, for an unknown one %q: the tenant list leaks", known, unknown)
	}
}
