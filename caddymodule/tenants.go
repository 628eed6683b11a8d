package caddymodule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// signer is what verifies one route's (or one tenant's) requests and the
// dedupe scopes its events are stored under.
type signer struct {
	verifier verifier.Verifier
	scopes   []string
}

// tenantSigners holds a route's per-tenant signers: the tenant a request
// names picks the only secrets that may verify it, so a request for
// tenant B signed with A's secret is refused.
type tenantSigners struct {
	byTenant map[string]*signer
	// surrogate verifies requests naming a tenant that has no secrets, so
	// they take the path, the time and the answer of a bad signature; its
	// result is always a refusal.
	surrogate *signer
}

// pick is the signer for tenant and whether the tenant is configured.
func (t *tenantSigners) pick(tenant string) (*signer, bool) {
	if s, ok := t.byTenant[tenant]; ok {
		return s, true
	}
	return t.surrogate, false
}

// resolveTenantSecrets gathers the tenant_secret and tenant_secrets
// options into tenant → secrets, placeholders replaced; the secrets of a
// tenant named twice are joined (rotation). Errors never quote a secret.
func (h *Handler) resolveTenantSecrets() (map[string][]string, error) {
	repl := caddy.NewReplacer()
	out := make(map[string][]string)
	add := func(name, secret string) error {
		// As a request's tenant is: lowercased, then checked.
		tenant, err := verifier.NormalizeTenant(name)
		if err != nil {
			return fmt.Errorf("tenant %q: use 1 to %d characters of A-Z a-z 0-9 . _ -", name, verifier.MaxTenantLen)
		}
		if secret == "" {
			return nil // an unset rotation slot, as for secret
		}
		if !slices.Contains(out[tenant], secret) {
			out[tenant] = append(out[tenant], secret)
		}
		return nil
	}
	names := make([]string, 0, len(h.TenantSecrets))
	for tenant := range h.TenantSecrets {
		names = append(names, tenant)
	}
	slices.Sort(names)
	for _, tenant := range names {
		for _, s := range h.TenantSecrets[tenant] {
			if err := add(tenant, repl.ReplaceAll(s, "")); err != nil {
				return nil, err
			}
		}
	}
	for i, list := range h.TenantSecretLists {
		pairs, err := parseTenantSecrets(repl.ReplaceAll(list, ""))
		if err != nil {
			return nil, fmt.Errorf("tenant_secrets %d: %w", i+1, err)
		}
		for j, p := range pairs {
			// Not quoted: a list written secret:tenant would print the secret.
			if add(p[0], p[1]) != nil {
				return nil, fmt.Errorf("tenant_secrets %d: entry %d: the tenant before ':' must be 1 to %d characters of A-Z a-z 0-9 . _ -",
					i+1, j+1, verifier.MaxTenantLen)
			}
		}
	}
	for tenant, secrets := range out {
		if len(secrets) == 0 {
			delete(out, tenant)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no tenant has a secret after replacing placeholders: are the environment variables (or files) set?")
	}
	return out, nil
}

// parseTenantSecrets reads "tenant:secret,tenant:secret" (the format of a
// PROVIDER_SECRETS_STRIPE variable). Blanks around entries are ignored; a
// secret may contain ':' but not ','.
func parseTenantSecrets(s string) ([][2]string, error) {
	var out [][2]string
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		tenant, secret, ok := strings.Cut(entry, ":")
		if !ok || tenant == "" || secret == "" {
			return nil, fmt.Errorf("entry %d is not tenant:secret", i+1)
		}
		out = append(out, [2]string{tenant, secret})
	}
	if len(out) == 0 {
		return nil, errors.New("no tenant:secret entry")
	}
	return out, nil
}

// newTenantSigners builds one signer per tenant. Every tenant's verifier
// gets the same number of secrets (a tenant's own repeated), so a refusal
// costs the same for every tenant and for one that does not exist.
func newTenantSigners(provider Provider, cfg verifier.Config, secrets map[string][]string, scope func([]string) []string) (*tenantSigners, error) {
	most := 0
	for _, s := range secrets {
		most = max(most, len(s))
	}
	ts := &tenantSigners{byTenant: make(map[string]*signer, len(secrets))}
	names := make([]string, 0, len(secrets))
	for tenant := range secrets {
		names = append(names, tenant)
	}
	slices.Sort(names)
	for _, tenant := range names {
		own := secrets[tenant]
		padded := slices.Clone(own)
		for len(padded) < most {
			padded = append(padded, own[len(padded)%len(own)])
		}
		c := cfg
		c.Secrets = padded
		v, err := provider.NewVerifier(c)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", tenant, err)
		}
		ts.byTenant[tenant] = &signer{verifier: v, scopes: scope(own)}
	}
	// The surrogate costs what a tenant's verifier costs but holds no
	// tenant's secret: with a real one, a tenant could sign a request that
	// only the surrogate would answer past its MAC (stale, say, where every
	// real tenant answers "mismatch"), and learn which tenants exist. Its
	// secrets are the first tenant's, padded alike, with one character each
	// changed within its class, which keeps the provider's format for
	// almost every scheme (whsec_ base64, hex); where that is not a valid
	// secret (a DER public key), the first tenant's verifier is used, and
	// its accepting answers are refused as mismatches all the same.
	first := secrets[names[0]]
	padded := slices.Clone(first)
	for len(padded) < most {
		padded = append(padded, first[len(padded)%len(first)])
	}
	for i, s := range padded {
		padded[i] = perturb(s, i)
	}
	c := cfg
	c.Secrets = padded
	if v, err := provider.NewVerifier(c); err == nil {
		ts.surrogate = &signer{verifier: v}
	} else {
		ts.surrogate = ts.byTenant[names[0]]
	}
	return ts, nil
}

// perturb changes one character in the middle of s to another of its
// class, a digit first (which keeps hex hex), else a letter; i varies the
// change between the secrets of one list.
func perturb(s string, i int) string {
	b := []byte(s)
	step := byte(1 + i%8)
	for _, digits := range []bool{true, false} {
		for j := len(b) / 2; j < len(b)+len(b)/2; j++ {
			k := j % len(b)
			switch c := b[k]; {
			case digits && c >= '0' && c <= '9':
				b[k] = '0' + (c-'0'+step)%10
			case !digits && c >= 'a' && c <= 'z':
				b[k] = 'a' + (c-'a'+step)%26
			case !digits && c >= 'A' && c <= 'Z':
				b[k] = 'A' + (c-'A'+step)%26
			default:
				continue
			}
			return string(b)
		}
	}
	return s + "x"
}

// provisionSigners builds the route's signer, or one per tenant, and the
// dedupe scopes each stores under.
func (h *Handler) provisionSigners(provider Provider) error {
	cfg := verifier.Config{Tolerance: time.Duration(h.Tolerance)}
	var named string
	if h.DedupeScope != "" {
		var err error
		if named, err = verifier.NamedScope(h.DedupeScope); err != nil {
			return fmt.Errorf("webhook %s: %w", h.source, err)
		}
	}
	scopes := func(secrets []string) []string {
		if named != "" {
			return []string{named}
		}
		out := make([]string, len(secrets))
		for i, s := range secrets {
			out[i] = verifier.SecretScope(s)
		}
		return out
	}
	if len(h.TenantSecrets) == 0 && len(h.TenantSecretLists) == 0 {
		secrets, err := h.resolveSecrets()
		if err != nil {
			return err
		}
		cfg.Secrets = secrets
		v, err := provider.NewVerifier(cfg)
		if err != nil {
			return fmt.Errorf("webhook %s: %w", h.source, err)
		}
		h.signer = &signer{verifier: v, scopes: scopes(secrets)}
		h.locator, h.scopes = v.Locate(), h.signer.scopes
		return nil
	}
	if len(h.Secrets) > 0 {
		return fmt.Errorf("webhook %s: secret and tenant_secret/tenant_secrets cannot be combined: "+
			"a route-wide secret would verify a request for any tenant; give every tenant its secrets", h.source)
	}
	if named != "" {
		return fmt.Errorf("webhook %s: dedupe_scope and tenant secrets cannot be combined: one namespace for every "+
			"tenant would let a tenant sign, with its own secret, the id of another tenant's next event and have that one "+
			"refused as a duplicate", h.source)
	}
	if !strings.Contains(h.Tenant, "{") {
		return fmt.Errorf("webhook %s: tenant_secret needs the tenant taken from the request, e.g. tenant {http.request.uri.path.2}", h.source)
	}
	byTenant, err := h.resolveTenantSecrets()
	if err != nil {
		return fmt.Errorf("webhook %s: %w", h.source, err)
	}
	if h.tenants, err = newTenantSigners(provider, cfg, byTenant, scopes); err != nil {
		return fmt.Errorf("webhook %s: %w", h.source, err)
	}
	h.locator = h.tenants.surrogate.verifier.Locate()
	for _, s := range h.tenants.byTenant {
		for _, sc := range s.scopes {
			if !slices.Contains(h.scopes, sc) {
				h.scopes = append(h.scopes, sc)
			}
		}
	}
	slices.Sort(h.scopes)
	return nil
}
