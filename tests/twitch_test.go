package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

func twitchSigned(t *testing.T, secret, body, id string, at time.Time) http.Header {
	t.Helper()
	h, err := sign.Sign("twitch", secret, []byte(body), at, id, sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Twitch end to end: the callback verification answered with the raw
// challenge as text/plain once signed, not stored; a notification stored
// under its signed message id and typed by subscription.type, a resend
// (same id) a duplicate whatever its timestamp; a revocation stored as
// type revocation.
func TestTwitchThroughCaddy(t *testing.T) {
	const secret = "twitch_e2e_subscription_secret"
	g := startGateway(t, `webhook /twitch twitch {
		secret `+secret+`
	}`)
	now := time.Now()
	const challenge = "pogchamp-kappa-360noscope-vohiyo"
	verification := `{"challenge":"` + challenge + `","subscription":{"id":"f1c2a387","status":"webhook_callback_verification_pending","type":"channel.follow","version":"2","cost":1,"condition":{"broadcaster_user_id":"12826"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`

	t.Run("an unsigned or forged verification is a 401 without the challenge", func(t *testing.T) {
		forged := twitchSigned(t, "not_the_subscription_secret", verification, "m-1", now)
		unsigned := forged.Clone()
		unsigned.Del("Twitch-Eventsub-Message-Signature")
		for _, h := range []http.Header{unsigned, forged} {
			status, _, reply := g.post(t, "/twitch", h, []byte(verification))
			if status != 401 || strings.Contains(reply, challenge) {
				t.Fatalf("%d %s", status, reply)
			}
		}
	})
	t.Run("a signed verification is answered with the raw challenge and not stored", func(t *testing.T) {
		status, header, reply := g.post(t, "/twitch", twitchSigned(t, secret, verification, "m-2", now), []byte(verification))
		g.checkHandshake(t, status, header, reply, 200, "text/plain", challenge)
		if n := g.outcomes(t, "twitch", "handshake"); n != 1 {
			t.Errorf("handshake outcome counted %v times, want 1", n)
		}
	})

	follow := `{"subscription":{"id":"f1c2a387","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","broadcaster_user_id":"1337","followed_at":"2020-07-15T18:16:11.17106713Z"}}`
	revocation := `{"subscription":{"id":"f1c2a387","status":"authorization_revoked","type":"channel.follow","cost":1,"version":"2","condition":{"broadcaster_user_id":"1337"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`
	for _, tc := range []struct {
		name, body, id string
		at             time.Time
		status         int
		typ            string
	}{
		{"a notification is stored under its message id", follow, "befa7b53-d79d-478f-86b9-120f112b044e", now, 202, "channel.follow"},
		{"Twitch's resend of it is a duplicate", follow, "befa7b53-d79d-478f-86b9-120f112b044e", now.Add(time.Second), 200, ""},
		{"a revocation is stored as one", revocation, "84c1e79a-2a4b-4c13-ba0b-4312293e9308", now, 202, "revocation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := g.post(t, "/twitch", twitchSigned(t, secret, tc.body, tc.id, tc.at), []byte(tc.body))
			if status != tc.status || !strings.Contains(reply, `"id":"`+tc.id+`"`) {
				t.Fatalf("%d %s", status, reply)
			}
			if tc.typ == "" {
				return
			}
			entries := g.stored(t)
			if last := entries[len(entries)-1].Values; last["id"] != tc.id || last["type"] != tc.typ || last["body"] != tc.body {
				t.Errorf("stored %v", last)
			}
		})
	}
	if n := len(g.stored(t)); n != 2 {
		t.Errorf("%d entries stored, want 2", n)
	}
}
