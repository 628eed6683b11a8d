package caddytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// StripeSigned signs body as Stripe does with secret, at at.
func StripeSigned(secret, body string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":     {"application/json"},
		"Stripe-Signature": {fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(MAC([]byte(secret), ts, ".", body)))},
	}
}

// StripeEvent is a small invoice.paid event with id.
func StripeEvent(id string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}}`, id)
}

// GitHubSigned signs body as GitHub does, labelled with event and delivery.
func GitHubSigned(body, event, delivery string) http.Header {
	return http.Header{
		"Content-Type":        {"application/json"},
		"X-Github-Event":      {event},
		"X-Github-Delivery":   {delivery},
		"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(MAC([]byte(GitHubSecret), body))},
	}
}

// StandardSigned signs body with a whsec_ secret under the webhook-* or,
// with family "svix", the svix-* header names.
func StandardSigned(family, secret, body, id string, at time.Time) http.Header {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":        {"application/json"},
		family + "-Id":        {id},
		family + "-Timestamp": {ts},
		family + "-Signature": {"v1," + base64.StdEncoding.EncodeToString(MAC(key, id, ".", ts, ".", body))},
	}
}

// WordPressSigned signs body as the WordPress plugin does.
func WordPressSigned(body, id string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":   {"application/json"},
		"X-Event-Id":     {id},
		"X-Wp-Timestamp": {ts},
		"X-Wp-Signature": {base64.StdEncoding.EncodeToString(MAC([]byte(WordPressSecret), ts, ".", body))},
	}
}

// HMACSigned signs body with HMACSecret in X-Sig as hex SHA-256; with a
// non-zero at, over "<ts>.<body>" with the time in X-Ts.
func HMACSigned(body string, at time.Time) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if at.IsZero() {
		h.Set("X-Sig", hex.EncodeToString(MAC([]byte(HMACSecret), body)))
		return h
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set("X-Ts", ts)
	h.Set("X-Sig", hex.EncodeToString(MAC([]byte(HMACSecret), ts, ".", body)))
	return h
}
