package event

import (
	"testing"
	"time"
)

// Shaped as the samples of Mailgun's webhook documentation (a delivered
// event and a permanent failure, each beside its signature object); the
// signature values are placeholders: normalizing never checks them.
const (
	mailgunDelivered = `{"signature":{"timestamp":"1529006854","token":"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0","signature":"d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55"},
	"event-data":{"event":"delivered","timestamp":1529006854.329574,"id":"DACSsAdVSeGpLid7TN03WA",
		"recipient":"alice@example.com","recipient-domain":"example.com",
		"message":{"headers":{"to":"Alice <alice@example.com>","message-id":"20130503182626.18666.16540@example.com","from":"Bob <bob@example.com>","subject":"Test delivered webhook"},"size":111},
		"delivery-status":{"code":250,"message":"OK"},"tags":["my_tag_1"],"user-variables":{"my_var_1":"Mailgun Variable #1"}}}`
	mailgunFailed = `{"signature":{"timestamp":"1529701969","token":"afb4b5b5a4f4d5c3cb3fa0bc3fc4e8b2a0c1f3f2c3e7c2b5a8","signature":"0a2a7b5c4d0bd9e7b0d2c6bb2c0b1ab0f1f6c2f0e7a3d3c2e4f2b1a0c9d8e7f6"},
	"event-data":{"event":"failed","timestamp":1529701969.818328,"id":"G9Bn5sl1TC6nu79C8C0bwg","severity":"permanent","reason":"suppress-bounce",
		"recipient":"alice@example.com","message":{"headers":{"message-id":"20130503192659.13651.20287@example.com"}},
		"delivery-status":{"code":605,"message":"Not delivering to previously bounced address"}}}`
)

func TestNormalizeMailgun(t *testing.T) {
	at := func(sec int64, usec int) time.Time { return time.Unix(sec, int64(usec)*1000).UTC() }
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "delivered: the recipient is the actor, the message the subject, event-data the data",
			stored: storedEvent("mailgun", "delivered", mailgunDelivered),
			want: Envelope{
				Type:       "delivered",
				OccurredAt: at(1529006854, 329574),
				Actor:      &Actor{Email: "alice@example.com"},
				Subject:    &Subject{ID: "20130503182626.18666.16540@example.com", Type: "message"},
				Action:     &Action{Type: "delivered"},
				Data: []byte(`{"event":"delivered","timestamp":1529006854.329574,"id":"DACSsAdVSeGpLid7TN03WA",
		"recipient":"alice@example.com","recipient-domain":"example.com",
		"message":{"headers":{"to":"Alice <alice@example.com>","message-id":"20130503182626.18666.16540@example.com","from":"Bob <bob@example.com>","subject":"Test delivered webhook"},"size":111},
		"delivery-status":{"code":250,"message":"OK"},"tags":["my_tag_1"],"user-variables":{"my_var_1":"Mailgun Variable #1"}}`),
			},
		},
		{
			name:   "failed: the reason is the action's reason",
			stored: storedEvent("mailgun", "failed", mailgunFailed),
			want: Envelope{
				Type:       "failed",
				OccurredAt: at(1529701969, 818328),
				Actor:      &Actor{Email: "alice@example.com"},
				Subject:    &Subject{ID: "20130503192659.13651.20287@example.com", Type: "message"},
				Action:     &Action{Type: "failed", Reason: "suppress-bounce"},
				Data: []byte(`{"event":"failed","timestamp":1529701969.818328,"id":"G9Bn5sl1TC6nu79C8C0bwg","severity":"permanent","reason":"suppress-bounce",
		"recipient":"alice@example.com","message":{"headers":{"message-id":"20130503192659.13651.20287@example.com"}},
		"delivery-status":{"code":605,"message":"Not delivering to previously bounced address"}}`),
			},
		},
		{
			name:   "a temporary failure without reason: the severity is the reason",
			stored: storedEvent("mailgun", "failed", `{"event-data":{"event":"failed","severity":"temporary","recipient":"bob@example.com"}}`),
			want: Envelope{
				Type:   "failed",
				Actor:  &Actor{Email: "bob@example.com"},
				Action: &Action{Type: "failed", Reason: "temporary"},
				Data:   []byte(`{"event":"failed","severity":"temporary","recipient":"bob@example.com"}`),
			},
		},
		{
			name:   "no event-data: the whole body is the data, nothing else is named",
			stored: storedEvent("mailgun", "", `{"signature":{"timestamp":"1","token":"t","signature":"s"}}`),
			want:   Envelope{},
		},
	})
}
