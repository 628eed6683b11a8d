package event

import (
	"encoding/json"
	"testing"
)

// BenchmarkScan measures the ingest hot path on a realistic Stripe event:
// Scan extracting the two dedupe fields against json.Valid alone, which
// validates without extracting anything.
func BenchmarkScan(b *testing.B) {
	body := readTestdata(b, "stripe_invoice_paid.json")
	b.Run("Scan/id+type", func(b *testing.B) {
		keys := []string{"id", "type"}
		out := make([]string, len(keys))
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := Scan(body, keys, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ScanStrict/id+type", func(b *testing.B) {
		keys := []string{"id", "type"}
		out := make([]string, len(keys))
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := ScanStrict(body, 64, keys, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Scan/validate-only", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := Scan(body, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if !json.Valid(body) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("json.Unmarshal/id+type", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct{ ID, Type string }
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
