package verifier

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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

// presetRequest signs body for preset p at benchTS the way its sender
// does, from the preset's own options: only for benchmarks, where the
// vectors of presets_test.go have proved those options right.
func presetRequest(b *testing.B, p Preset, secret string, body []byte) http.Header {
	b.Helper()
	if p.Token != nil {
		return headers(p.Token.Header, secret)
	}
	o := *p.HMAC
	tpl, err := ParseTemplate(o.Template)
	if o.Template == "" && (o.TimestampHeader != "" || strings.HasPrefix(o.TimestampFrom, "header:")) {
		tpl, err = ParseTemplate("{ts}.{body}")
	}
	if err != nil {
		b.Fatal(err)
	}
	sf, _ := ParseSignatureFormat(o.SignatureFormat)
	ts := benchTS
	switch o.TimestampFormat {
	case TimestampRFC3339:
		ts = time.Unix(1700000000, 0).UTC().Format(time.RFC3339)
	case TimestampUnixMS:
		ts = benchTS + "000"
	}
	nh, _ := newHash(o.Algorithm)
	m := hmac.New(nh, []byte(secret))
	m.Write(tpl.Append(nil, ts, "msg_1", body))
	sig := hex.EncodeToString(m.Sum(nil))
	if o.Encoding == "base64" {
		sig = base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	sig = o.Prefix + sig
	h := http.Header{}
	if sf.KV {
		sig = sf.TSKey + "=" + ts + string(sf.Sep) + sf.SigKey + "=" + sig
	}
	h.Set(o.Header, sig)
	if name, ok := strings.CutPrefix(o.TimestampFrom, "header:"); ok {
		h.Set(name, ts)
	}
	return h
}

// BenchmarkPresets: each preset on the accept path for a 2 KB body (Linear's
// carries its webhookTimestamp).
func BenchmarkPresets(b *testing.B) {
	for _, p := range Presets() {
		b.Run(p.Name, func(b *testing.B) {
			cfg := benchConfig()
			v, err := p.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			body := benchBody
			if p.Name == "linear" {
				body = append([]byte(`{"webhookTimestamp":1700000000000,`), benchBody[1:]...)
			}
			h := presetRequest(b, p, cfg.Secrets[0], body)
			if err := verifyErr(v.Verify(h, body)); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := verifyErr(v.Verify(h, body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchVerifyRequest is benchVerify for the schemes that sign the URL.
func benchVerifyRequest(b *testing.B, v RequestVerifier, r *http.Request, body []byte) {
	b.Helper()
	if err := verifyErr(v.VerifyRequest(r, body)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := verifyErr(v.VerifyRequest(r, body)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchURL is the public URL the URL-signing benchmarks sign; the
// verifiers get it from a URLFunc that returns it, as a route with a
// fixed public_url does (reconstructing it from the request costs one
// string more).
const benchURL = "https://hooks.example.com/hooks/provider?tenant=acme"

func benchURLFunc(*http.Request) string { return benchURL }

// BenchmarkTwilio verifies a 2 KB form post of 20 fields.
func BenchmarkTwilio(b *testing.B) {
	var form strings.Builder
	for i := 0; form.Len() < 2048-40; i++ {
		fmt.Fprintf(&form, "Field%02d=%s&", 19-i%20, strings.Repeat("v", 80))
	}
	body := []byte(form.String() + "MessageSid=SM0123456789")
	body = body[:len(body)-(len(body)-2048)]
	params, err := SortedFormParams(body)
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewTwilio(Config{Secrets: []string{"twilio_auth_token"}}, TwilioOptions{URL: benchURLFunc})
	if err != nil {
		b.Fatal(err)
	}
	m := hmac.New(sha1.New, []byte("twilio_auth_token"))
	m.Write([]byte(benchURL))
	m.Write(params)
	r := httptest.NewRequest(http.MethodPost, benchURL, nil)
	r.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	benchVerifyRequest(b, v, r, body)
}

func BenchmarkSquare(b *testing.B) {
	v, err := NewSquare(Config{Secrets: []string{"square_signature_key"}}, URLOptions{URL: benchURLFunc})
	if err != nil {
		b.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("square_signature_key"))
	m.Write([]byte(benchURL))
	m.Write(benchBody)
	r := httptest.NewRequest(http.MethodPost, benchURL, nil)
	r.Header.Set("X-Square-Hmacsha256-Signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	benchVerifyRequest(b, v, r, benchBody)
}

func BenchmarkHubSpot(b *testing.B) {
	body := append(append([]byte("["), benchBody...), ']')
	v, err := NewHubSpot(Config{Secrets: []string{"hs_client_secret"}, Now: func() time.Time { return time.UnixMilli(1700000000000) }},
		URLOptions{URL: benchURLFunc})
	if err != nil {
		b.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("hs_client_secret"))
	m.Write([]byte("POST" + benchURL))
	m.Write(body)
	m.Write([]byte("1700000000000"))
	r := httptest.NewRequest(http.MethodPost, benchURL, nil)
	r.Header.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	r.Header.Set("X-HubSpot-Request-Timestamp", "1700000000000")
	benchVerifyRequest(b, v, r, body)
}

// BenchmarkJWT: the public-key algorithms against HS256, and HS256 with
// body_signature (the WordPress plugin's two checks). The token is small;
// only body_signature reads the 2 KB body.
func BenchmarkJWT(b *testing.B) {
	testJWTKeys(b)
	dir := b.TempDir()
	cases := []struct {
		name string
		opts JWTOptions
		m    jwt.SigningMethod
		key  any
		body bool
	}{
		{"RS256", JWTOptions{Algorithm: JWTRS256, KeyFile: writeFile(b, dir, "rs.pem", publicPEM(b, &jwtRSA.PublicKey))}, jwt.SigningMethodRS256, jwtRSA, false},
		{"ES256", JWTOptions{Algorithm: JWTES256, KeyFile: writeFile(b, dir, "es.pem", publicPEM(b, &jwtEC.PublicKey))}, jwt.SigningMethodES256, jwtEC, false},
		{"EdDSA", JWTOptions{Algorithm: JWTEdDSA, KeyFile: writeFile(b, dir, "ed.pem", publicPEM(b, jwtEd.Public()))}, jwt.SigningMethodEdDSA, jwtEd, false},
		{"HS256", JWTOptions{Algorithm: JWTHS256}, jwt.SigningMethodHS256, []byte("hs-secret"), false},
		{"HS256+body_signature", JWTOptions{Algorithm: JWTHS256, BodySignatureHeader: "X-Signature", BodySignatureSecrets: []string{"body-secret"}}, jwt.SigningMethodHS256, []byte("hs-secret"), true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			v := newTestJWT(b, tc.opts, "hs-secret")
			h := bearer(signToken(b, tc.m, tc.key, claims(), ""))
			if tc.body {
				h.Set("X-Signature", "sha256="+hexMAC("body-secret", string(benchBody)))
			}
			benchVerify(b, v, h)
		})
	}
}

func BenchmarkMailgun(b *testing.B) {
	ts := benchTS
	body := append(mailgunTestBody(mailgunSigObject(`"`+ts+`"`, mailgunToken, mailgunSig("mg-key", ts, mailgunToken)), `{"event":"delivered","data":"`), bytes.Repeat([]byte("x"), 1900)...)
	body = append(body[:len(body)-1], `"}}`...)
	v, err := NewMailgun(Config{Secrets: []string{"mg-key"}, Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := v.Verify(nil, body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(nil, body); err != nil {
			b.Fatal(err)
		}
	}
}

// Slack, Zoom, Twitch and Meta are the generic engine under their own
// Locator and handshake; Discord is Ed25519.

func BenchmarkSlack(b *testing.B) {
	cfg := benchConfig()
	v, err := NewSlack(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := "v0=" + hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], "v0:"+benchTS+":"+string(benchBody)))
	benchVerify(b, v, headers("X-Slack-Request-Timestamp", benchTS, "X-Slack-Signature", sig))
}

func BenchmarkZoom(b *testing.B) {
	cfg := benchConfig()
	v, err := NewZoom(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := "v0=" + hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], "v0:"+benchTS+":"+string(benchBody)))
	benchVerify(b, v, headers("x-zm-request-timestamp", benchTS, "x-zm-signature", sig))
}

func BenchmarkTwitch(b *testing.B) {
	cfg := benchConfig()
	v, err := NewTwitch(cfg)
	if err != nil {
		b.Fatal(err)
	}
	const id, ts = "befa7b53-d79d-478f-86b9-120f112b044e", "2023-11-14T22:13:20.634234626Z"
	sig := "sha256=" + hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], id+ts+string(benchBody)))
	benchVerify(b, v, headers("Twitch-Eventsub-Message-Id", id, "Twitch-Eventsub-Message-Timestamp", ts,
		"Twitch-Eventsub-Message-Signature", sig))
}

func BenchmarkMeta(b *testing.B) {
	cfg := benchConfig()
	v, err := NewMeta(cfg, "verify-token")
	if err != nil {
		b.Fatal(err)
	}
	sig := "sha256=" + hex.EncodeToString(stdlibMAC(sha256.New, cfg.Secrets[0], string(benchBody)))
	benchVerify(b, v, headers("X-Hub-Signature-256", sig))
}

// BenchmarkDiscord is Ed25519: a public-key verification, where the HMAC
// schemes above are two SHA-256 passes.
func BenchmarkDiscord(b *testing.B) {
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	cfg := benchConfig()
	cfg.Secrets = []string{hex.EncodeToString(key.Public().(ed25519.PublicKey))}
	v, err := NewDiscord(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sig := hex.EncodeToString(ed25519.Sign(key, append([]byte(benchTS), benchBody...)))
	benchVerify(b, v, headers("X-Signature-Timestamp", benchTS, "X-Signature-Ed25519", sig))
}
