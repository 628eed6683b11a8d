package event

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNormalizeTypeform(t *testing.T) {
	body := readTestdata(t, "typeform/form_response.json")
	var ev struct {
		FormResponse json.RawMessage `json:"form_response"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "form_response: the response token is the subject, the email answer the actor, submitted_at occurred_at",
			stored: storedEvent("typeform", "form_response", string(body)),
			want: Envelope{
				Type:       "form_response",
				OccurredAt: time.Date(2018, 1, 18, 18, 17, 2, 0, time.UTC),
				Actor:      &Actor{Email: "laura@example.com"},
				Subject:    &Subject{ID: "a3a12ec67a1365927098a606107fac15", Type: "form_response"},
				Data:       ev.FormResponse,
			},
		},
		{
			name: "an anonymous response has no actor",
			stored: storedEvent("typeform", "form_response", `{"event_id":"01E1FT3ZBH","event_type":"form_response",
				"form_response":{"form_id":"TZLwUH","token":"01E1FT3ZBHA2WA9AZSA2KPJ6RJ","submitted_at":"2020-02-19T22:46:57Z",
				"answers":[{"type":"text","text":"Lorem ipsum dolor","field":{"id":"ReGqDc2VqMX9","type":"short_text"}}]}}`),
			want: Envelope{
				Type:       "form_response",
				OccurredAt: time.Date(2020, 2, 19, 22, 46, 57, 0, time.UTC),
				Subject:    &Subject{ID: "01E1FT3ZBHA2WA9AZSA2KPJ6RJ", Type: "form_response"},
				Data: json.RawMessage(`{"form_id":"TZLwUH","token":"01E1FT3ZBHA2WA9AZSA2KPJ6RJ","submitted_at":"2020-02-19T22:46:57Z",
					"answers":[{"type":"text","text":"Lorem ipsum dolor","field":{"id":"ReGqDc2VqMX9","type":"short_text"}}]}`),
			},
		},
		{
			name:   "a partial response without submitted_at falls back to received_at",
			stored: storedEvent("typeform", "form_response_partial", `{"event_type":"form_response_partial","form_response":{"token":"p1","landed_at":"2024-05-01T10:00:00Z"}}`),
			want: Envelope{
				Type:    "form_response_partial",
				Subject: &Subject{ID: "p1", Type: "form_response"},
				Data:    json.RawMessage(`{"token":"p1","landed_at":"2024-05-01T10:00:00Z"}`),
			},
		},
		{
			name:   "without form_response, data is the whole body",
			stored: storedEvent("typeform", "form_response", `{"event_id":"x","event_type":"form_response"}`),
			want:   Envelope{Type: "form_response"},
		},
	})
}
