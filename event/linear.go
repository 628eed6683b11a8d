package event

import (
	"bytes"
	"encoding/json"
)

// linearPayload is the part of a Linear data change webhook the envelope
// needs (https://linear.app/developers/webhooks, "Data change events
// payload"): action (create, update, remove), type (the entity: Issue,
// Comment, IssueLabel, …), actor (who triggered it: id, type, name,
// email, url), createdAt (when the action took place), data (the entity),
// updatedFrom (the previous values on update) and webhookTimestamp (when
// Linear sent it, Unix milliseconds).
type linearPayload struct {
	Action string `json:"action"`
	Type   string `json:"type"`
	Actor  *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"actor"`
	CreatedAt        string          `json:"createdAt"`
	WebhookTimestamp int64           `json:"webhookTimestamp"`
	Data             json.RawMessage `json:"data"`
}

// normalizeLinear maps a Linear webhook: the action is the body's action,
// the subject data.id with the body's type in snake case ("IssueLabel" →
// "issue_label"), the actor the body's actor (id and email), occurred_at
// createdAt, else webhookTimestamp, and data the whole body, so that
// updatedFrom stays beside data.
func normalizeLinear(s Stored, e *Envelope) error {
	var p linearPayload
	if err := decodeObject(s.Body, &p); err != nil {
		return err
	}
	if p.Action != "" {
		e.Action = &Action{Type: p.Action}
	}
	var d struct {
		ID string `json:"id"`
	}
	if ok, err := decodeInner(p.Data, &d); err != nil {
		return err
	} else if ok {
		e.Subject = newSubject(d.ID, snakeCase(p.Type))
	}
	if p.Actor != nil {
		e.Actor = newActor(p.Actor.ID, p.Actor.Email)
	}
	if t, ok := rfc3339Time(p.CreatedAt); ok {
		e.OccurredAt = t
	} else if t, ok := unixMilliTime(p.WebhookTimestamp); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}
