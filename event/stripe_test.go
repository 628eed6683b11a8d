package event

import (
	"encoding/json"
	"testing"
)

func TestNormalizeStripe(t *testing.T) {
	invoice := readTestdata(t, "stripe_invoice_paid.json")
	var ev struct {
		Data struct{ Object json.RawMessage }
	}
	if err := json.Unmarshal(invoice, &ev); err != nil {
		t.Fatal(err)
	}

	runNormalizeCases(t, []normalizeCase{
		{
			name:   "invoice.paid: subject is data.object, actor its customer, data is data.object",
			stored: storedEvent("stripe", "invoice.paid", string(invoice)),
			want: Envelope{
				Type:       "invoice.paid",
				OccurredAt: unix(1724150400),
				Actor:      &Actor{ID: "cus_QhZ3a9XkTq2LmN", Email: "jane.doe@example.com"},
				Subject:    &Subject{ID: "in_1PqZ3JJ2eZvKYlo2Vb0y7QmE", Type: "invoice"},
				Action:     &Action{Type: "paid"},
				Data:       ev.Data.Object,
			},
		},
		{
			name: "charge: receipt_email is preferred to billing_details.email",
			stored: storedEvent("stripe", "charge.succeeded", `{"id":"evt_2","object":"event","type":"charge.succeeded","created":1700000000,
				"data":{"object":{"id":"ch_1","object":"charge","customer":"cus_1","receipt_email":"r@example.com",
				"billing_details":{"email":"b@example.com","name":"Jo"}}}}`),
			want: Envelope{
				Type: "charge.succeeded", OccurredAt: unix(1700000000),
				Actor:   &Actor{ID: "cus_1", Email: "r@example.com"},
				Subject: &Subject{ID: "ch_1", Type: "charge"},
				Action:  &Action{Type: "succeeded"},
				Data:    json.RawMessage(`{"id":"ch_1","object":"charge","customer":"cus_1","receipt_email":"r@example.com","billing_details":{"email":"b@example.com","name":"Jo"}}`),
			},
		},
		{
			name: "charge without receipt_email: billing_details.email is the actor email",
			stored: storedEvent("stripe", "charge.failed", `{"type":"charge.failed","created":1700000000,
				"data":{"object":{"id":"ch_2","object":"charge","customer":null,"receipt_email":null,"billing_details":{"email":"b@example.com"}}}}`),
			want: Envelope{
				Type: "charge.failed", OccurredAt: unix(1700000000),
				Actor:   &Actor{Email: "b@example.com"},
				Subject: &Subject{ID: "ch_2", Type: "charge"},
				Action:  &Action{Type: "failed"},
				Data:    json.RawMessage(`{"id":"ch_2","object":"charge","customer":null,"receipt_email":null,"billing_details":{"email":"b@example.com"}}`),
			},
		},
		{
			name: "checkout session: an expanded customer gives id and customer_details gives email",
			stored: storedEvent("stripe", "checkout.session.completed", `{"type":"checkout.session.completed","created":1700000000,
				"data":{"object":{"id":"cs_1","object":"checkout.session","customer":{"id":"cus_9","object":"customer"},"customer_details":{"email":"c@example.com"}}}}`),
			want: Envelope{
				Type: "checkout.session.completed", OccurredAt: unix(1700000000),
				Actor:   &Actor{ID: "cus_9", Email: "c@example.com"},
				Subject: &Subject{ID: "cs_1", Type: "checkout.session"},
				Action:  &Action{Type: "completed"},
				Data:    json.RawMessage(`{"id":"cs_1","object":"checkout.session","customer":{"id":"cus_9","object":"customer"},"customer_details":{"email":"c@example.com"}}`),
			},
		},
		{
			name: "customer events: the customer is both subject and actor",
			stored: storedEvent("stripe", "customer.created", `{"type":"customer.created","created":1700000000,
				"data":{"object":{"id":"cus_7","object":"customer","email":"new@example.com"}}}`),
			want: Envelope{
				Type: "customer.created", OccurredAt: unix(1700000000),
				Actor:   &Actor{ID: "cus_7", Email: "new@example.com"},
				Subject: &Subject{ID: "cus_7", Type: "customer"},
				Action:  &Action{Type: "created"},
				Data:    json.RawMessage(`{"id":"cus_7","object":"customer","email":"new@example.com"}`),
			},
		},
		{
			name: "subscription deleted: cancellation_details.reason is the action reason",
			stored: storedEvent("stripe", "customer.subscription.deleted", `{"type":"customer.subscription.deleted","created":1700000000,
				"data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_1","cancellation_details":{"reason":"payment_failed"}}}}`),
			want: Envelope{
				Type: "customer.subscription.deleted", OccurredAt: unix(1700000000),
				Actor:   &Actor{ID: "cus_1"},
				Subject: &Subject{ID: "sub_1", Type: "subscription"},
				Action:  &Action{Type: "deleted", Reason: "payment_failed"},
				Data:    json.RawMessage(`{"id":"sub_1","object":"subscription","customer":"cus_1","cancellation_details":{"reason":"payment_failed"}}`),
			},
		},
		{
			name: "dispute: the object's reason is the action reason",
			stored: storedEvent("stripe", "charge.dispute.created", `{"type":"charge.dispute.created","created":1700000000,
				"data":{"object":{"id":"dp_1","object":"dispute","reason":"fraudulent"}}}`),
			want: Envelope{
				Type: "charge.dispute.created", OccurredAt: unix(1700000000),
				Subject: &Subject{ID: "dp_1", Type: "dispute"},
				Action:  &Action{Type: "created", Reason: "fraudulent"},
				Data:    json.RawMessage(`{"id":"dp_1","object":"dispute","reason":"fraudulent"}`),
			},
		},
		{
			name: "a field of an unexpected type is dropped, not fatal",
			stored: storedEvent("stripe", "invoice.paid", `{"type":"invoice.paid","created":"soon",
				"data":{"object":{"id":"in_1","object":"invoice","customer":42,"customer_email":["x"]}}}`),
			want: Envelope{
				Type:    "invoice.paid",
				Subject: &Subject{ID: "in_1", Type: "invoice"},
				Action:  &Action{Type: "paid"},
				Data:    json.RawMessage(`{"id":"in_1","object":"invoice","customer":42,"customer_email":["x"]}`),
			},
		},
		{
			name:   "a created time an envelope cannot hold falls back to received_at",
			stored: storedEvent("stripe", "invoice.paid", `{"type":"invoice.paid","created":99999999999999,"data":{"object":{}}}`),
			want:   Envelope{Type: "invoice.paid", Action: &Action{Type: "paid"}, Data: json.RawMessage(`{}`)},
		},
		{
			name:   "without data.object, data is the whole body and the stored type is kept",
			stored: storedEvent("stripe", "invoice.paid", `{"id":"evt_3","created":1700000000}`),
			want:   Envelope{Type: "invoice.paid", OccurredAt: unix(1700000000), Action: &Action{Type: "paid"}},
		},
	})
}
