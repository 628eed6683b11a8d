package event

import (
	"testing"
	"time"
)

func TestNormalizeDiscord(t *testing.T) {
	// The interactions guide's application command and the webhook
	// events reference's APPLICATION_AUTHORIZED.
	command := `{"type":2,"token":"A_UNIQUE_TOKEN","member":{"user":{"id":"53908232506183680","username":"Mason","avatar":"a_d5efa99b3eeaa7dd43acca82f5692432","discriminator":"1337","public_flags":131141},"roles":["539082325061836999"],"premium_since":null,"permissions":"2147483647","pending":false,"nick":null,"mute":false,"joined_at":"2017-03-13T19:19:14.040000+00:00","is_pending":false,"deaf":false},"id":"786008729715212338","guild_id":"290926798626357999","app_permissions":"442368","guild_locale":"en-US","locale":"en-US","data":{"options":[{"type":3,"name":"cardname","value":"The Gitrog Monster"}],"type":1,"name":"cardsearch","id":"771825006014889984"},"channel_id":"645027906669510667"}`
	dm := `{"type":3,"id":"1","user":{"id":"80351110224678912"},"channel_id":"2","message":{"id":"1100000000000000000"},"data":{"custom_id":"click_one","component_type":2}}`
	authorized := `{"version":1,"application_id":"1234560123453231555","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"integration_type":1,"scopes":["applications.commands"],"user":{"id":"1111111111111111111","username":"myshiny"}}}}`
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "an application command: the member runs the command in the channel, at its snowflake's time; data is its data",
			stored: storedEvent("discord", "application_command", command),
			want: Envelope{Type: "application_command", OccurredAt: time.UnixMilli(786008729715212338>>22 + 1420070400000).UTC(),
				Actor: &Actor{ID: "53908232506183680"}, Subject: &Subject{ID: "645027906669510667", Type: "channel"},
				Action: &Action{Type: "cardsearch"},
				Data:   []byte(`{"options":[{"type":3,"name":"cardname","value":"The Gitrog Monster"}],"type":1,"name":"cardsearch","id":"771825006014889984"}`)},
		},
		{
			name:   "a component in a DM: the user clicks on the message; the action is its custom_id",
			stored: storedEvent("discord", "message_component", dm),
			want: Envelope{Type: "message_component", OccurredAt: time.UnixMilli(1420070400000).UTC(),
				Actor: &Actor{ID: "80351110224678912"}, Subject: &Subject{ID: "1100000000000000000", Type: "message"},
				Action: &Action{Type: "click_one"}, Data: []byte(`{"custom_id":"click_one","component_type":2}`)},
		},
		{
			name:   "APPLICATION_AUTHORIZED: the authorizing user, at the event's zone-less UTC timestamp; data is event.data",
			stored: storedEvent("discord", "APPLICATION_AUTHORIZED", authorized),
			want: Envelope{Type: "APPLICATION_AUTHORIZED", OccurredAt: time.Date(2024, 10, 18, 14, 42, 53, 64834000, time.UTC),
				Actor: &Actor{ID: "1111111111111111111"},
				Data:  []byte(`{"integration_type":1,"scopes":["applications.commands"],"user":{"id":"1111111111111111111","username":"myshiny"}}`)},
		},
	})
}
