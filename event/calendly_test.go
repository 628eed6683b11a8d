package event

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNormalizeCalendly(t *testing.T) {
	created := readTestdata(t, "calendly/invitee_created.json")
	var ev struct{ Payload json.RawMessage }
	if err := json.Unmarshal(created, &ev); err != nil {
		t.Fatal(err)
	}
	const invitee = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "invitee.created: the invitee is the subject, payload.email the actor, data the payload",
			stored: storedEvent("calendly", "invitee.created", string(created)),
			want: Envelope{
				Type:       "invitee.created",
				OccurredAt: time.Date(2020, 11, 23, 17, 51, 19, 0, time.UTC),
				Actor:      &Actor{Email: "test@example.com"},
				Subject:    &Subject{ID: invitee, Type: "invitee"},
				Action:     &Action{Type: "created"},
				Data:       ev.Payload,
			},
		},
		{
			name: "invitee.canceled by the invitee: the cancellation reason is the action reason",
			stored: storedEvent("calendly", "invitee.canceled", `{"created_at":"2020-11-24T09:00:00.000000Z","event":"invitee.canceled",
				"payload":{"uri":"`+invitee+`","email":"test@example.com","status":"canceled",
				"cancellation":{"canceled_by":"John Doe","reason":"Something came up","canceler_type":"invitee"}}}`),
			want: Envelope{
				Type:       "invitee.canceled",
				OccurredAt: time.Date(2020, 11, 24, 9, 0, 0, 0, time.UTC),
				Actor:      &Actor{Email: "test@example.com"},
				Subject:    &Subject{ID: invitee, Type: "invitee"},
				Action:     &Action{Type: "canceled", Reason: "Something came up"},
				Data: json.RawMessage(`{"uri":"` + invitee + `","email":"test@example.com","status":"canceled",
					"cancellation":{"canceled_by":"John Doe","reason":"Something came up","canceler_type":"invitee"}}`),
			},
		},
		{
			name: "invitee.canceled by the host: the invitee is not the actor",
			stored: storedEvent("calendly", "invitee.canceled", `{"created_at":"2020-11-24T09:00:00Z","event":"invitee.canceled",
				"payload":{"uri":"`+invitee+`","email":"test@example.com","cancellation":{"canceled_by":"Host Name","reason":"Schedule conflict","canceler_type":"host"}}}`),
			want: Envelope{
				Type:       "invitee.canceled",
				OccurredAt: time.Date(2020, 11, 24, 9, 0, 0, 0, time.UTC),
				Subject:    &Subject{ID: invitee, Type: "invitee"},
				Action:     &Action{Type: "canceled", Reason: "Schedule conflict"},
				Data:       json.RawMessage(`{"uri":"` + invitee + `","email":"test@example.com","cancellation":{"canceled_by":"Host Name","reason":"Schedule conflict","canceler_type":"host"}}`),
			},
		},
		{
			name: "routing_form_submission.created: the submission is the subject, without an actor",
			stored: storedEvent("calendly", "routing_form_submission.created", `{"created_at":"2022-03-01T10:00:00.000000Z",
				"payload":{"uri":"https://api.calendly.com/routing_form_submissions/AAAA","routing_form":"https://api.calendly.com/routing_forms/BBBB"}}`),
			want: Envelope{
				Type:       "routing_form_submission.created",
				OccurredAt: time.Date(2022, 3, 1, 10, 0, 0, 0, time.UTC),
				Subject:    &Subject{ID: "https://api.calendly.com/routing_form_submissions/AAAA", Type: "routing_form_submission"},
				Action:     &Action{Type: "created"},
				Data:       json.RawMessage(`{"uri":"https://api.calendly.com/routing_form_submissions/AAAA","routing_form":"https://api.calendly.com/routing_forms/BBBB"}`),
			},
		},
		{
			name:   "a malformed created_at falls back to received_at; without payload, data is the whole body",
			stored: storedEvent("calendly", "invitee.created", `{"created_at":"2020-11-23","event":"invitee.created"}`),
			want:   Envelope{Type: "invitee.created", Action: &Action{Type: "created"}},
		},
	})
}
