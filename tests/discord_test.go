package tests

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

// discordKey signs as Discord would; the route holds its public key.
const discordKey = "discord_e2e_secret"

func discordSigned(t *testing.T, key, body string, at time.Time) http.Header {
	t.Helper()
	h, err := sign.Sign("discord", key, []byte(body), at, "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Discord end to end: a PING interaction answered {"type":1} as JSON and
// a webhook-event PING 204, each only once signed and neither stored;
// interactions stored by id and kind, webhook events by event.type.
func TestDiscordThroughCaddy(t *testing.T) {
	g := startGateway(t, `webhook /discord discord {
		secret `+sign.DiscordPublicKey(discordKey)+`
	}`)
	now := time.Now()
	ping := `{"app_permissions":"0","application_id":"775799577604964352","id":"1127151520582975548","token":"aW50ZXJhY3Rpb24","type":1,"user":{"id":"53908232506183680"},"version":1}`
	eventPing := `{"version":1,"application_id":"775799577604964352","type":0}`

	t.Run("an unsigned, forged or stale PING is a 401 and no PONG", func(t *testing.T) {
		for _, h := range []http.Header{
			{"Content-Type": {"application/json"}},
			discordSigned(t, "another_applications_key", ping, now),
			discordSigned(t, discordKey, ping, now.Add(-6*time.Minute)),
		} {
			status, _, reply := g.post(t, "/discord", h, []byte(ping))
			if status != 401 || strings.Contains(reply, `"type":1`) {
				t.Fatalf("%d %s", status, reply)
			}
		}
	})
	t.Run("a signed PING is answered {\"type\":1} as JSON and not stored", func(t *testing.T) {
		status, header, reply := g.post(t, "/discord", discordSigned(t, discordKey, ping, now), []byte(ping))
		g.checkHandshake(t, status, header, reply, 200, "application/json", `{"type":1}`)
	})
	t.Run("a signed webhook-event PING is answered 204 and not stored", func(t *testing.T) {
		status, header, reply := g.post(t, "/discord", discordSigned(t, discordKey, eventPing, now), []byte(eventPing))
		g.checkHandshake(t, status, header, reply, 204, "", "")
	})
	if n := g.outcomes(t, "discord", "handshake"); n != 2 {
		t.Errorf("handshake outcome counted %v times, want 2", n)
	}

	command := `{"type":2,"id":"786008729715212338","application_id":"775799577604964352","channel_id":"645027906669510667","member":{"user":{"id":"53908232506183680"}},"data":{"name":"cardsearch","type":1}}`
	authorized := `{"version":1,"application_id":"775799577604964352","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"user":{"id":"1111"}}}}`
	component := `{"type":3,"id":"786008729715212339","application_id":"775799577604964352","channel_id":"645027906669510667","data":{"custom_id":"ok","component_type":2}}`
	// Within Discord's 3 seconds an interaction gets a deferred response
	// (the receiver follows up with its token); a webhook event a 204.
	for _, tc := range []struct {
		name, body, id, typ string
		status              int
		reply               string
	}{
		{"an application command is stored by its id and kind, answered deferred", command, "786008729715212338", "application_command", 200, `{"type":5}`},
		{"a component interaction is answered with a deferred update", component, "786008729715212339", "message_component", 200, `{"type":6}`},
		{"a webhook event is stored by its event.type, answered 204", authorized, "", "APPLICATION_AUTHORIZED", 204, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := g.post(t, "/discord", discordSigned(t, discordKey, tc.body, now), []byte(tc.body))
			if status != tc.status || reply != tc.reply {
				t.Fatalf("%d %q, want %d %q", status, reply, tc.status, tc.reply)
			}
			entries := g.stored(t)
			last := entries[len(entries)-1].Values
			if tc.id != "" && last["id"] != tc.id || last["type"] != tc.typ || last["body"] != tc.body {
				t.Errorf("stored %v", last)
			}
		})
	}
	if n := len(g.stored(t)); n != 3 {
		t.Errorf("%d entries stored, want 3", n)
	}
	// Discord's retry of the command is stored once and answered alike.
	status, _, reply := g.post(t, "/discord", discordSigned(t, discordKey, command, now), []byte(command))
	if status != 200 || reply != `{"type":5}` || len(g.stored(t)) != 3 {
		t.Errorf("a retried command: %d %q, %d stored", status, reply, len(g.stored(t)))
	}
}

// A Discord secret that is not a 64-digit hex public key stops the
// config from loading, and the error does not quote it.
func TestDiscordKeyIsCheckedWhenCaddyStarts(t *testing.T) {
	for _, key := range []string{"0123abcd", strings.Repeat("ab", 33), strings.Repeat("zz", 32)} {
		path := filepath.Join(t.TempDir(), "Caddyfile")
		cfg := "http://localhost:8080 {\n\twebhook /x discord {\n\t\tsecret {env.HG_TEST_SECRET}\n\t}\n}\n"
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := caddyCmd(t, []string{"HG_TEST_SECRET=" + key}, "validate", "--config", path, "--adapter", "caddyfile")
		if err == nil || !strings.Contains(out, "not an application public key") || strings.Contains(out, key) {
			t.Fatalf("key %q: %v\n%s", key, err, out)
		}
	}
}
