package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

const slackSecret = "slack_signing_secret_e2e"

func slackSigned(t *testing.T, body string, at time.Time) http.Header {
	t.Helper()
	h, err := sign.Sign("slack", slackSecret, []byte(body), at, "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Slack end to end: url_verification answered with its challenge as
// text/plain only once signed, and not stored; event callbacks, slash
// commands and interactions stored with their ids and types; a retry of a
// callback (new timestamp, same event_id) a duplicate.
func TestSlackThroughCaddy(t *testing.T) {
	g := startGateway(t, `webhook /slack slack {
		secret `+slackSecret+`
	}`)
	now := time.Now()
	const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
	verification := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"` + challenge + `","type":"url_verification"}`

	t.Run("an unsigned url_verification is refused without the challenge", func(t *testing.T) {
		status, _, reply := g.post(t, "/slack", http.Header{"Content-Type": {"application/json"}}, []byte(verification))
		if status != 401 || strings.Contains(reply, challenge) {
			t.Fatalf("%d %s", status, reply)
		}
		forged := slackSigned(t, verification, now)
		forged.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
		status, _, reply = g.post(t, "/slack", forged, []byte(verification))
		if status != 401 || strings.Contains(reply, challenge) {
			t.Fatalf("a forged signature: %d %s", status, reply)
		}
	})
	t.Run("a signed url_verification is answered with its challenge and not stored", func(t *testing.T) {
		status, header, reply := g.post(t, "/slack", slackSigned(t, verification, now), []byte(verification))
		g.checkHandshake(t, status, header, reply, 200, "text/plain", challenge)
		if n := g.outcomes(t, "slack", "handshake"); n != 1 {
			t.Errorf("handshake outcome counted %v times, want 1", n)
		}
	})

	callback := `{"token":"z","team_id":"T1","api_app_id":"A1","event":{"type":"app_mention","user":"U1","text":"hi","ts":"1515449522.000016","channel":"C1","event_ts":"1515449522000016"},"type":"event_callback","event_id":"Ev0LAN670R","event_time":` + strconv.FormatInt(now.Unix(), 10) + `}`
	command := "token=z&team_id=T1&channel_id=C1&user_id=U1&command=%2Fweather&text=94070&trigger_id=13345224609.738474920.8088930838d88f008e0"
	interaction := "payload=" + strings.ReplaceAll(strings.ReplaceAll(`{"type":"block_actions","trigger_id":"12466734323.1395872398","user":{"id":"U1"},"actions":[{"action_id":"ok"}]}`, `"`, "%22"), " ", "+")
	for _, tc := range []struct {
		name, body string
		at         time.Time
		status     int
		id, typ    string
		empty      bool // acknowledged with no body
	}{
		{"an event callback is stored by event_id, typed by event.type", callback, now, 202, "Ev0LAN670R", "app_mention", false},
		{"Slack's retry of it (a new timestamp) is a duplicate", callback, now.Add(time.Second), 200, "Ev0LAN670R", "", false},
		// Slack shows any body it gets back to the user: a command and
		// an interaction are acknowledged with an empty 200.
		{"a slash command is stored by trigger_id, answered an empty 200", command, now, 200, "13345224609.738474920.8088930838d88f008e0", "slash_command", true},
		{"an interaction is stored by trigger_id, typed by its payload", interaction, now, 200, "12466734323.1395872398", "block_actions", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := g.post(t, "/slack", slackSigned(t, tc.body, tc.at), []byte(tc.body))
			if status != tc.status || !tc.empty && !strings.Contains(reply, `"id":"`+tc.id+`"`) || tc.empty && reply != "" {
				t.Fatalf("%d %q", status, reply)
			}
			if tc.typ == "" {
				return
			}
			entries := g.stored(t)
			last := entries[len(entries)-1].Values
			if last["id"] != tc.id || last["type"] != tc.typ || last["body"] != tc.body {
				t.Errorf("stored %v", last)
			}
		})
	}
	if n := len(g.stored(t)); n != 3 {
		t.Errorf("%d entries stored, want 3", n)
	}
	if n := g.outcomes(t, "slack", "handshake"); n != 1 {
		t.Errorf("handshake outcome counted %v times, want 1", n)
	}
}
