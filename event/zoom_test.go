package event

import (
	"testing"
	"time"
)

func TestNormalizeZoom(t *testing.T) {
	// Payloads after Zoom's event reference (meeting.started,
	// meeting.participant_joined, meeting.updated).
	started := `{"event":"meeting.started","event_ts":1626230691572,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":2,"start_time":"2021-07-13T21:44:51Z","timezone":"America/Los_Angeles","duration":60}}}`
	joined := `{"event":"meeting.participant_joined","event_ts":1626230691572,"payload":{"account_id":"AAAAAABBBB","object":{"id":85714213112,"uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","participant":{"user_id":"16778240","user_name":"Jill Chill","id":"iFxeBPYun6SAiWUzBcEkX","join_time":"2021-07-13T21:44:51Z","email":"jchill@example.com"}}}}`
	updated := `{"event":"meeting.updated","event_ts":1626230691572,"payload":{"account_id":"AAAAAABBBB","operator":"admin@example.com","operator_id":"z8yCxjabcdEFGHfp8uQ","object":{"id":1234567890,"topic":"My Meeting"},"old_object":{"id":1234567890,"topic":"My Old Meeting"}}}`
	at := time.UnixMilli(1626230691572).UTC()
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "meeting.started: the meeting is the subject, its host the actor, at event_ts; data is the payload",
			stored: storedEvent("zoom", "meeting.started", started),
			want: Envelope{Type: "meeting.started", OccurredAt: at,
				Actor: &Actor{ID: "x1yCzABCDEfg23HiJKl4mN"}, Subject: &Subject{ID: "1234567890", Type: "meeting"}, Action: &Action{Type: "started"},
				Data: []byte(started[len(`{"event":"meeting.started","event_ts":1626230691572,"payload":`) : len(started)-1])},
		},
		{
			name:   "meeting.participant_joined: the participant is the actor, a numeric meeting id its text",
			stored: storedEvent("zoom", "meeting.participant_joined", joined),
			want: Envelope{Type: "meeting.participant_joined", OccurredAt: at,
				Actor: &Actor{ID: "16778240", Email: "jchill@example.com"}, Subject: &Subject{ID: "85714213112", Type: "meeting"},
				Action: &Action{Type: "participant_joined"},
				Data:   []byte(joined[len(`{"event":"meeting.participant_joined","event_ts":1626230691572,"payload":`) : len(joined)-1])},
		},
		{
			name:   "meeting.updated: the operator acted",
			stored: storedEvent("zoom", "meeting.updated", updated),
			want: Envelope{Type: "meeting.updated", OccurredAt: at,
				Actor: &Actor{ID: "z8yCxjabcdEFGHfp8uQ", Email: "admin@example.com"}, Subject: &Subject{ID: "1234567890", Type: "meeting"},
				Action: &Action{Type: "updated"},
				Data:   []byte(updated[len(`{"event":"meeting.updated","event_ts":1626230691572,"payload":`) : len(updated)-1])},
		},
	})
}
