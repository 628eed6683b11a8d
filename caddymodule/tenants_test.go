package caddymodule

import (
	"strings"
	"testing"
)

// A list written secret:tenant is refused without printing what may be
// the secret: Caddy logs provisioning errors.
func TestTenantListErrorsNeverQuoteTheEntry(t *testing.T) {
	const secret = "whsec_Mf+Q9r8GKYqrTwj/PD8ILPZIo2LaLaSw"
	h := &Handler{TenantSecretLists: []string{"acme:whsec_ok," + secret + ":beta"}}
	_, err := h.resolveTenantSecrets()
	if err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Fatalf("resolveTenantSecrets = %v, want an error naming entry 2", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "whsec_ok") {
		t.Errorf("the error quotes a secret: %v", err)
	}
}

func TestPerturbKeepsTheSecretsForm(t *testing.T) {
	for _, tc := range []struct{ in, class string }{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"},
		{"5f4dcc3b5aa765d61d8327deb882cf99", "hex"},
		{"plainsecret", "letters"},
	} {
		out := perturb(tc.in, 0)
		if out == tc.in || len(out) != len(tc.in) || !strings.HasPrefix(out, tc.in[:len(tc.in)/2]) {
			t.Errorf("perturb(%q) = %q: want one character changed past the middle", tc.in, out)
		}
		if tc.class == "hex" && strings.Trim(out, "0123456789abcdef") != "" {
			t.Errorf("perturb(%q) = %q is no longer hex", tc.in, out)
		}
		if perturb(tc.in, 1) == out {
			t.Errorf("two secrets of one list perturbed alike: %q", out)
		}
	}
}
