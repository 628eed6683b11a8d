package tests

import (
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
)

const (
	stripeSecret    = caddytest.StripeSecret
	githubSecret    = caddytest.GitHubSecret
	wordpressSecret = caddytest.WordPressSecret
	standardSecret  = caddytest.StandardSecret
	hmacSecret      = caddytest.HMACSecret
	tokenSecret     = caddytest.TokenSecret
)

func mac(key []byte, parts ...string) []byte { return caddytest.MAC(key, parts...) }

func stripeSigned(body string, at time.Time) http.Header {
	return caddytest.StripeSigned(stripeSecret, body, at)
}

func stripeEvent(id string) string { return caddytest.StripeEvent(id) }

func githubSigned(body, delivery string) http.Header {
	return caddytest.GitHubSigned(body, "issues", delivery)
}

func standardSigned(body, id string, at time.Time) http.Header {
	return standardSignedWith(standardSecret, body, id, at)
}

// standardSignedWith signs with any whsec_ secret, as the relay and every
// Standard Webhooks sender do.
func standardSignedWith(secret, body, id string, at time.Time) http.Header {
	return caddytest.StandardSigned("Webhook", secret, body, id, at)
}

func wordpressSigned(body, id string, at time.Time) http.Header {
	return caddytest.WordPressSigned(body, id, at)
}
