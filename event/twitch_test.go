package event

import (
	"testing"
	"time"
)

func TestNormalizeTwitch(t *testing.T) {
	// The EventSub reference's channel.follow (v2) and stream.online
	// notifications and the handling guide's revocation.
	follow := `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}`
	online := `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"stream.online","version":"1","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337"},"created_at":"2019-11-16T10:11:12.123Z"},"event":{"id":"9001","broadcaster_user_id":"1337","broadcaster_user_login":"cool_user","broadcaster_user_name":"Cool_User","type":"live","started_at":"2020-10-11T10:11:12.123Z"}}`
	revocation := `{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"authorization_revoked","type":"channel.follow","cost":1,"version":"1","condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}`
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "channel.follow: the follower follows the channel, at followed_at; data is the event",
			stored: storedEvent("twitch", "channel.follow", follow),
			want: Envelope{Type: "channel.follow", OccurredAt: time.Date(2020, 7, 15, 18, 16, 11, 171067130, time.UTC),
				Actor: &Actor{ID: "1234"}, Subject: &Subject{ID: "1337", Type: "channel"}, Action: &Action{Type: "follow"},
				Data: []byte(`{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}`)},
		},
		{
			name:   "stream.online: the broadcaster acts, at started_at",
			stored: storedEvent("twitch", "stream.online", online),
			want: Envelope{Type: "stream.online", OccurredAt: time.Date(2020, 10, 11, 10, 11, 12, 123000000, time.UTC),
				Actor: &Actor{ID: "1337"}, Subject: &Subject{ID: "1337", Type: "channel"}, Action: &Action{Type: "online"},
				Data: []byte(`{"id":"9001","broadcaster_user_id":"1337","broadcaster_user_login":"cool_user","broadcaster_user_name":"Cool_User","type":"live","started_at":"2020-10-11T10:11:12.123Z"}`)},
		},
		{
			name:   "a revocation: the subscription was revoked, its status the reason; data is the subscription",
			stored: storedEvent("twitch", "revocation", revocation),
			want: Envelope{Type: "revocation",
				Subject: &Subject{ID: "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", Type: "subscription"},
				Action:  &Action{Type: "revoked", Reason: "authorization_revoked"},
				Data:    []byte(revocation[len(`{"subscription":`) : len(revocation)-1])},
		},
	})
}
