package verifier

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"
)

// checkSentinel fails unless err is nil or one of the package's errors: a
// verifier must never surface anything that could carry request detail.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	for _, known := range []error{ErrMissing, ErrMalformed, ErrMismatch, ErrStale} {
		if err == nil || errors.Is(err, known) {
			return
		}
	}
	t.Fatalf("unexpected error %v", err)
}

func FuzzStripeHeader(f *testing.F) {
	f.Add(stripeVector, []byte(stripeBody))
	f.Add("t=1700000000,v1="+stripeSig+",v0="+stripeSig, []byte(stripeBody))
	f.Add("t=1700000000,v1=00,v1="+strings.ToUpper(stripeSig), []byte(stripeBody))
	f.Add("t=,v1=", []byte{})
	f.Add("t=1,t=2,v1==,,", []byte("x"))
	f.Add("garbage", []byte(nil))
	v, err := NewStripe(Config{Secrets: []string{stripeSecret}, Now: at(stripeTS)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := verifyErr(v.Verify(headers("Stripe-Signature", header), body))
		checkSentinel(t, err)
		if ts, unix, ok := parseStripeHeader(header); ok && !strings.Contains(header, "t="+ts) {
			t.Fatalf("parsed t=%s (%d) is not in %q", ts, unix, header)
		}
		if err == nil {
			ts, _, _ := parseStripeHeader(header)
			if !strings.Contains(strings.ToLower(header), "v1="+stripeSign(stripeSecret, ts, string(body))) {
				t.Fatalf("accepted %q without its signature", header)
			}
			if sdkErr := webhook.ValidatePayloadIgnoringTolerance(body, header, stripeSecret); sdkErr != nil {
				t.Fatalf("accepted %q, which stripe-go rejects: %v", header, sdkErr)
			}
		}
		signed := "t=1700000000,v1=" + stripeSign(stripeSecret, "1700000000", string(body))
		if err := verifyErr(v.Verify(headers("Stripe-Signature", signed), body)); err != nil {
			t.Fatalf("a correctly signed body was rejected: %v", err)
		}
	})
}

func FuzzStandardSignatures(f *testing.F) {
	f.Add(standardSig, []byte(standardBody))
	f.Add("v1a,c2lnbmF0dXJl "+standardSig, []byte(standardBody))
	f.Add("v1,"+standardSig[3:]+",x", []byte(standardBody))
	f.Add("v1, v1,, ,", []byte{})
	f.Add("v1,====", []byte("x"))
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", []byte(standardBody))
	v, err := NewStandard(Config{Secrets: []string{standardSecret}, Now: at(1614265330)})
	if err != nil {
		f.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(standardSecret)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, list string, body []byte) {
		h := standardRequest("webhook", standardID, standardTS, list)
		err := verifyErr(v.Verify(h, body))
		checkSentinel(t, err)
		good, _ := wh.Sign(standardID, at(1614265330)(), body)
		if err == nil {
			if !strings.Contains(list, good) {
				t.Fatalf("accepted %q without its signature", list)
			}
			if libErr := wh.VerifyIgnoringTimestamp(body, h); libErr != nil {
				t.Fatalf("accepted %q, which the library rejects: %v", list, libErr)
			}
		}
		for _, withGood := range []string{list + " " + good, good + " " + list} {
			if err := verifyErr(v.Verify(standardRequest("webhook", standardID, standardTS, withGood), body)); err != nil {
				t.Fatalf("a list holding a good signature was rejected: %q: %v", withGood, err)
			}
		}
	})
}

func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"1700000000", "0", "00000000001", "99999999999", "100000000000", "-1", "+1", "1e9", " 1", "1.5", ""} {
		f.Add(s)
	}
	w, err := newWindow("fuzz", Config{Now: at(1700000000)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseTimestamp(s)
		allDigits := s != "" && strings.Trim(s, "0123456789") == ""
		leadingZero := len(s) > 1 && s[0] == '0'
		if ok != (allDigits && !leadingZero && len(s) <= maxTimestampDigits) {
			t.Fatalf("parseTimestamp(%q) ok = %v", s, ok)
		}
		if !ok {
			return
		}
		if want, err := strconv.ParseInt(s, 10, 64); err != nil || n != want {
			t.Fatalf("parseTimestamp(%q) = %d, strconv says %d, %v", s, n, want, err)
		}
		if got := strconv.FormatInt(n, 10); got != strings.TrimLeft(s, "0") && !(n == 0 && got == "0") {
			t.Fatalf("%q does not round-trip: %q", s, got)
		}
		if fresh := w.contains(n); fresh != (n >= 1700000000-300 && n <= 1700000000+300) {
			t.Fatalf("contains(%d) = %v", n, fresh)
		}
	})
}

func FuzzHMACSignature(f *testing.F) {
	f.Add(githubSig)
	f.Add(strings.ToUpper(githubSig))
	f.Add(wordpressSig)
	f.Add("sha256=" + wordpressSig)
	f.Add("sha256=")
	f.Add("dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU1=")
	f.Add("\n\r==")
	hexV, err := NewHMAC(Config{Secrets: []string{githubSecret}}, HMACOptions{Header: "X-Sig", Prefix: "sha256="})
	if err != nil {
		f.Fatal(err)
	}
	b64V, err := NewHMAC(Config{Secrets: []string{githubSecret}}, HMACOptions{Header: "X-Sig", Encoding: "base64"})
	if err != nil {
		f.Fatal(err)
	}
	mac := stdlibMAC(sha256.New, githubSecret, githubBody)
	f.Fuzz(func(t *testing.T, value string) {
		var sig [sha256.Size]byte
		if decodeHex(sig[:], value) && hex.EncodeToString(sig[:]) != strings.ToLower(value) {
			t.Fatalf("hex %q does not round-trip", value)
		}
		if decodeBase64(sig[:], value) && base64.StdEncoding.EncodeToString(sig[:]) != value {
			t.Fatalf("base64 %q does not round-trip", value)
		}
		err := verifyErr(hexV.Verify(headers("X-Sig", value), []byte(githubBody)))
		checkSentinel(t, err)
		rest, prefixed := strings.CutPrefix(value, "sha256=")
		if (err == nil) != (prefixed && strings.EqualFold(rest, hex.EncodeToString(mac))) {
			t.Fatalf("hex verifier on %q: %v", value, err)
		}
		err = verifyErr(b64V.Verify(headers("X-Sig", value), []byte(githubBody)))
		checkSentinel(t, err)
		if (err == nil) != (value == base64.StdEncoding.EncodeToString(mac)) {
			t.Fatalf("base64 verifier on %q: %v", value, err)
		}
	})
}

func FuzzToken(f *testing.F) {
	const secret = "glpat-shared-token"
	for _, s := range []string{secret, "", "glpat-shared-tokeN", secret + secret, "\x00"} {
		f.Add(s)
	}
	v, err := NewToken(Config{Secrets: []string{"other-token", secret}}, TokenOptions{Header: "X-Gitlab-Token"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		err := verifyErr(v.Verify(headers("X-Gitlab-Token", token), nil))
		checkSentinel(t, err)
		if (err == nil) != (token == secret || token == "other-token") {
			t.Fatalf("Verify(%q) = %v", token, err)
		}
	})
}
