package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/relay"
	"github.com/hookgate/caddy-hookgate/verifier"
)

// profile builds the events one provider's route stores: the fields and
// audit headers ingest keeps for it (caddymodule/handler.go's check and
// auditHeaders, the provider's verifier.Locator), and its dedupe.
type profile struct {
	name string
	// build returns event i with a body of exactly size bytes.
	build func(rng *rand.Rand, i, size int, now time.Time) (event.Stored, relay.Dedupe)
}

var profiles = map[string]profile{
	// Stripe: the id is the body's, one audit header (verifier/stripe.go).
	"stripe": {"stripe", func(rng *rand.Rand, i, size int, now time.Time) (event.Stored, relay.Dedupe) {
		id := fmt.Sprintf("evt_%024d", i)
		e := event.Stored{
			ID: id, Source: "stripe", Tenant: "default", Type: "invoice.paid",
			ReceivedAt:  now,
			Traceparent: traceparent(rng),
			Header:      http.Header{"User-Agent": {"Stripe/1.0 (+https://stripe.com/docs/webhooks)"}},
			Body:        body(rng, id, "invoice.paid", size),
		}
		return e, relay.Dedupe{Scopes: stripeScopes, ID: id}
	}},
	// GitHub: the id is X-GitHub-Delivery, the dedupe id the body's hash,
	// five audit headers (verifier/github.go).
	"github": {"github", func(rng *rand.Rand, i, size int, now time.Time) (event.Stored, relay.Dedupe) {
		delivery := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff,
			rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
		b := body(rng, delivery, "issues", size)
		sum := sha256.Sum256(b)
		e := event.Stored{
			ID: delivery, Source: "github", Tenant: "default", Type: "issues.opened",
			ReceivedAt:  now,
			Traceparent: traceparent(rng),
			Header: http.Header{
				"X-Github-Event":                         {"issues"},
				"X-Github-Delivery":                      {delivery},
				"X-Github-Hook-Id":                       {"459862151"},
				"X-Github-Hook-Installation-Target-Type": {"repository"},
				"X-Github-Hook-Installation-Target-Id":   {"718204519"},
			},
			Body: b,
		}
		return e, relay.Dedupe{Scopes: githubScopes, ID: "sha256:" + hex.EncodeToString(sum[:])}
	}},
}

var (
	stripeScopes = []string{verifier.SecretScope("whsec_memorybench_stripe_secret")}
	githubScopes = []string{verifier.SecretScope("memorybench-github-secret")}
)

func traceparent(rng *rand.Rand) string {
	return fmt.Sprintf("00-%016x%016x-%016x-01", rng.Uint64(), rng.Uint64(), rng.Uint64())
}

// body is a JSON object of exactly size bytes (at least the frame's)
// shaped like a Stripe invoice: line items with random ids, amounts and
// times, the rest of the last one's description random letters. Redis
// stores it as it is; only the archive's gzip sees the shape.
func body(rng *rand.Rand, id, typ string, size int) []byte {
	head := fmt.Sprintf(`{"id":%q,"object":"event","api_version":"2024-06-20","created":%d,"type":%q,"livemode":true,`+
		`"data":{"object":{"id":"in_%s","object":"invoice","customer":"cus_%s","currency":"usd","lines":[`,
		id, 1767225600+rng.IntN(86400), typ, randID(rng, 24), randID(rng, 14))
	const tail = `"}]}}}`
	b := make([]byte, 0, size)
	b = append(b, head...)
	for {
		item := fmt.Sprintf(`{"id":"il_%s","object":"line_item","amount":%d,"currency":"usd",`+
			`"period":{"end":%d,"start":%d},"price":{"id":"price_%s","product":"prod_%s","unit_amount":%d},"quantity":%d},`,
			randID(rng, 24), 100*rng.IntN(500), 1769904000+rng.IntN(86400), 1767225600+rng.IntN(86400),
			randID(rng, 24), randID(rng, 14), 100*rng.IntN(100), 1+rng.IntN(5))
		if len(b)+len(item)+len(`{"description":"`)+len(tail) > size {
			break
		}
		b = append(b, item...)
	}
	b = append(b, `{"description":"`...)
	for len(b) < size-len(tail) {
		b = append(b, byte('a'+rng.IntN(26)))
	}
	return append(b, tail...)
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idChars[rng.IntN(len(idChars))]
	}
	return string(b)
}
