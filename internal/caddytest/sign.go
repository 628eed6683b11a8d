package caddytest

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

// Secrets the signing helpers use.
const (
	StripeSecret    = "whsec_test_secret"
	GitHubSecret    = "gh_secret"
	WordPressSecret = "wp_shared_secret"
	StandardSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	HMACSecret      = "generic_secret"
	TokenSecret     = "static-token-123"
)

// MAC is the HMAC-SHA256 of parts under key.
func MAC(key []byte, parts ...string) []byte {
	bs := make([][]byte, len(parts))
	for i, p := range parts {
		bs[i] = []byte(p)
	}
	return sign.MAC(sha256.New, key, bs...)
}

// signed is sign.Sign for the tests' own fixed options, which cannot fail.
func signed(provider, secret, body string, at time.Time, id string, opts sign.Options) http.Header {
	h, err := sign.Sign(provider, secret, []byte(body), at, id, opts)
	if err != nil {
		panic(err)
	}
	return h
}

// StripeSigned signs body as Stripe does with secret, at at.
func StripeSigned(secret, body string, at time.Time) http.Header {
	return signed("stripe", secret, body, at, "", sign.Options{})
}

// StripeEvent is a small invoice.paid event with id.
func StripeEvent(id string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}}`, id)
}

// GitHubSigned signs body as GitHub does, labelled with event and delivery.
func GitHubSigned(body, event, delivery string) http.Header {
	return signed("github", GitHubSecret, body, time.Time{}, delivery, sign.Options{Event: event})
}

// StandardSigned signs body with a whsec_ secret under the webhook-* or,
// with family "svix", the svix-* header names.
func StandardSigned(family, secret, body, id string, at time.Time) http.Header {
	return signed("standard", secret, body, at, id, sign.Options{Family: family})
}

// WordPressSigned signs body as the WordPress plugin does.
func WordPressSigned(body, id string, at time.Time) http.Header {
	return signed("wordpress", WordPressSecret, body, at, id, sign.Options{})
}

// HMACSigned signs body with HMACSecret in X-Sig as hex SHA-256; with a
// non-zero at, over "<ts>.<body>" with the time in X-Ts.
func HMACSigned(body string, at time.Time) http.Header {
	opts := sign.Options{Header: "X-Sig"}
	if !at.IsZero() {
		opts.TimestampHeader = "X-Ts"
	}
	return signed("hmac", HMACSecret, body, at, "", opts)
}
