package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

const (
	stripeSecret = "whsec_test_secret"
	stripeBody   = `{"id":"evt_1","type":"invoice.paid"}`
	stripeTS     = 1700000000
	stripeSig    = "46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595"
	stripeVector = "t=1700000000,v1=" + stripeSig
)

// stripeSign is the scheme written out with the stdlib, for rows that need
// a signature the vector does not give.
func stripeSign(secret, ts, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestStripe(t *testing.T) {
	other := stripeSign("whsec_other", "1700000000", stripeBody)
	for _, tc := range []struct {
		name    string
		secrets []string
		header  string // "" leaves Stripe-Signature out
		now     int64
		want    error
	}{
		{"the test vector verifies", []string{stripeSecret}, stripeVector, stripeTS, nil},
		{"the second secret matches during rotation", []string{"whsec_old", stripeSecret}, stripeVector, stripeTS, nil},
		{"any one v1 in the header may match", []string{stripeSecret}, "t=1700000000,v1=" + other + ",v1=" + stripeSig, stripeTS, nil},
		{"v0 next to v1 is ignored", []string{stripeSecret}, stripeVector + ",v0=" + stripeSig, stripeTS, nil},
		{"unknown keys are ignored", []string{stripeSecret}, "t=1700000000,v1=" + stripeSig + ",x=1", stripeTS, nil},
		{"field order does not matter", []string{stripeSecret}, "v1=" + stripeSig + ",t=1700000000", stripeTS, nil},
		{"uppercase hex names the same MAC", []string{stripeSecret}, "t=1700000000,v1=" + strings.ToUpper(stripeSig), stripeTS, nil},
		{"a timestamp at the tolerance edge is accepted", []string{stripeSecret}, stripeVector, stripeTS + 300, nil},
		{"a stale timestamp is rejected", []string{stripeSecret}, stripeVector, stripeTS + 301, ErrStale},
		{"a future timestamp is rejected", []string{stripeSecret}, stripeVector, stripeTS - 301, ErrStale},
		{"a wrong secret is a mismatch", []string{"whsec_other_secret"}, stripeVector, stripeTS, ErrMismatch},
		{"a signature by another secret is a mismatch", []string{stripeSecret}, "t=1700000000,v1=" + other, stripeTS, ErrMismatch},
		{"a missing header is rejected", []string{stripeSecret}, "", stripeTS, ErrMissing},
		{"a garbage header is malformed", []string{stripeSecret}, "garbage", stripeTS, ErrMalformed},
		{"only v0 is malformed", []string{stripeSecret}, "t=1700000000,v0=" + stripeSig, stripeTS, ErrMalformed},
		{"no t is malformed", []string{stripeSecret}, "v1=" + stripeSig, stripeTS, ErrMalformed},
		{"a repeated t is malformed", []string{stripeSecret}, "t=1700000000,t=1700000000,v1=" + stripeSig, stripeTS, ErrMalformed},
		{"a negative t is malformed", []string{stripeSecret}, "t=-1700000000,v1=" + stripeSig, stripeTS, ErrMalformed},
		{"a non-numeric t is malformed", []string{stripeSecret}, "t=soon,v1=" + stripeSig, stripeTS, ErrMalformed},
		{"an absurd t is malformed", []string{stripeSecret}, "t=170000000000000,v1=" + stripeSig, stripeTS, ErrMalformed},
		{"a field without = is malformed", []string{stripeSecret}, stripeVector + ",v1", stripeTS, ErrMalformed},
		{"a trailing comma is malformed", []string{stripeSecret}, stripeVector + ",", stripeTS, ErrMalformed},
		{"a field with two = is malformed", []string{stripeSecret}, stripeVector + "=", stripeTS, ErrMalformed},
		{"a v1 of the wrong length is not a signature", []string{stripeSecret}, "t=1700000000,v1=" + stripeSig[:62], stripeTS, ErrMalformed},
		{"a v1 that is not hex is not a signature", []string{stripeSecret}, "t=1700000000,v1=" + strings.Repeat("zz", 32), stripeTS, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewStripe(Config{Secrets: tc.secrets, Now: at(tc.now)})
			if err != nil {
				t.Fatal(err)
			}
			h := headers()
			if tc.header != "" {
				h.Set("Stripe-Signature", tc.header)
			}
			checkErr(t, verifyErr(v.Verify(h, []byte(stripeBody))), tc.want)
		})
	}
}

func TestStripeAcceptsWhatStripeGoSigns(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		ts   int64
	}{
		{"a small event", stripeBody, stripeTS},
		{"an empty body", "", 1},
		{"a body with every byte value", allBytes(), 1234567890},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
				Payload: []byte(tc.body), Secret: stripeSecret, Timestamp: time.Unix(tc.ts, 0),
			})
			v, err := NewStripe(Config{Secrets: []string{stripeSecret}, Now: at(tc.ts)})
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, verifyErr(v.Verify(headers("Stripe-Signature", signed.Header), signed.Payload)), nil)
		})
	}
}

func TestStripeRejectsOneByteChanges(t *testing.T) {
	v, err := NewStripe(Config{Secrets: []string{stripeSecret}, Now: at(stripeTS)})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("any change of the body is rejected", func(t *testing.T) {
		for _, body := range oneByteChanges(stripeBody) {
			if verifyErr(v.Verify(headers("Stripe-Signature", stripeVector), []byte(body))) == nil {
				t.Fatalf("accepted body %q", body)
			}
		}
	})
	t.Run("any change of the header, timestamp and signature included, is rejected", func(t *testing.T) {
		for _, header := range oneByteChanges(stripeVector) {
			if verifyErr(v.Verify(headers("Stripe-Signature", header), []byte(stripeBody))) == nil {
				t.Fatalf("accepted header %q", header)
			}
		}
	})
}

func allBytes() string {
	var b strings.Builder
	for i := range 256 {
		b.WriteByte(byte(i))
	}
	return b.String()
}

func ExampleStripe() {
	v, _ := NewStripe(Config{Secrets: []string{stripeSecret}, Now: at(stripeTS)})
	err := verifyErr(v.Verify(headers("Stripe-Signature", stripeVector), []byte(stripeBody)))
	fmt.Println(err, v.Locate().IDField)
	// Output: <nil> id
}
