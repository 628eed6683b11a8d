package event

import (
	"testing"
	"time"
)

func TestNormalizeZendesk(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name: "user.active_changed (Zendesk's event schema example): the user is the subject, time occurred_at",
			stored: storedEvent("zendesk", "zen:event-type:user.active_changed", `{
				"type": "zen:event-type:user.active_changed",
				"account_id": 12514403,
				"id": "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
				"time": "2099-07-04T05:33:18Z",
				"zendesk_event_version": "2022-06-20",
				"subject": "zen:user:6596848315901",
				"detail": {"created_at": "2099-07-04T05:27:58Z", "email": "user@example.com", "external_id": "",
					"default_group_id": "0", "id": "6596848315901", "organization_id": "0", "role": "end-user",
					"updated_at": "2099-07-04T05:33:18Z"},
				"event": {"current": false, "previous": true}}`),
			want: Envelope{
				Type:       "zen:event-type:user.active_changed",
				OccurredAt: time.Date(2099, 7, 4, 5, 33, 18, 0, time.UTC),
				Subject:    &Subject{ID: "6596848315901", Type: "user"},
				Action:     &Action{Type: "active_changed"},
			},
		},
		{
			name: "ticket.status_changed: detail.actor_id is the actor",
			stored: storedEvent("zendesk", "zen:event-type:ticket.status_changed", `{"type":"zen:event-type:ticket.status_changed",
				"account_id":88888888,"id":"01HN-STATUS","time":"2024-04-17T17:20:00Z","zendesk_event_version":"2022-11-06",
				"subject":"zen:ticket:35436","detail":{"actor_id":"8447388090494","id":"35436","requester_id":"8447388090500",
				"status":"SOLVED","via":{"channel":"web_service"}},"event":{"current":"SOLVED","previous":"OPEN"}}`),
			want: Envelope{
				Type:       "zen:event-type:ticket.status_changed",
				OccurredAt: time.Date(2024, 4, 17, 17, 20, 0, 0, time.UTC),
				Actor:      &Actor{ID: "8447388090494"},
				Subject:    &Subject{ID: "35436", Type: "ticket"},
				Action:     &Action{Type: "status_changed"},
			},
		},
		{
			name: "ticket.created without actor_id: the requester is the actor",
			stored: storedEvent("zendesk", "zen:event-type:ticket.created", `{"type":"zen:event-type:ticket.created","account_id":88888888,
				"id":"01HNXXXX-CTEXAMPLE","time":"2024-04-17T17:18:10Z","zendesk_event_version":"2022-11-06","subject":"zen:ticket:35436",
				"detail":{"id":"35436","status":"Open","requester_id":20978392,"via":{"channel":"web"},"created_at":"2024-04-17T17:18:10Z"},
				"event":{"current":{"status":"Open"}}}`),
			want: Envelope{
				Type:       "zen:event-type:ticket.created",
				OccurredAt: time.Date(2024, 4, 17, 17, 18, 10, 0, time.UTC),
				Actor:      &Actor{ID: "20978392"},
				Subject:    &Subject{ID: "35436", Type: "ticket"},
				Action:     &Action{Type: "created"},
			},
		},
		{
			name: "messaging_ticket.message_added: event.actor.id is the actor",
			stored: storedEvent("zendesk", "zen:event-type:messaging_ticket.message_added", `{"account_id":21825834,"detail":{"id":"141"},
				"event":{"actor":{"id":"zd:answerBot","name":"Z3n Tests","type":"system"},"conversation_id":"67ab5f53a96f98663935c3f2",
				"message":{"body":"Hi there. How can I help you today?","id":"67ab5f55155becd183e284cb"}},
				"id":"01JQMQH83YNAKWSWJ8B1QH2NSC","subject":"zen:ticket:141","time":"2025-02-11T14:32:05.254571515Z",
				"type":"zen:event-type:messaging_ticket.message_added","zendesk_event_version":"2022-11-06"}`),
			want: Envelope{
				Type:       "zen:event-type:messaging_ticket.message_added",
				OccurredAt: time.Date(2025, 2, 11, 14, 32, 5, 254571515, time.UTC),
				Actor:      &Actor{ID: "zd:answerBot"},
				Subject:    &Subject{ID: "141", Type: "ticket"},
				Action:     &Action{Type: "message_added"},
			},
		},
		{
			name:   "a trigger webhook's own body has none of the fields: everything falls back",
			stored: storedEvent("zendesk", "", `{"ticket_id":"{{ticket.id}}","status":"{{ticket.status}}","time":"{{ticket.updated_at}}"}`),
			want:   Envelope{},
		},
	})
}
