package tests

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

const (
	stripeSecret    = "whsec_test_secret"
	githubSecret    = "gh_secret"
	wordpressSecret = "wp_shared_secret"
	standardSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	hmacSecret      = "generic_secret"
	tokenSecret     = "static-token-123"
)

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func stripeSigned(body string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":     {"application/json"},
		"Stripe-Signature": {fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(mac([]byte(stripeSecret), ts, ".", body)))},
	}
}

func stripeEvent(id string) string {
	return fmt.Sprintf(`{"id":%q,"object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}}`, id)
}

func githubSigned(body, delivery string) http.Header {
	return http.Header{
		"Content-Type":        {"application/json"},
		"X-Github-Event":      {"issues"},
		"X-Github-Delivery":   {delivery},
		"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac([]byte(githubSecret), body))},
	}
}

func standardSigned(body, id string, at time.Time) http.Header {
	return standardSignedWith(standardSecret, body, id, at)
}

// standardSignedWith signs with any whsec_ secret, as the relay and every
// Standard Webhooks sender do.
func standardSignedWith(secret, body, id string, at time.Time) http.Header {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":      {"application/json"},
		"Webhook-Id":        {id},
		"Webhook-Timestamp": {ts},
		"Webhook-Signature": {"v1," + base64.StdEncoding.EncodeToString(mac(key, id, ".", ts, ".", body))},
	}
}

func wordpressSigned(body, id string, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	return http.Header{
		"Content-Type":   {"application/json"},
		"X-Event-Id":     {id},
		"X-Wp-Timestamp": {ts},
		"X-Wp-Signature": {base64.StdEncoding.EncodeToString(mac([]byte(wordpressSecret), ts, ".", body))},
	}
}
