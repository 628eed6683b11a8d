package event

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNormalizePaddle(t *testing.T) {
	body := readTestdata(t, "paddle/transaction_completed.json")
	var ev struct{ Data json.RawMessage }
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "transaction.completed: data is the transaction, its customer_id the actor, occurred_at the event's",
			stored: storedEvent("paddle", "transaction.completed", string(body)),
			want: Envelope{
				Type:       "transaction.completed",
				OccurredAt: time.Date(2023, 8, 21, 11, 57, 47, 390028000, time.UTC),
				Actor:      &Actor{ID: "ctm_01h8441jn5pcwrfhwh78jqt8hk"},
				Subject:    &Subject{ID: "txn_01h8bz1h5c5hka9t5x5gx0ttr0", Type: "transaction"},
				Action:     &Action{Type: "completed"},
				Data:       ev.Data,
			},
		},
		{
			name: "customer.created: the customer is both subject and actor",
			stored: storedEvent("paddle", "customer.created", `{"event_id":"evt_01h9","event_type":"customer.created",
				"occurred_at":"2023-09-01T10:00:00.000000Z","notification_id":"ntf_01h9",
				"data":{"id":"ctm_01h84cjfwmdph1k8kgsyjt7ep5","name":"Sam Miller","email":"sam@example.com","status":"active"}}`),
			want: Envelope{
				Type:       "customer.created",
				OccurredAt: time.Date(2023, 9, 1, 10, 0, 0, 0, time.UTC),
				Actor:      &Actor{ID: "ctm_01h84cjfwmdph1k8kgsyjt7ep5", Email: "sam@example.com"},
				Subject:    &Subject{ID: "ctm_01h84cjfwmdph1k8kgsyjt7ep5", Type: "customer"},
				Action:     &Action{Type: "created"},
				Data:       json.RawMessage(`{"id":"ctm_01h84cjfwmdph1k8kgsyjt7ep5","name":"Sam Miller","email":"sam@example.com","status":"active"}`),
			},
		},
		{
			name: "subscription.canceled: the subscription is the subject",
			stored: storedEvent("paddle", "subscription.canceled", `{"event_type":"subscription.canceled","occurred_at":"2023-09-01T10:00:00Z",
				"data":{"id":"sub_01h8bz9gxxgzebh1ssm2y3mh2r","status":"canceled","customer_id":"ctm_01h8441jn5pcwrfhwh78jqt8hk"}}`),
			want: Envelope{
				Type:       "subscription.canceled",
				OccurredAt: time.Date(2023, 9, 1, 10, 0, 0, 0, time.UTC),
				Actor:      &Actor{ID: "ctm_01h8441jn5pcwrfhwh78jqt8hk"},
				Subject:    &Subject{ID: "sub_01h8bz9gxxgzebh1ssm2y3mh2r", Type: "subscription"},
				Action:     &Action{Type: "canceled"},
				Data:       json.RawMessage(`{"id":"sub_01h8bz9gxxgzebh1ssm2y3mh2r","status":"canceled","customer_id":"ctm_01h8441jn5pcwrfhwh78jqt8hk"}`),
			},
		},
		{
			name:   "a malformed occurred_at falls back to received_at",
			stored: storedEvent("paddle", "transaction.paid", `{"occurred_at":1692619067,"data":{"id":"txn_1"}}`),
			want: Envelope{
				Type: "transaction.paid", Subject: &Subject{ID: "txn_1", Type: "transaction"},
				Action: &Action{Type: "paid"}, Data: json.RawMessage(`{"id":"txn_1"}`),
			},
		},
		{
			name:   "without data, data is the whole body",
			stored: storedEvent("paddle", "transaction.paid", `{"event_id":"evt_1","occurred_at":"2023-08-21T11:57:47Z"}`),
			want:   Envelope{Type: "transaction.paid", OccurredAt: time.Date(2023, 8, 21, 11, 57, 47, 0, time.UTC), Action: &Action{Type: "paid"}},
		},
	})
}
