package event

import (
	"bytes"
	"strings"
)

// zendeskEvent is the part of a Zendesk event webhook the envelope needs
// (https://developer.zendesk.com/api-reference/webhooks/event-types/webhook-event-types/,
// "Event schema"): type ("zen:event-type:ticket.created"), time (RFC
// 3339), subject ("zen:ticket:35436") and detail, the object; ticket
// events' detail carries actor_id and requester_id
// (.../event-types/ticket-events), messaging events name event.actor
// (.../event-types/messaging-events). Webhooks fired by triggers and
// automations send a body the admin writes, so every field is optional.
type zendeskEvent struct {
	Time    string `json:"time"`
	Subject string `json:"subject"`
	Detail  struct {
		ActorID     flexID `json:"actor_id"`
		RequesterID flexID `json:"requester_id"`
	} `json:"detail"`
	Event struct {
		Actor struct {
			ID flexID `json:"id"`
		} `json:"actor"`
	} `json:"event"`
}

// normalizeZendesk maps a Zendesk event: the action is the stored type's
// verb ("created"), the subject the body's subject split into kind and id
// ("zen:ticket:35436" → ticket 35436), the actor detail.actor_id, else
// the messaging event.actor.id, else on a created ticket its requester_id;
// occurred_at is time, and data the whole body (detail and the event's
// previous/current values together).
func normalizeZendesk(s Stored, e *Envelope) error {
	var ev zendeskEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if rest, ok := strings.CutPrefix(ev.Subject, "zen:"); ok {
		kind, id, _ := strings.Cut(rest, ":")
		e.Subject = newSubject(id, kind)
	}
	actor := firstNonEmpty(string(ev.Detail.ActorID), string(ev.Event.Actor.ID))
	if actor == "" && strings.HasSuffix(e.Type, "ticket.created") {
		actor = string(ev.Detail.RequesterID)
	}
	e.Actor = newActor(actor, "")
	if t, ok := rfc3339Time(ev.Time); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}
