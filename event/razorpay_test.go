package event

import "testing"

func TestNormalizeRazorpay(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "payment.captured: the payment is the subject, its email the actor, created_at occurred_at",
			stored: storedEvent("razorpay", "payment.captured", string(readTestdata(t, "razorpay/payment_captured.json"))),
			want: Envelope{
				Type:       "payment.captured",
				OccurredAt: unix(1567674606),
				Actor:      &Actor{Email: "gaurav.kumar@example.com"},
				Subject:    &Subject{ID: "pay_DESlfW9H8K9uqM", Type: "payment"},
				Action:     &Action{Type: "captured"},
			},
		},
		{
			name: "order.paid: the order is the subject, the payment that came with it names the actor",
			stored: storedEvent("razorpay", "order.paid", `{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"order.paid",
				"contains":["payment","order"],"payload":{
				"payment":{"entity":{"id":"pay_DESlfW9H8K9uqM","entity":"payment","amount":100,"status":"captured","order_id":"order_DESlLckIVRkHWj",
					"email":"gaurav.kumar@example.com","customer_id":"cust_DEu8hKp2XmoBDz","created_at":1567674599}},
				"order":{"entity":{"id":"order_DESlLckIVRkHWj","entity":"order","amount":100,"amount_paid":100,"status":"paid","created_at":1567674581}}},
				"created_at":1567674606}`),
			want: Envelope{
				Type:       "order.paid",
				OccurredAt: unix(1567674606),
				Actor:      &Actor{ID: "cust_DEu8hKp2XmoBDz", Email: "gaurav.kumar@example.com"},
				Subject:    &Subject{ID: "order_DESlLckIVRkHWj", Type: "order"},
				Action:     &Action{Type: "paid"},
			},
		},
		{
			name: "payment.failed: error_reason is the action reason",
			stored: storedEvent("razorpay", "payment.failed", `{"entity":"event","event":"payment.failed","contains":["payment"],
				"payload":{"payment":{"entity":{"id":"pay_DESm2gOAXRqRQJ","entity":"payment","status":"failed","email":"gaurav.kumar@example.com",
				"error_code":"BAD_REQUEST_ERROR","error_description":"Payment failed","error_reason":"payment_failed"}}},"created_at":1567674626}`),
			want: Envelope{
				Type:       "payment.failed",
				OccurredAt: unix(1567674626),
				Actor:      &Actor{Email: "gaurav.kumar@example.com"},
				Subject:    &Subject{ID: "pay_DESm2gOAXRqRQJ", Type: "payment"},
				Action:     &Action{Type: "failed", Reason: "payment_failed"},
			},
		},
		{
			name: "an event not named after a payload key: the first of contains is the subject",
			stored: storedEvent("razorpay", "subscription.charged", `{"event":"subscription.charged","contains":["subscription","payment"],
				"payload":{"subscription":{"entity":{"id":"sub_DEX6xcJ1HSW4CR","entity":"subscription","customer_id":"cust_C0WlbKhp3aLA7W"}},
				"payment":{"entity":{"id":"pay_DEXFWroJ6LikQB","entity":"payment","email":"gaurav.kumar@example.com"}}},"created_at":1567682640}`),
			want: Envelope{
				Type:       "subscription.charged",
				OccurredAt: unix(1567682640),
				Actor:      &Actor{ID: "cust_C0WlbKhp3aLA7W", Email: "gaurav.kumar@example.com"},
				Subject:    &Subject{ID: "sub_DEX6xcJ1HSW4CR", Type: "subscription"},
				Action:     &Action{Type: "charged"},
			},
		},
		{
			name:   "missing payload and a malformed created_at fall back",
			stored: storedEvent("razorpay", "payment.authorized", `{"entity":"event","event":"payment.authorized","created_at":"1567674606"}`),
			want:   Envelope{Type: "payment.authorized", Action: &Action{Type: "authorized"}},
		},
	})
}
