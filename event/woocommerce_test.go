package event

import (
	"testing"
	"time"
)

func TestNormalizeWooCommerce(t *testing.T) {
	march22 := time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC)
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "order.created by a guest: billing.email is the actor, date_modified_gmt read as UTC",
			stored: storedEvent("woocommerce", "order.created", string(readTestdata(t, "woocommerce/order_created.json"))),
			want: Envelope{
				Type:       "order.created",
				OccurredAt: march22,
				Actor:      &Actor{Email: "john.doe@example.com"},
				Subject:    &Subject{ID: "727", Type: "order"},
				Action:     &Action{Type: "created"},
			},
		},
		{
			name: "order.updated by a registered customer: customer_id is the actor id",
			stored: storedEvent("woocommerce", "order.updated", `{"id":1194,"status":"on-hold","customer_id":1,
				"billing":{"email":"vishal@example.com"},"date_created_gmt":"2019-07-19T20:38:30","date_modified_gmt":"2019-07-19T20:38:31"}`),
			want: Envelope{
				Type:       "order.updated",
				OccurredAt: time.Date(2019, 7, 19, 20, 38, 31, 0, time.UTC),
				Actor:      &Actor{ID: "1", Email: "vishal@example.com"},
				Subject:    &Subject{ID: "1194", Type: "order"},
				Action:     &Action{Type: "updated"},
			},
		},
		{
			name: "customer.created: the customer is both subject and actor",
			stored: storedEvent("woocommerce", "customer.created", `{"id":25,"date_created":"2017-03-21T16:09:28",
				"date_created_gmt":"2017-03-21T19:09:28","date_modified_gmt":null,"email":"john.doe@example.com","role":"customer"}`),
			want: Envelope{
				Type:       "customer.created",
				OccurredAt: time.Date(2017, 3, 21, 19, 9, 28, 0, time.UTC),
				Actor:      &Actor{ID: "25", Email: "john.doe@example.com"},
				Subject:    &Subject{ID: "25", Type: "customer"},
				Action:     &Action{Type: "created"},
			},
		},
		{
			name:   "product.updated: no actor",
			stored: storedEvent("woocommerce", "product.updated", `{"id":794,"name":"Premium Quality","date_modified_gmt":"2017-03-23T20:01:14"}`),
			want: Envelope{
				Type:       "product.updated",
				OccurredAt: time.Date(2017, 3, 23, 20, 1, 14, 0, time.UTC),
				Subject:    &Subject{ID: "794", Type: "product"},
				Action:     &Action{Type: "updated"},
			},
		},
		{
			name:   "order.deleted sends only the id: occurred_at is received_at",
			stored: storedEvent("woocommerce", "order.deleted", `{"id":727}`),
			want:   Envelope{Type: "order.deleted", Subject: &Subject{ID: "727", Type: "order"}, Action: &Action{Type: "deleted"}},
		},
		{
			name:   "a malformed date falls back to received_at",
			stored: storedEvent("woocommerce", "coupon.created", `{"id":719,"date_created_gmt":"22/03/2017","date_modified_gmt":7}`),
			want:   Envelope{Type: "coupon.created", Subject: &Subject{ID: "719", Type: "coupon"}, Action: &Action{Type: "created"}},
		},
	})
}
