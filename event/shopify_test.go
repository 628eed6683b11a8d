package event

import (
	"testing"
	"time"
)

func TestNormalizeShopify(t *testing.T) {
	order := string(readTestdata(t, "shopify/orders_create.json"))
	dec31 := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC) // 2021-12-31T19:00:00-05:00
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "orders/create: the order is the subject, its customer the actor, updated_at occurred_at",
			stored: storedEvent("shopify", "orders/create", order, "X-Shopify-Topic", "orders/create"),
			want: Envelope{
				Type:       "orders/create",
				OccurredAt: dec31,
				Actor:      &Actor{ID: "115310627314723954", Email: "john@example.com"},
				Subject:    &Subject{ID: "820982911946154508", Type: "order"},
				Action:     &Action{Type: "create"},
			},
		},
		{
			name:   "a dotted stored topic gives the same action",
			stored: storedEvent("shopify", "orders.create", order),
			want: Envelope{
				Type:       "orders.create",
				OccurredAt: dec31,
				Actor:      &Actor{ID: "115310627314723954", Email: "john@example.com"},
				Subject:    &Subject{ID: "820982911946154508", Type: "order"},
				Action:     &Action{Type: "create"},
			},
		},
		{
			name:   "orders/cancelled: cancel_reason is the action reason",
			stored: storedEvent("shopify", "orders/cancelled", order),
			want: Envelope{
				Type:       "orders/cancelled",
				OccurredAt: dec31,
				Actor:      &Actor{ID: "115310627314723954", Email: "john@example.com"},
				Subject:    &Subject{ID: "820982911946154508", Type: "order"},
				Action:     &Action{Type: "cancelled", Reason: "customer"},
			},
		},
		{
			name: "an order without a customer: its email is the actor",
			stored: storedEvent("shopify", "orders/paid", `{"id":450789469,"admin_graphql_api_id":"gid://shopify/Order/450789469",
				"email":"bob.norman@mail.example.com","customer":null,"created_at":"2008-01-10T11:00:00-05:00","updated_at":"2008-01-10T11:00:00-05:00"}`),
			want: Envelope{
				Type:       "orders/paid",
				OccurredAt: time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC),
				Actor:      &Actor{Email: "bob.norman@mail.example.com"},
				Subject:    &Subject{ID: "450789469", Type: "order"},
				Action:     &Action{Type: "paid"},
			},
		},
		{
			name: "customers/create: the customer is both subject and actor",
			stored: storedEvent("shopify", "customers/create", `{"id":706405506930370084,"email":"bob@biller.com",
				"created_at":"2021-12-31T19:00:00-05:00","updated_at":"2021-12-31T19:00:00-05:00","first_name":"Bob",
				"admin_graphql_api_id":"gid://shopify/Customer/706405506930370084"}`),
			want: Envelope{
				Type:       "customers/create",
				OccurredAt: dec31,
				Actor:      &Actor{ID: "706405506930370084", Email: "bob@biller.com"},
				Subject:    &Subject{ID: "706405506930370084", Type: "customer"},
				Action:     &Action{Type: "create"},
			},
		},
		{
			name: "draft_orders/update: a CamelCase GraphQL kind becomes snake case",
			stored: storedEvent("shopify", "draft_orders/update", `{"id":994118539,"admin_graphql_api_id":"gid://shopify/DraftOrder/994118539",
				"updated_at":"2021-12-31T19:00:00-05:00"}`),
			want: Envelope{
				Type:       "draft_orders/update",
				OccurredAt: dec31,
				Subject:    &Subject{ID: "994118539", Type: "draft_order"},
				Action:     &Action{Type: "update"},
			},
		},
		{
			name:   "products/delete sends only the id: the kind comes from the topic, occurred_at is received_at",
			stored: storedEvent("shopify", "products/delete", `{"id":788032119674292922}`),
			want: Envelope{
				Type:    "products/delete",
				Subject: &Subject{ID: "788032119674292922", Type: "product"},
				Action:  &Action{Type: "delete"},
			},
		},
		{
			name:   "a malformed updated_at falls back to created_at",
			stored: storedEvent("shopify", "orders/updated", `{"id":1,"updated_at":"yesterday","created_at":"2021-12-31T19:00:00-05:00"}`),
			want: Envelope{
				Type: "orders/updated", OccurredAt: dec31,
				Subject: &Subject{ID: "1", Type: "order"}, Action: &Action{Type: "updated"},
			},
		},
		{
			name:   "fields of unexpected types are dropped, not fatal",
			stored: storedEvent("shopify", "orders/create", `{"id":{"x":1},"customer":"cus","email":7,"created_at":1640995200}`),
			want:   Envelope{Type: "orders/create", Action: &Action{Type: "create"}},
		},
	})
}

func TestTypeOf(t *testing.T) {
	for _, c := range []struct{ name, source, header, want string }{
		{"shopify topics become dotted", "shopify", "orders/create", "orders.create"},
		{"shopify topics with two slashes keep both parts", "shopify", "app_subscriptions/approaching_capped_amount", "app_subscriptions.approaching_capped_amount"},
		{"other sources are unchanged", "woocommerce", "order.created", "order.created"},
		{"an empty header stays empty", "shopify", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := TypeOf(c.source, c.header); got != c.want {
				t.Fatalf("TypeOf(%q, %q) = %q, want %q", c.source, c.header, got, c.want)
			}
		})
	}
}
