package event

import (
	"encoding/json"
	"testing"
)

func TestNormalizeIntercom(t *testing.T) {
	replied := readTestdata(t, "intercom/conversation_admin_replied.json")
	var n struct {
		Data struct{ Item json.RawMessage }
	}
	if err := json.Unmarshal(replied, &n); err != nil {
		t.Fatal(err)
	}
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "conversation.admin.replied: the newest part's author is the actor, data.item the subject and data",
			stored: storedEvent("intercom", "conversation.admin.replied", string(replied)),
			want: Envelope{
				Type:       "conversation.admin.replied",
				OccurredAt: unix(1571080403),
				Actor:      &Actor{ID: "814860", Email: "mark@example.com"},
				Subject:    &Subject{ID: "147", Type: "conversation"},
				Action:     &Action{Type: "replied"},
				Data:       n.Data.Item,
			},
		},
		{
			name: "conversation.user.created: without parts, the source's author is the actor",
			stored: storedEvent("intercom", "conversation.user.created", `{"type":"notification_event","topic":"conversation.user.created",
				"created_at":1571080400,"data":{"type":"notification_event_data","item":{"type":"conversation","id":"148",
				"source":{"type":"conversation","author":{"type":"user","id":"5d9f","email":"joe@example.com"}},
				"conversation_parts":{"type":"conversation_part.list","conversation_parts":[],"total_count":0}}}}`),
			want: Envelope{
				Type:       "conversation.user.created",
				OccurredAt: unix(1571080400),
				Actor:      &Actor{ID: "5d9f", Email: "joe@example.com"},
				Subject:    &Subject{ID: "148", Type: "conversation"},
				Action:     &Action{Type: "created"},
				Data: json.RawMessage(`{"type":"conversation","id":"148","source":{"type":"conversation","author":{"type":"user","id":"5d9f","email":"joe@example.com"}},
					"conversation_parts":{"type":"conversation_part.list","conversation_parts":[],"total_count":0}}`),
			},
		},
		{
			name: "API 1.x conversation: the user is the actor when no author is named",
			stored: storedEvent("intercom", "conversation.admin.closed", `{"created_at":1400857494,"data":{"item":{"type":"conversation","id":"149",
				"user":{"type":"user","id":"536e564f316c83104c000020"}}}}`),
			want: Envelope{
				Type:       "conversation.admin.closed",
				OccurredAt: unix(1400857494),
				Actor:      &Actor{ID: "536e564f316c83104c000020"},
				Subject:    &Subject{ID: "149", Type: "conversation"},
				Action:     &Action{Type: "closed"},
				Data:       json.RawMessage(`{"type":"conversation","id":"149","user":{"type":"user","id":"536e564f316c83104c000020"}}`),
			},
		},
		{
			name: "contact.user.created: the contact is both subject and actor",
			stored: storedEvent("intercom", "contact.user.created", `{"created_at":1571080403,"data":{"item":{"type":"contact","id":"6329bd9ffe4e2e91dac76188",
				"role":"user","email":"jane@example.com"}}}`),
			want: Envelope{
				Type:       "contact.user.created",
				OccurredAt: unix(1571080403),
				Actor:      &Actor{ID: "6329bd9ffe4e2e91dac76188", Email: "jane@example.com"},
				Subject:    &Subject{ID: "6329bd9ffe4e2e91dac76188", Type: "contact"},
				Action:     &Action{Type: "created"},
				Data:       json.RawMessage(`{"type":"contact","id":"6329bd9ffe4e2e91dac76188","role":"user","email":"jane@example.com"}`),
			},
		},
		{
			name:   "ping: no actor, a malformed created_at falls back to received_at",
			stored: storedEvent("intercom", "ping", `{"created_at":"now","data":{"item":{"type":"ping","message":"something"}}}`),
			want:   Envelope{Type: "ping", Data: json.RawMessage(`{"type":"ping","message":"something"}`)},
		},
		{
			name:   "without data.item, data is the whole body",
			stored: storedEvent("intercom", "company.created", `{"created_at":1571080403}`),
			want:   Envelope{Type: "company.created", OccurredAt: unix(1571080403), Action: &Action{Type: "created"}},
		},
	})
}
