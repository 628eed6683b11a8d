package event

import (
	"bytes"
	"time"
)

// woocommerceResource is the part of a WooCommerce webhook body the
// envelope needs. WooCommerce sends the resource as its REST API (v3)
// returns it, with no wrapper, for the core topics coupon, customer,
// order and product × created, updated, deleted, restored
// (https://developer.woocommerce.com/docs/apis/rest-api/v3/webhooks/;
// field names from the v3 order, customer, product and coupon
// references). A deleted resource is sent as {"id": …} only.
type woocommerceResource struct {
	ID              flexID                 `json:"id"`
	CustomerID      flexID                 `json:"customer_id"` // orders: 0 for a guest
	Email           string                 `json:"email"`       // customers
	Billing         struct{ Email string } `json:"billing"`
	DateCreatedGMT  string                 `json:"date_created_gmt"`
	DateModifiedGMT string                 `json:"date_modified_gmt"`
}

// woocommerceTimes are the layouts of the *_gmt fields: ISO 8601 without
// a zone, in UTC ("2019-07-19T20:38:30"), or with one.
var woocommerceTimes = []string{"2006-01-02T15:04:05", time.RFC3339Nano}

// normalizeWooCommerce maps a WooCommerce webhook: the stored type is the
// X-WC-Webhook-Topic ("order.created"), whose verb is the action and
// whose resource is the subject's kind, with the body's id. The actor is
// an order's customer (customer_id unless 0, a guest, and billing.email),
// or a customer resource itself. occurred_at is date_modified_gmt, else
// date_created_gmt. data is the whole body.
func normalizeWooCommerce(s Stored, e *Envelope) error {
	var r woocommerceResource
	if err := decodeObject(s.Body, &r); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	kind := resourceOf(e.Type)
	e.Subject = newSubject(string(r.ID), kind)
	switch kind {
	case "customer":
		e.Actor = newActor(string(r.ID), r.Email)
	case "order":
		customer := string(r.CustomerID)
		if customer == "0" {
			customer = ""
		}
		e.Actor = newActor(customer, r.Billing.Email)
	}
	if t, ok := firstTime(woocommerceTimes, r.DateModifiedGMT, r.DateCreatedGMT); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}
