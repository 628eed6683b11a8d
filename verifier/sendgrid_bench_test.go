package verifier

import (
	"crypto/sha256"
	"testing"
	"time"
)

func BenchmarkSendGrid(b *testing.B) {
	priv, pub := sendGridKey(b)
	v, err := NewSendGrid(Config{Secrets: []string{pub}, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, v, sendGridHeader(sendGridSign(b, priv, benchTS, benchBody), benchTS))
}

// BenchmarkBaselineSHA256 is the floor every HMAC-SHA256 verifier stands
// on: one SHA-256 pass over the same 2 KB body. bench/verifiers.sh states
// each verifier as a multiple of it.
func BenchmarkBaselineSHA256(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		_ = sha256.Sum256(benchBody)
	}
}
