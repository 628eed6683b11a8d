package event

import "encoding/json"

// zoomEvent is a Zoom webhook body (developers.zoom.us/docs/api/webhooks,
// the event reference's payloads): event ("meeting.started"), event_ts
// (unix ms) and payload, whose operator and operator_id name who acted on
// the account and whose object is the meeting, webinar, recording or user
// the event is about (its id, its host_id, and for participant events a
// participant with user_id and email).
type zoomEvent struct {
	EventTS int64           `json:"event_ts"`
	Payload json.RawMessage `json:"payload"`
}

type zoomPayload struct {
	Operator   string `json:"operator"`
	OperatorID string `json:"operator_id"`
	Object     struct {
		ID          flexID `json:"id"`
		HostID      string `json:"host_id"`
		Email       string `json:"email"`
		Participant *struct {
			UserID string `json:"user_id"`
			Email  string `json:"email"`
		} `json:"participant"`
	} `json:"object"`
}

// normalizeZoom maps a Zoom event: the type's verb is the action and its
// first part the subject's kind (meeting.started → started, meeting), the
// subject payload.object.id; the actor the participant of a participant
// event, else the operator (operator_id, operator's email), else the
// object's host_id; occurred_at event_ts; data the payload.
func normalizeZoom(s Stored, e *Envelope) error {
	var ev zoomEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	var p zoomPayload
	if _, err := decodeInner(ev.Payload, &p); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	e.Subject = newSubject(string(p.Object.ID), resourceOf(e.Type))
	switch {
	case p.Object.Participant != nil:
		e.Actor = newActor(p.Object.Participant.UserID, p.Object.Participant.Email)
	case p.OperatorID != "" || p.Operator != "":
		e.Actor = newActor(p.OperatorID, p.Operator)
	default:
		e.Actor = newActor(p.Object.HostID, "")
	}
	if t, ok := unixMilliTime(ev.EventTS); ok {
		e.OccurredAt = t
	}
	if len(ev.Payload) > 0 && ev.Payload[0] == '{' {
		e.Data = ev.Payload
	} else {
		e.Data = dataOf(nil, s.Body)
	}
	return nil
}
