package relay

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// benchEntry is a Stripe invoice.paid event as the relay reads it from the
// stream (compact, as bench/relaybench stores it).
func benchEntry(b *testing.B) map[string]any {
	b.Helper()
	raw, err := os.ReadFile("../event/testdata/stripe_invoice_paid.json")
	if err != nil {
		b.Fatal(err)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, raw); err != nil {
		b.Fatal(err)
	}
	return map[string]any{
		fieldID: "evt_1PqZ3LJ2eZvKYlo2C8R0xY7a", fieldSource: "stripe", fieldTenant: "default",
		fieldType: "invoice.paid", fieldReceivedAt: strconv.FormatInt(time.Now().UnixMilli(), 10),
		fieldTraceparent:           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		headerField + "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
		fieldBody:                  body.String(),
	}
}

func benchSender(b *testing.B) *sender {
	b.Helper()
	s, err := newSender(Config{To: "http://127.0.0.1:9/hook", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Workers: 8, Timeout: 10 * time.Second}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkDelivery is the relay's own work per delivery, without the
// network: decode the entry, build the request (normalize, encode,
// headers), and sign one attempt's headers.
func BenchmarkDelivery(b *testing.B) {
	values, s := benchEntry(b), benchSender(b)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(values); err != nil {
				b.Fatal(err)
			}
		}
	})
	st, err := Decode(values)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.prepare(st, event.Normalize); err != nil {
				b.Fatal(err)
			}
		}
	})
	req, err := s.prepare(st, event.Normalize)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h := req.header.Clone()
			s.sign(h, req)
		}
	})
	b.Run("all", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st, err := Decode(values)
			if err != nil {
				b.Fatal(err)
			}
			req, err := s.prepare(st, event.Normalize)
			if err != nil {
				b.Fatal(err)
			}
			s.sign(req.header.Clone(), req)
		}
	})
}
