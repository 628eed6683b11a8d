package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Twilio signs the URL and the *decoded, sorted* form params, but
// the event id is the hash of the raw body bytes. One captured request can
// therefore be re-spelled (fields reordered, a byte %-encoded, a '+' for a
// space, a field boundary moved) any number of times, each spelling verifying
// under the same X-Twilio-Signature and each a new 202: Twilio signs no
// timestamp, so this works forever.
func TestATwilioSignatureIsOneEventHoweverTheFormIsSpelled(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `
	webhook /hooks/twilio twilio {
		secret tw_auth_token
	}`)
	form := "MessageSid=SM0123&MessageStatus=delivered&From=%2B15551234567&Body=Hi+there%21"
	sig := urlSigned(t, "twilio", "tw_auth_token", c.Base+"/hooks/twilio", form, time.Now())

	if status, _, reply := c.post(t, "/hooks/twilio", sig, []byte(form)); status != 202 {
		t.Fatalf("the genuine request: %d %s", status, reply)
	}
	respellings := []struct{ name, body string }{
		{"fields reordered", "MessageStatus=delivered&MessageSid=SM0123&From=%2B15551234567&Body=Hi+there%21"},
		{"a letter %-encoded", "MessageSid=SM0123&MessageStatus=%64elivered&From=%2B15551234567&Body=Hi+there%21"},
		{"%20 for +", "MessageSid=SM0123&MessageStatus=delivered&From=%2B15551234567&Body=Hi%20there%21"},
		{"an empty segment", "MessageSid=SM0123&&MessageStatus=delivered&From=%2B15551234567&Body=Hi+there%21"},
		// Content change: Body and From merged (Body sorts before From, the
		// concatenation Body|Hi there!|From|+1555... is unchanged), so the
		// stored form has no From and Body is "Hi there!From+15551234567".
		{"two fields merged into one", "MessageSid=SM0123&MessageStatus=delivered&Body=Hi+there%21From%2B15551234567"},
	}
	for _, rs := range respellings {
		t.Run(rs.name, func(t *testing.T) {
			status, _, reply := c.post(t, "/hooks/twilio", sig, []byte(rs.body))
			if status != 200 {
				t.Errorf("a re-spelling of the captured request under its signature: %d %s, want 200 duplicate", status, reply)
			}
		})
	}
	n, _ := srv.Do("XLEN", "hookgate:{events}")
	if n != ":1" {
		t.Errorf("one signature stored %s entries, want 1", strings.TrimPrefix(fmt.Sprint(n), ":"))
	}
}
