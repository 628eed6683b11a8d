package event

import (
	"bytes"
	"encoding/json"
)

// normalizeGeneric maps events from senders whose payload has no known shape
// (generic HMAC, shared tokens, any source without its own normalizer): the
// type is what ingest recorded, occurred_at is received_at, and data is the
// body as sent, or the body as a JSON string when it is not JSON (form
// posts, plain text), so the envelope is always valid JSON.
func normalizeGeneric(s Stored, e *Envelope) error {
	if json.Valid(s.Body) {
		e.Data = bytes.Clone(s.Body)
		return nil
	}
	data, err := json.Marshal(string(s.Body))
	if err != nil {
		return err
	}
	e.Data = data
	return nil
}
