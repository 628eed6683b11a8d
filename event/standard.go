package event

import "encoding/json"

// standardPayload is the payload shape the Standard Webhooks specification
// recommends: {"type", "timestamp" (RFC 3339), "data"}; ingest stores the
// type.
type standardPayload struct {
	Timestamp string          `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// normalizeStandard maps a Standard Webhooks (or Svix) message: timestamp
// from the body, action from the last part of the stored dotted type, and
// data is body.data (the whole body when a sender omits it).
func normalizeStandard(s Stored, e *Envelope) error {
	var p standardPayload
	if err := decodeObject(s.Body, &p); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if t, ok := rfc3339Time(p.Timestamp); ok {
		e.OccurredAt = t
	}
	e.Data = dataOf(p.Data, s.Body)
	return nil
}
