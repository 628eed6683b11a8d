package event

import (
	"bytes"
	"strings"
)

// shopifyResource is the part of a Shopify webhook body the envelope
// needs. Shopify sends the resource itself, in the REST Admin API's shape,
// with no wrapper (https://shopify.dev/docs/api/webhooks, each topic's
// example payload; the order fields are those of
// https://shopify.dev/docs/api/admin-rest/latest/resources/order). The
// topic is the X-Shopify-Topic header, which ingest stores as the type.
type shopifyResource struct {
	ID           flexID         `json:"id"`
	GraphQLID    string         `json:"admin_graphql_api_id"` // "gid://shopify/Order/820982911946154508"
	Email        string         `json:"email"`
	ContactEmail string         `json:"contact_email"`
	Customer     *shopifyPerson `json:"customer"`
	CancelReason string         `json:"cancel_reason"`
	CreatedAt    string         `json:"created_at"`
	UpdatedAt    string         `json:"updated_at"`
}

type shopifyPerson struct {
	ID    flexID `json:"id"`
	Email string `json:"email"`
}

// normalizeShopify maps a Shopify webhook. The action is the topic's verb
// ("create" of "orders/create", or of "orders.create" once ingest stores
// dotted types), with the cancel_reason of orders/cancelled as its reason
// (Shopify's example order carries one on every topic). The subject
// is the resource: its id, and its kind from admin_graphql_api_id
// ("Order" → "order", "DraftOrder" → "draft_order"), else from the topic
// ("products/delete" sends only the id → "product"). The actor is the
// order's customer (customer.id, and customer.email, else the order's
// email or contact_email); on customers/* topics it is the customer
// itself. occurred_at is updated_at, else created_at. data is the whole
// body.
func normalizeShopify(s Stored, e *Envelope) error {
	var r shopifyResource
	if err := decodeObject(s.Body, &r); err != nil {
		return err
	}
	topic := strings.ReplaceAll(e.Type, "/", ".")
	e.Action = actionOf(topic)
	if e.Action != nil && e.Action.Type == "cancelled" {
		e.Action.Reason = r.CancelReason
	}
	kind := shopifyKind(r.GraphQLID, resourceOf(topic))
	e.Subject = newSubject(string(r.ID), kind)
	switch {
	case kind == "customer":
		e.Actor = newActor(string(r.ID), r.Email)
	case r.Customer != nil:
		e.Actor = newActor(string(r.Customer.ID), firstNonEmpty(r.Customer.Email, r.Email, r.ContactEmail))
	default:
		e.Actor = newActor("", firstNonEmpty(r.Email, r.ContactEmail))
	}
	if t, ok := firstTime(rfc3339, r.UpdatedAt, r.CreatedAt); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}

// shopifyKind names a resource in snake case: from its GraphQL id when
// the body has one, else from the topic's resource, singular.
func shopifyKind(gid, resource string) string {
	if rest, ok := strings.CutPrefix(gid, "gid://shopify/"); ok {
		if name, _, _ := strings.Cut(rest, "/"); name != "" {
			return snakeCase(name)
		}
	}
	return strings.TrimSuffix(resource, "s")
}
