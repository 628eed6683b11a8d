package event

import (
	"bytes"
	"encoding/json"
)

// razorpayEvent is the part of a Razorpay webhook the envelope needs
// (https://razorpay.com/docs/webhooks/payloads/ and the sample payloads of
// https://razorpay.com/docs/webhooks/payments/): event
// ("payment.captured"), contains (the entities in payload, the event's own
// first: ["payment"], ["payment", "order"]), payload.<entity>.entity, and
// created_at (Unix seconds).
type razorpayEvent struct {
	Contains  []string                   `json:"contains"`
	Payload   map[string]json.RawMessage `json:"payload"`
	CreatedAt int64                      `json:"created_at"`
}

// razorpayEntity holds what identifies who and what in a payment, order,
// refund, subscription, invoice or payment link entity.
type razorpayEntity struct {
	ID          string `json:"id"`
	Entity      string `json:"entity"` // "payment", "order", …
	Email       string `json:"email"`
	CustomerID  string `json:"customer_id"`
	ErrorReason string `json:"error_reason"`
}

// normalizeRazorpay maps a Razorpay webhook: the action is the stored
// event's verb ("captured"); the subject is the entity the event is named
// after (payload.payment.entity for payment.captured, payload.order.entity
// for order.paid; else the first of contains), by id and entity; the actor
// is the customer: customer_id and email of that entity, else of the
// payment that came with it (payload.payment.entity.email); a failed
// payment's error_reason is the action's reason. occurred_at is created_at
// and data the whole body.
func normalizeRazorpay(s Stored, e *Envelope) error {
	var ev razorpayEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if t, ok := unixTime(ev.CreatedAt); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	name := resourceOf(e.Type)
	if _, ok := ev.Payload[name]; !ok && len(ev.Contains) > 0 {
		name = ev.Contains[0]
	}
	subject, err := razorpayEntityOf(ev.Payload, name)
	if err != nil {
		return err
	}
	payment, err := razorpayEntityOf(ev.Payload, "payment")
	if err != nil {
		return err
	}
	e.Subject = newSubject(subject.ID, subject.Entity)
	e.Actor = newActor(firstNonEmpty(subject.CustomerID, payment.CustomerID), firstNonEmpty(subject.Email, payment.Email))
	if e.Action != nil {
		e.Action.Reason = subject.ErrorReason
	}
	return nil
}

// razorpayEntityOf reads payload[name].entity; an absent one is empty.
func razorpayEntityOf(payload map[string]json.RawMessage, name string) (razorpayEntity, error) {
	var wrapper struct {
		Entity razorpayEntity `json:"entity"`
	}
	_, err := decodeInner(payload[name], &wrapper)
	return wrapper.Entity, err
}
