package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	twilio "github.com/twilio/twilio-go/client"
)

// twilio-go's request validator is the test oracle: for each request it
// and the route agree on accepting or refusing. Bodies have no repeated
// name (twilio-go validates with each name's first value only), and no URL
// has a port other than its scheme's default (twilio-go also strips any
// other port, which the route does not do: see TestTwilio).
func TestTwilioAgreesWithTwilioGo(t *testing.T) {
	const token = "12345"
	jsonBody := `{"MessageSid":"SM1","MessageStatus":"delivered"}`
	sum := sha256.Sum256([]byte(jsonBody))
	jsonURL := "https://h.example/status?bodySHA256=" + hex.EncodeToString(sum[:])
	cases := []struct {
		name, signedURL, signedBody, url, body string
		form                                   bool
	}{
		{"the documented example", twilioDocURL, twilioDocParams, twilioDocURL, twilioDocParams, true},
		{"the documented example with :443", twilioDocURL, twilioDocParams, "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilioDocParams, true},
		{"signed with :443, sent without", "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilioDocParams, twilioDocURL, twilioDocParams, true},
		{"http with :80", "http://h.example/x", "A=1", "http://h.example:80/x", "A=1", true},
		{"escaped values", "https://h.example/x", "Body=Hello%2C+world%21&From=%2B1", "https://h.example/x", "From=%2B1&Body=Hello%2C+world%21", true},
		{"names that prefix each other", "https://h.example/x", "To=%2B1&ToCity=Paris&T=0", "https://h.example/x", "ToCity=Paris&T=0&To=%2B1", true},
		{"upper before lower case", "https://h.example/x", "b=1&B=2&a=3", "https://h.example/x", "a=3&B=2&b=1", true},
		{"a changed value", twilioDocURL, twilioDocParams, twilioDocURL, twilioDocParams[:len(twilioDocParams)-1] + "3", true},
		{"another path", twilioDocURL, twilioDocParams, "https://mycompany.com/other.php?foo=1&bar=2", twilioDocParams, true},
		{"another scheme", twilioDocURL, twilioDocParams, "http://mycompany.com/myapp.php?foo=1&bar=2", twilioDocParams, true},
		{"the JSON variant", jsonURL, "", jsonURL, jsonBody, false},
		{"the JSON variant with another body", jsonURL, "", jsonURL, jsonBody + "\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			params, err := SortedFormParams([]byte(tc.signedBody))
			if err != nil {
				t.Fatal(err)
			}
			sig := twilioSig(token, tc.signedURL+string(params))
			oracle := twilio.NewRequestValidator(token)
			want := oracle.ValidateBody(tc.url, []byte(tc.body), sig)
			if tc.form {
				values, _ := url.ParseQuery(tc.body)
				flat := map[string]string{}
				for k, v := range values {
					flat[k] = v[0]
				}
				if got := oracle.Validate(tc.url, flat, sig); got != want {
					t.Fatalf("twilio-go's Validate %v and ValidateBody %v disagree", got, want)
				}
			}
			v := newTwilioT(t, TwilioOptions{}, token)
			_, err = v.VerifyRequest(urlRequest(tc.url, tc.body, http.Header{"X-Twilio-Signature": {sig}}), []byte(tc.body))
			if got := err == nil; got != want {
				t.Fatalf("the route accepts: %v (%v), twilio-go: %v", got, err, want)
			}
		})
	}
	t.Run("the published vector is one twilio-go accepts", func(t *testing.T) {
		values, _ := url.ParseQuery(twilioDocParams)
		flat := map[string]string{}
		for k, v := range values {
			flat[k] = v[0]
		}
		oracle := twilio.NewRequestValidator(token)
		if !oracle.Validate(twilioDocURL, flat, twilioDocSig) {
			t.Fatal("twilio-go refuses the documented vector")
		}
		for i := range len(twilioDocSig) {
			b := []byte(twilioDocSig)
			b[i] ^= 1
			if oracle.Validate(twilioDocURL, flat, string(b)) {
				t.Fatalf("twilio-go accepts the signature with byte %s changed", strconv.Itoa(i))
			}
		}
	})
}
