package event

import (
	"bytes"
	"encoding/json"
	"testing"
)

// deliveryBody is what the relay does with a stored event before it signs
// and sends it: normalize, then encode the envelope (relay/deliver.go).
func deliveryBody(s Stored) ([]byte, error) {
	e, err := Normalize(s)
	if err != nil {
		return nil, err
	}
	return e.AppendJSON(make([]byte, 0, len(s.Body)+512))
}

func benchmarkDelivery(b *testing.B, s Stored) {
	b.Helper()
	if _, err := deliveryBody(s); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(s.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deliveryBody(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalizeStripe is the relay's per-delivery work on a Stripe
// invoice.paid event, as Stripe sends it (indented) and compacted (as
// bench/relaybench stores it).
func BenchmarkNormalizeStripe(b *testing.B) {
	body := readTestdata(b, "stripe_invoice_paid.json")
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		b.Fatal(err)
	}
	b.Run("indented", func(b *testing.B) {
		benchmarkDelivery(b, storedEvent("stripe", "invoice.paid", string(body)))
	})
	b.Run("compact", func(b *testing.B) {
		benchmarkDelivery(b, storedEvent("stripe", "invoice.paid", compact.String()))
	})
}

func BenchmarkNormalizeStandard(b *testing.B) {
	benchmarkDelivery(b, storedEvent("standard", "invoice.paid",
		`{"type":"invoice.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"in_1PqZ3JJ2eZvKYlo2Vb0y7QmE",`+
			`"object":"invoice","customer":"cus_QhZ3a9XkTq2LmN","customer_email":"jane.doe@example.com","amount_due":2900,`+
			`"amount_paid":2900,"currency":"usd","lines":[{"id":"il_1","amount":2900,"description":"1 x Pro plan"}]}}`))
}

func BenchmarkNormalizeGitHub(b *testing.B) {
	benchmarkDelivery(b, storedEvent("github", "pull_request.opened", string(readTestdata(b, "github_pull_request_opened.json"))))
}
