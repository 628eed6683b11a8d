package sign_test

import (
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

// The signers of the URL-signing providers reproduce the providers'
// vectors: Twilio's published one, and providers.md's HubSpot one
// (computed from HubSpot's documented algorithm).
func TestURLSignersMatchTheVectors(t *testing.T) {
	cases := []struct {
		name, provider, secret, url, body, header, want string
		at                                              time.Time
	}{
		{"twilio's documented example (published)", "twilio", "12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
			"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212",
			"X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", time.Now()},
		{"hubspot v3 (providers.md, computed)", "hubspot", "hs_client_secret", "https://hooks.example.com/hubspot",
			`[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]`,
			"X-HubSpot-Signature-v3", "sqXOcT/0Rm44Onxa+Obu5rSmiClflohR0V4S5wPhwAk=", time.UnixMilli(1700000000000)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := sign.Sign(tc.provider, tc.secret, []byte(tc.body), tc.at, "", sign.Options{URL: tc.url})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get(tc.header); got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}
