package verifier

import (
	"net/http"
	"testing"
	"time"
)

// Twitch publishes no worked example: the vectors were computed from its
// documented algorithm (dev.twitch.tv/docs/eventsub/handling-webhook-events,
// "Verifying the event message") with Python's hmac module, over the
// documentation's channel.follow notification and challenge bodies.
const (
	twitchSecret        = "twitch_subscription_secret"
	twitchID            = "e76c6bd4-55c9-4987-8304-da1588d8988b"
	twitchTS            = "2023-11-14T22:13:20.634234626Z"
	twitchBody          = `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}`
	twitchSig           = "sha256=5ac586f958e577af45a192163db3461624f2f1c09eb92cedd3e8311ad62ab13c"
	twitchChallengeBody = `{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"2","cost":1,"condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`
	twitchChallengeSig  = "sha256=b7b5131f42f4ffbd87359fa86ea0312900340e7156f7bd1ee82c24c7b56db093"
)

// twitchNow is the signed timestamp's second.
var twitchNow = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC).Unix()

func newTestTwitch(t *testing.T, now int64, secrets ...string) *Twitch {
	t.Helper()
	v, err := NewTwitch(Config{Secrets: secrets, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func twitchHeaders(id, ts, sig string) http.Header {
	return headers("Twitch-Eventsub-Message-Id", id, "Twitch-Eventsub-Message-Timestamp", ts,
		"Twitch-Eventsub-Message-Signature", sig, "Twitch-Eventsub-Message-Type", "notification")
}

func TestTwitch(t *testing.T) {
	for _, tc := range []struct {
		name        string
		secrets     []string
		now         int64
		id, ts, sig string
		want        error
	}{
		{"the computed vector verifies", []string{twitchSecret}, twitchNow, twitchID, twitchTS, twitchSig, nil},
		{"the second secret of a rotation verifies", []string{"twitch_old_secret", twitchSecret}, twitchNow, twitchID, twitchTS, twitchSig, nil},
		{"another secret is a mismatch", []string{"twitch_other_secret"}, twitchNow, twitchID, twitchTS, twitchSig, ErrMismatch},
		{"another message id is a mismatch", []string{twitchSecret}, twitchNow, "e76c6bd4-55c9-4987-8304-da1588d8988c", twitchTS, twitchSig, ErrMismatch},
		{"a stale timestamp is rejected", []string{twitchSecret}, twitchNow + 301, twitchID, twitchTS, twitchSig, ErrStale},
		{"a future timestamp is rejected", []string{twitchSecret}, twitchNow - 301, twitchID, twitchTS, twitchSig, ErrStale},
		{"no message id is missing", []string{twitchSecret}, twitchNow, "", twitchTS, twitchSig, ErrMissing},
		{"no timestamp is missing", []string{twitchSecret}, twitchNow, twitchID, "", twitchSig, ErrMissing},
		{"no signature is missing", []string{twitchSecret}, twitchNow, twitchID, twitchTS, "", ErrMissing},
		{"a unix timestamp is malformed", []string{twitchSecret}, twitchNow, twitchID, "1700000000", twitchSig, ErrMalformed},
		{"a signature without sha256= is malformed", []string{twitchSecret}, twitchNow, twitchID, twitchTS, twitchSig[7:], ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestTwitch(t, tc.now, tc.secrets...)
			checkErr(t, verifyErr(v.Verify(twitchHeaders(tc.id, tc.ts, tc.sig), []byte(twitchBody))), tc.want)
		})
	}
}

func TestTwitchRejectsOneByteChanges(t *testing.T) {
	v := newTestTwitch(t, twitchNow, twitchSecret)
	checkOneByteChanges(t, signedParts{body: twitchBody, ts: twitchTS, sig: twitchSig, verify: func(body, ts, sig string) error {
		return verifyErr(v.Verify(twitchHeaders(twitchID, ts, sig), []byte(body)))
	}})
	checkOneByteChanges(t, signedParts{body: twitchBody, ts: twitchID, sig: twitchSig, verify: func(body, id, sig string) error {
		return verifyErr(v.Verify(twitchHeaders(id, twitchTS, sig), []byte(body)))
	}})
}

// The signed message id names the event; the type is the signed body's
// subscription.type, not the unsigned message type header; a revocation
// is stored as one.
func TestTwitchNamesMessagesByWhatIsSigned(t *testing.T) {
	v := newTestTwitch(t, twitchNow, twitchSecret)
	s, err := v.Verify(twitchHeaders(twitchID, twitchTS, twitchSig), []byte(twitchBody))
	if err != nil || s.ID != twitchID {
		t.Fatalf("Verify = %+v, %v", s, err)
	}
	revocation := `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"authorization_revoked","type":"channel.follow","cost":1,"version":"2","condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`
	for _, tc := range []struct {
		name, body, typ string
		refused         bool
	}{
		{"a notification is typed by subscription.type", twitchBody, "channel.follow", false},
		{"a revocation is typed revocation", revocation, TwitchRevocation, false},
		{"an event of null is a revocation", `{"subscription":{"type":"stream.online"},"event":null}`, TwitchRevocation, false},
		{"a repeated member is refused", `{"subscription":{"type":"a","type":"b"},"event":{}}`, "", true},
		{"a subscription that is not an object is refused", `{"subscription":"x","event":{}}`, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := v.ReadFields([]byte(tc.body), 64)
			if tc.refused != (err != nil) || f.Type != tc.typ {
				t.Fatalf("ReadFields = %+v, %v", f, err)
			}
		})
	}
}

func TestTwitchAnswersTheCallbackVerification(t *testing.T) {
	v := newTestTwitch(t, twitchNow, twitchSecret)
	h := twitchHeaders(twitchID, twitchTS, twitchChallengeSig)
	s, err := v.Verify(h, []byte(twitchChallengeBody))
	if err != nil {
		t.Fatal(err)
	}
	reply, ok := v.SignedHandshake(&http.Request{Header: h}, []byte(twitchChallengeBody), s)
	if !ok || reply.ContentType != "text/plain" || string(reply.Body) != "pogchamp-kappa-360noscope-vohiyo" || reply.Status != 0 {
		t.Fatalf("SignedHandshake = %+v, %v", reply, ok)
	}
	if reply, ok := v.SignedHandshake(&http.Request{Header: h}, []byte(twitchBody), s); ok {
		t.Errorf("a notification was answered as a challenge: %+v", reply)
	}
	if _, ok := v.UnsignedHandshake(&http.Request{Header: h}, []byte(twitchChallengeBody)); ok {
		t.Error("a challenge was answered before its signature was checked")
	}
}
