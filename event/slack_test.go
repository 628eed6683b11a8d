package event

import (
	"net/url"
	"testing"
	"time"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

func TestNormalizeSlack(t *testing.T) {
	// Payloads from docs.slack.dev: the Events API's reaction_added and
	// message examples, the slash command example of "Verifying requests
	// from Slack", and a block_actions payload.
	reaction := `{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"reaction_added","user":"U123ABC456","item":{"type":"message","channel":"C123ABC456","ts":"1464196127.000002"},"reaction":"slightly_smiling_face","item_user":"U222222222","event_ts":"1465244570.336841"},"type":"event_callback","authorizations":[{"enterprise_id":"E123ABC456","team_id":"T123ABC456","user_id":"U123ABC456","is_bot":false}],"event_id":"Ev123ABC456","event_time":1465244570}`
	message := `{"type":"event_callback","event_id":"Ev2","event_time":1355517523,"event":{"type":"message","subtype":"message_changed","channel":"C123ABC456","user":"U123ABC456","text":"Hello world","ts":"1355517523.000005"}}`
	teamJoin := `{"type":"event_callback","event_id":"Ev3","event":{"type":"team_join","user":{"id":"W012A3CDE","name":"spengler"},"event_ts":"1360782804.083113"}}`
	command := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	blockActions := `{"type":"block_actions","user":{"id":"U0CA5","username":"Amy McGee"},"trigger_id":"12466734323.1395872398","channel":{"id":"C0CA5","name":"general"},"message":{"ts":"1548261231.000200"},"actions":[{"action_id":"approve_request","block_id":"b1","value":"yes","type":"button","action_ts":"1548426417.840180"}]}`
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "reaction_added: the reacting user acts on the reacted item, at event_time; data is the inner event",
			stored: storedEvent("slack", "reaction_added", reaction),
			want: Envelope{
				Type: "reaction_added", OccurredAt: time.Unix(1465244570, 0).UTC(),
				Actor:   &Actor{ID: "U123ABC456"},
				Subject: &Subject{ID: "C123ABC456/1464196127.000002", Type: "message"},
				Data:    []byte(`{"type":"reaction_added","user":"U123ABC456","item":{"type":"message","channel":"C123ABC456","ts":"1464196127.000002"},"reaction":"slightly_smiling_face","item_user":"U222222222","event_ts":"1465244570.336841"}`),
			},
		},
		{
			name:   "a changed message: subject channel/ts, the subtype is the action",
			stored: storedEvent("slack", "message", message),
			want: Envelope{
				Type: "message", OccurredAt: time.Unix(1355517523, 0).UTC(),
				Actor: &Actor{ID: "U123ABC456"}, Subject: &Subject{ID: "C123ABC456/1355517523.000005", Type: "message"},
				Action: &Action{Type: "message_changed"},
				Data:   []byte(`{"type":"message","subtype":"message_changed","channel":"C123ABC456","user":"U123ABC456","text":"Hello world","ts":"1355517523.000005"}`),
			},
		},
		{
			name:   "team_join: a user object gives its id; without event_time, event_ts",
			stored: storedEvent("slack", "team_join", teamJoin),
			want: Envelope{
				Type: "team_join", OccurredAt: time.Unix(1360782804, 83113000).UTC(),
				Actor: &Actor{ID: "W012A3CDE"},
				Data:  []byte(`{"type":"team_join","user":{"id":"W012A3CDE","name":"spengler"},"event_ts":"1360782804.083113"}`),
			},
		},
		{
			name:   "a slash command: user_id in channel_id runs the command; data is its fields",
			stored: storedEvent("slack", "slash_command", command),
			want: Envelope{
				Type:  "slash_command",
				Actor: &Actor{ID: "U2CERLKJA"}, Subject: &Subject{ID: "G8PSS9T3V", Type: "channel"},
				Action: &Action{Type: "/webhook-collect"},
				Data: []byte(`{"channel_id":"G8PSS9T3V","channel_name":"foobar","command":"/webhook-collect","team_domain":"testteamnow",` +
					`"team_id":"T1DC2JH3J","text":"","token":"xyzz0WbapA4vBCDEFasx0q6G","trigger_id":"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",` +
					`"user_id":"U2CERLKJA","user_name":"roadrunner"}`),
			},
		},
		{
			name:   "block_actions: the clicking user, the message, the action_id, at action_ts; data is the payload",
			stored: storedEvent("slack", "block_actions", "payload="+urlEscape(blockActions)),
			want: Envelope{
				Type: "block_actions", OccurredAt: time.Unix(1548426417, 840180000).UTC(),
				Actor: &Actor{ID: "U0CA5"}, Subject: &Subject{ID: "C0CA5/1548261231.000200", Type: "message"},
				Action: &Action{Type: "approve_request"},
				Data:   []byte(blockActions),
			},
		},
		{
			name:   "view_submission: the view is the subject, its callback_id the action",
			stored: storedEvent("slack", "view_submission", "payload="+urlEscape(`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"VNHU13V36","callback_id":"modal-1"}}`)),
			want: Envelope{
				Type:  "view_submission",
				Actor: &Actor{ID: "U1"}, Subject: &Subject{ID: "VNHU13V36", Type: "view"}, Action: &Action{Type: "modal-1"},
				Data: []byte(`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"VNHU13V36","callback_id":"modal-1"}}`),
			},
		},
	})
}
