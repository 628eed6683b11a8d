package event

import "encoding/json"

// calendlyEvent is the part of a Calendly webhook the envelope needs
// (https://developer.calendly.com/docs/webhooks/overview and the Webhook
// Payload and Invitee objects of its API reference: event
// "invitee.created", created_at RFC 3339, created_by the subscription's
// owner, and payload, the invitee or routing form submission).
type calendlyEvent struct {
	CreatedAt string          `json:"created_at"`
	Payload   json.RawMessage `json:"payload"`
}

// calendlyPayload holds what identifies who and what: the resource's uri,
// an invitee's email, and a cancellation's reason and who canceled
// ("host" or "invitee").
type calendlyPayload struct {
	URI          string `json:"uri"`
	Email        string `json:"email"`
	Cancellation *struct {
		CancelerType string `json:"canceler_type"`
		Reason       string `json:"reason"`
	} `json:"cancellation"`
}

// normalizeCalendly maps a Calendly webhook: action and subject kind from
// the stored event name ("invitee.canceled" → canceled, invitee), the
// subject's id payload.uri, the actor the invitee by payload.email (not
// when the host canceled: the invitee did not act then), the cancellation
// reason as the action's reason, occurred_at created_at, and data the
// payload (the whole body when absent).
func normalizeCalendly(s Stored, e *Envelope) error {
	var ev calendlyEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if t, ok := rfc3339Time(ev.CreatedAt); ok {
		e.OccurredAt = t
	}
	e.Data = dataOf(ev.Payload, s.Body)
	var p calendlyPayload
	if ok, err := decodeInner(ev.Payload, &p); !ok || err != nil {
		return err
	}
	e.Subject = newSubject(p.URI, resourceOf(e.Type))
	e.Actor = newActor("", p.Email)
	if c := p.Cancellation; c != nil {
		if c.CancelerType == "host" {
			e.Actor = nil
		}
		if e.Action != nil {
			e.Action.Reason = c.Reason
		}
	}
	return nil
}
