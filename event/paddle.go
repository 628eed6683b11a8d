package event

import "encoding/json"

// paddleEvent is the part of a Paddle Billing notification the envelope
// needs (https://developer.paddle.com/webhooks/overview and the event
// entity, https://developer.paddle.com/api-reference/events/overview):
// event_id, event_type ("transaction.completed"), occurred_at (RFC 3339)
// and data, the new or changed entity.
type paddleEvent struct {
	OccurredAt string          `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// paddleEntity is what identifies who and what across the entities Paddle
// sends: transactions, subscriptions, adjustments (customer_id), and
// customers themselves (email).
type paddleEntity struct {
	ID         string `json:"id"` // prefixed: txn_, sub_, ctm_, adj_, …
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"`
}

// normalizePaddle maps a Paddle Billing notification: action and subject
// kind are the stored event_type's verb and entity ("completed",
// "transaction"), the subject's id is data.id, the actor is
// data.customer_id (on customer.* events the customer itself, with its
// email), occurred_at is occurred_at, and data is body.data (the whole
// body when absent).
func normalizePaddle(s Stored, e *Envelope) error {
	var ev paddleEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if t, ok := rfc3339Time(ev.OccurredAt); ok {
		e.OccurredAt = t
	}
	e.Data = dataOf(ev.Data, s.Body)
	var d paddleEntity
	if ok, err := decodeInner(ev.Data, &d); !ok || err != nil {
		return err
	}
	kind := resourceOf(e.Type)
	e.Subject = newSubject(d.ID, kind)
	if kind == "customer" {
		e.Actor = newActor(d.ID, d.Email)
	} else {
		e.Actor = newActor(d.CustomerID, "")
	}
	return nil
}
