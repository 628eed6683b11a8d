package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"testing"
	"time"
)

// benchBody is a 2 KB JSON-ish body, the size of a typical event.
var benchBody = append(append([]byte(`{"id":"evt_1","data":"`), bytes.Repeat([]byte("x"), 2048-len(`{"id":"evt_1","data":""}`))...), `"}`...)

const benchTS = "1700000000"

// benchVerify runs Verify on the accept path, failing at once if the fixture
// is not accepted: a benchmark of the rejection path would measure nothing.
func benchVerify(b *testing.B, v Verifier, h http.Header) {
	b.Helper()
	if err := verifyErr(v.Verify(h, benchBody)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := verifyErr(v.Verify(h, benchBody)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConfig() Config {
	return Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Now: func() time.Time { return time.Unix(1700000000, 0) }}
}

func BenchmarkStripe(b *testing.B) {
	cfg := benchConfig()
	v, err := NewStripe(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := stripeSign(cfg.Secrets[0], benchTS, string(benchBody))
	benchVerify(b, v, headers("Stripe-Signature", "t="+benchTS+",v1="+sig))
}

func BenchmarkGitHub(b *testing.B) {
	cfg := benchConfig()
	v, err := NewGitHub(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], string(benchBody)))
	benchVerify(b, v, headers("X-Hub-Signature-256", "sha256="+sig))
}

func BenchmarkStandard(b *testing.B) {
	cfg := benchConfig()
	v, err := NewStandard(cfg)
	if err != nil {
		b.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(cfg.Secrets[0][len("whsec_"):])
	sig := base64.StdEncoding.EncodeToString(stdlibMAC(sha256.New, string(key), "msg_1."+benchTS+"."+string(benchBody)))
	benchVerify(b, v, standardRequest("webhook", "msg_1", benchTS, "v1,"+sig))
}

func BenchmarkStandardSvix(b *testing.B) {
	cfg := benchConfig()
	v, err := NewStandard(cfg)
	if err != nil {
		b.Fatal(err)
	}
	key, _ := base64.StdEncoding.DecodeString(cfg.Secrets[0][len("whsec_"):])
	sig := base64.StdEncoding.EncodeToString(stdlibMAC(sha256.New, string(key), "msg_1."+benchTS+"."+string(benchBody)))
	// The first call adds the Webhook-* names; later calls find them there.
	benchVerify(b, v, standardRequest("svix", "msg_1", benchTS, "v1,"+sig))
}

func BenchmarkWordPress(b *testing.B) {
	cfg := benchConfig()
	v, err := NewWordPress(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := base64.StdEncoding.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], benchTS+"."+string(benchBody)))
	benchVerify(b, v, headers("X-WP-Timestamp", benchTS, "X-WP-Signature", sig))
}

func BenchmarkHMAC(b *testing.B) {
	cfg := benchConfig()
	v, err := NewHMAC(cfg, HMACOptions{Header: "X-Signature", Prefix: "sha256="})
	if err != nil {
		b.Fatal(err)
	}
	sig := hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], string(benchBody)))
	benchVerify(b, v, headers("X-Signature", "sha256="+sig))
}

func BenchmarkToken(b *testing.B) {
	cfg := benchConfig()
	v, err := NewToken(cfg, TokenOptions{Header: "X-Gitlab-Token"})
	if err != nil {
		b.Fatal(err)
	}
	benchVerify(b, v, headers("X-Gitlab-Token", cfg.Secrets[0]))
}

// BenchmarkStripeParallel shows the pooled MAC states under contention, as
// the handler sees them.
func BenchmarkStripeParallel(b *testing.B) {
	cfg := benchConfig()
	v, err := NewStripe(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := headers("Stripe-Signature", "t="+benchTS+",v1="+stripeSign(cfg.Secrets[0], benchTS, string(benchBody)))
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := verifyErr(v.Verify(h, benchBody)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
