package event

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNormalizeStandard(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name: "type, timestamp and data come from the payload",
			stored: storedEvent("standard", "invoice.paid",
				`{"type":"invoice.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"in_1","amount":2900}}`),
			want: Envelope{
				Type:       "invoice.paid",
				OccurredAt: time.Date(2022, 11, 3, 20, 26, 10, 344522000, time.UTC),
				Action:     &Action{Type: "paid"},
				Data:       json.RawMessage(`{"id":"in_1","amount":2900}`),
			},
		},
		{
			name:   "a timestamp with an offset is converted to UTC",
			stored: storedEvent("standard", "user.created", `{"type":"user.created","timestamp":"2022-11-03T22:26:10+02:00","data":{}}`),
			want: Envelope{
				Type:       "user.created",
				OccurredAt: time.Date(2022, 11, 3, 20, 26, 10, 0, time.UTC),
				Action:     &Action{Type: "created"},
				Data:       json.RawMessage(`{}`),
			},
		},
		{
			name:   "a timestamp that is not RFC 3339 falls back to received_at",
			stored: storedEvent("standard", "user.created", `{"type":"user.created","timestamp":1667507170,"data":{"id":"u"}}`),
			want:   Envelope{Type: "user.created", Action: &Action{Type: "created"}, Data: json.RawMessage(`{"id":"u"}`)},
		},
		{
			name:   "a type without a dot names no action",
			stored: storedEvent("standard", "ping", `{"type":"ping","timestamp":"2022-11-03T20:26:10Z","data":[]}`),
			want:   Envelope{Type: "ping", OccurredAt: time.Date(2022, 11, 3, 20, 26, 10, 0, time.UTC), Data: json.RawMessage(`[]`)},
		},
		{
			name:   "without data, data is the whole body and the stored type is kept",
			stored: storedEvent("standard", "test.event", `{"test": 2432232314}`),
			want:   Envelope{Type: "test.event", Action: &Action{Type: "event"}},
		},
	})
}
