package sign_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/hookgate/caddy-hookgate/caddymodule"
	"github.com/hookgate/caddy-hookgate/sign"
	"github.com/hookgate/caddy-hookgate/verifier"
)

const providerNamespace = "http.handlers.webhook.verifiers"

// The vectors of ../shared/providers.md; Shopify and WooCommerce are the
// hmac provider configured with their header and base64.
func TestSignMatchesTheVectors(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name, provider, secret, body, id string
		at                               time.Time
		opts                             sign.Options
		header, want                     string
	}{
		{"stripe", "stripe", "whsec_test_secret", `{"id":"evt_1","type":"invoice.paid"}`, "", at, sign.Options{},
			"Stripe-Signature", "t=1700000000,v1=46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595"},
		{"github's published example", "github", "It's a Secret to Everybody", "Hello, World!", "d1", at, sign.Options{},
			"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{"github", "github", "gh_secret", `{"action":"opened","number":1}`, "d2", at, sign.Options{},
			"X-Hub-Signature-256", "sha256=e7df90e2ef8be86e5a09004d917f414df0fd99706ea5d39153e7cd5d59a02bb3"},
		{"standard webhooks' published example", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `{"test": 2432232314}`,
			"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), sign.Options{},
			"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"standard webhooks under svix names", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `{"test": 2432232314}`,
			"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), sign.Options{Family: "svix"},
			"Svix-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"wordpress", "wordpress", "wp_shared_secret", `{"event":"post.published","post_id":7}`, "e1", at, sign.Options{},
			"X-WP-Signature", "uHs2k2U0vAUmYr/fApnM8JMBsI8U271PRvU4/UbdEr0="},
		{"shopify through hmac", "hmac", "shpss_test", `{"id":820982911946154508,"email":"jon@example.com"}`, "", at,
			sign.Options{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64"},
			"X-Shopify-Hmac-Sha256", "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ="},
		{"woocommerce through hmac", "hmac", "wc_secret", `{"id":42,"status":"processing"}`, "", at,
			sign.Options{Header: "X-WC-Webhook-Signature", Encoding: "base64"},
			"X-WC-Webhook-Signature", "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="},
		{"token sends the secret as it is", "token", "static-token-123", `{}`, "", at, sign.Options{Header: "X-Gitlab-Token"},
			"X-Gitlab-Token", "static-token-123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := sign.Sign(tc.provider, tc.secret, []byte(tc.body), tc.at, tc.id, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get(tc.header); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestSignStripeAgreesWithStripeGo(t *testing.T) {
	const secret = "whsec_test_secret"
	body := []byte(`{"id":"evt_sdk","object":"event","type":"invoice.paid"}`)
	at := time.Unix(1700000123, 0)
	h, err := sign.Sign("stripe", secret, body, at, "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sdk := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	if got := h.Get("Stripe-Signature"); got != sdk.Header {
		t.Errorf("Stripe-Signature = %q, stripe-go signs %q", got, sdk.Header)
	}
	if err := webhook.ValidatePayloadIgnoringTolerance(body, h.Get("Stripe-Signature"), secret); err != nil {
		t.Errorf("stripe-go refuses what sign signs: %v", err)
	}
}

func TestSignStandardAgreesWithTheStandardWebhooksLibrary(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"user.created","data":{"id":1}}`)
	at := time.Now()
	h, err := sign.Sign("standard", secret, body, at, "msg_sdk", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_sdk", at, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("Webhook-Signature"); got != want {
		t.Errorf("webhook-signature = %q, the library signs %q", got, want)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Errorf("the library refuses what sign signs: %v", err)
	}
}

// A provider registered in caddymodule without a signer here would be one
// `caddy hookgate sign` cannot sign for.
func TestSignEveryRegisteredProviderHasASigner(t *testing.T) {
	mods := caddy.GetModules(providerNamespace)
	if len(mods) == 0 {
		t.Fatalf("no modules in %s: is caddymodule imported?", providerNamespace)
	}
	for _, m := range mods {
		if _, ok := sign.Lookup(m.ID.Name()); !ok {
			t.Errorf("provider %s has no signer in sign/", m.ID.Name())
		}
	}
}

// roundTrip is how each provider is configured for the round trip: the
// module's JSON options (as the Caddyfile would set them) and the
// matching sign options.
var roundTrip = map[string]struct {
	secret string
	module string
	opts   sign.Options
}{
	"standard": {secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	"hmac": {module: `{"header":"X-Sig","algorithm":"sha512","encoding":"base64","prefix":"v1=","timestamp_header":"X-Ts"}`,
		opts: sign.Options{Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "v1=", TimestampHeader: "X-Ts"}},
	"token": {module: `{"header":"X-Token"}`, opts: sign.Options{Header: "X-Token"}},
}

// Every registered provider's verifier, built through its Caddy module as
// a route would build it, accepts what its signer signs, and refuses it
// once the body changes.
func TestSignEveryRegisteredProviderVerifies(t *testing.T) {
	at := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_rt","type":"invoice.paid","event":"post.published","action":"opened"}`)
	for _, m := range caddy.GetModules(providerNamespace) {
		name := m.ID.Name()
		t.Run(name, func(t *testing.T) {
			rt := roundTrip[name]
			if rt.secret == "" {
				rt.secret = "a_test_secret"
			}
			mod := m.New()
			if rt.module != "" {
				if err := json.Unmarshal([]byte(rt.module), mod); err != nil {
					t.Fatal(err)
				}
			}
			p, ok := mod.(caddymodule.Provider)
			if !ok {
				t.Fatalf("%s is not a caddymodule.Provider", m.ID)
			}
			v, err := p.NewVerifier(verifier.Config{Secrets: []string{rt.secret}, Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			h, err := sign.Sign(name, rt.secret, body, at, "id_rt", rt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(h, body); err != nil {
				t.Errorf("verify refuses what sign signs: %v (headers %v)", err, names(h))
			}
			if name == "token" {
				return // signs nothing about the body
			}
			if _, err := v.Verify(h, append([]byte(" "), body...)); err == nil {
				t.Error("verify accepts a changed body")
			}
		})
	}
}

func TestSignRefusesWhatTheRouteCouldNotVerify(t *testing.T) {
	for _, tc := range []struct {
		name, provider, secret string
		opts                   sign.Options
		want                   string
	}{
		{"an unknown provider", "nope", "s", sign.Options{}, "no signer"},
		{"hmac without its header", "hmac", "s", sign.Options{}, "header is required"},
		{"token without its header", "token", "s", sign.Options{}, "header is required"},
		{"hmac with an unknown algorithm", "hmac", "s", sign.Options{Header: "X", Algorithm: "md5"}, "unknown algorithm"},
		{"hmac with an unknown encoding", "hmac", "s", sign.Options{Header: "X", Encoding: "b32"}, "unknown encoding"},
		{"standard with a secret that is not base64", "standard", "whsec_not base64!", sign.Options{}, "not whsec_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.Sign(tc.provider, tc.secret, []byte(`{}`), time.Now(), "", tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.secret != "s" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestSignDefaultsAnIDWhereTheProviderSendsOne(t *testing.T) {
	body := []byte(`{"id":"evt_wp","event":"post.published"}`)
	wp, _ := sign.Sign("wordpress", "s", body, time.Now(), "", sign.Options{})
	if got := wp.Get("X-Event-Id"); got != "evt_wp" {
		t.Errorf("wordpress X-Event-Id = %q, want the body's id", got)
	}
	a, _ := sign.Sign("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body, time.Now(), "", sign.Options{})
	b, _ := sign.Sign("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body, time.Now(), "", sign.Options{})
	if a.Get("Webhook-Id") == "" || a.Get("Webhook-Id") == b.Get("Webhook-Id") {
		t.Errorf("standard ids %q and %q: want two fresh ones", a.Get("Webhook-Id"), b.Get("Webhook-Id"))
	}
}

func names(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	return out
}
