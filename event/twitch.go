package event

import "encoding/json"

// twitchMessage is an EventSub message body
// (dev.twitch.tv/docs/eventsub/eventsub-reference): the subscription
// (id, type, status, condition) and, for a notification, the event,
// whose user_id names who acted and broadcaster_user_id the channel it
// happened on, and whose *_at field says when (followed_at, started_at,
// redeemed_at, …). A revocation carries only the subscription.
type twitchMessage struct {
	Subscription json.RawMessage `json:"subscription"`
	Event        json.RawMessage `json:"event"`
}

type twitchSubscription struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type twitchEvent struct {
	UserID            string `json:"user_id"`
	BroadcasterUserID string `json:"broadcaster_user_id"`
	FollowedAt        string `json:"followed_at"`
	StartedAt         string `json:"started_at"`
	RedeemedAt        string `json:"redeemed_at"`
	CreatedAt         string `json:"created_at"`
}

// normalizeTwitch maps a notification: actor event.user_id (else the
// broadcaster, as in stream.online), subject the channel
// (broadcaster_user_id), action the type's verb (channel.follow →
// follow), occurred_at the event's own time, data the event. A
// revocation (type revocation): subject the subscription, action revoked
// with the subscription's status as the reason, data the subscription.
func normalizeTwitch(s Stored, e *Envelope) error {
	var m twitchMessage
	if err := decodeObject(s.Body, &m); err != nil {
		return err
	}
	var sub twitchSubscription
	if _, err := decodeInner(m.Subscription, &sub); err != nil {
		return err
	}
	var ev twitchEvent
	isEvent, err := decodeInner(m.Event, &ev)
	if err != nil {
		return err
	}
	if !isEvent {
		e.Subject = newSubject(sub.ID, "subscription")
		e.Action = &Action{Type: "revoked", Reason: sub.Status}
		e.Data = dataOf(object(m.Subscription), s.Body)
		return nil
	}
	e.Actor = newActor(firstNonEmpty(ev.UserID, ev.BroadcasterUserID), "")
	e.Subject = newSubject(ev.BroadcasterUserID, "channel")
	e.Action = actionOf(e.Type)
	if t, ok := firstTime(rfc3339, ev.FollowedAt, ev.StartedAt, ev.RedeemedAt, ev.CreatedAt); ok {
		e.OccurredAt = t
	}
	e.Data = m.Event
	return nil
}

// object is raw when it is a JSON object, else nil.
func object(raw json.RawMessage) json.RawMessage {
	if len(raw) > 0 && raw[0] == '{' {
		return raw
	}
	return nil
}
