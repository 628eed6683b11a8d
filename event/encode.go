package event

import (
	"bytes"
	"encoding/json"
	"time"
)

// AppendJSON appends e encoded byte for byte as json.Marshal encodes it,
// and returns its error where it has one. It writes the envelope's fields
// directly instead of through reflection, and copies data that a
// normalizer compacted as it read the body instead of validating and
// compacting it again. Anything it does not write itself (a time outside
// UTC, a value json.Marshal refuses) goes through json.Marshal.
func (e *Envelope) AppendJSON(b []byte) ([]byte, error) {
	if !plainTime(e.OccurredAt) || !plainTime(e.ReceivedAt) {
		return e.marshal(b)
	}
	// Data is validated here only when a normalizer did not compact it
	// from a body it had validated.
	if e.Data != nil && !e.compacted() && !json.Valid(e.Data) {
		return e.marshal(b)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, e.Source)
	b = append(b, `,"tenant":`...)
	b = appendString(b, e.Tenant)
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"occurred_at":"`...)
	b = e.OccurredAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","received_at":"`...)
	b = e.ReceivedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if a := e.Actor; a != nil {
		b = append(b, `,"actor":{`...)
		b = appendMembers(b, "id", a.ID, "email", a.Email)
	}
	if s := e.Subject; s != nil {
		b = append(b, `,"subject":{`...)
		b = appendMembers(b, "id", s.ID, "type", s.Type)
	}
	if a := e.Action; a != nil {
		b = append(b, `,"action":{`...)
		b = appendMembers(b, "type", a.Type, "reason", a.Reason)
	}
	b = append(b, `,"data":`...)
	switch {
	case e.Data == nil:
		b = append(b, "null"...)
	case e.compacted():
		b = append(b, e.Data...)
	default:
		b = appendCompact(b, e.Data)
	}
	return append(b, '}'), nil
}

func (e *Envelope) marshal(b []byte) ([]byte, error) {
	j, err := json.Marshal(e)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// compacted reports whether Data is still what a normalizer left it after
// appendCompact, so that it needs no second pass.
func (e *Envelope) compacted() bool {
	return len(e.Data) > 0 && len(e.Data) == len(e.compactData) && &e.Data[0] == &e.compactData[0]
}

// setCompactData sets Data to src as appendCompact writes it; src was
// validated. plain is walkMembers' word on the body src is part of: then
// only <, >, & and U+2028/9 (0xe2 …) could need escaping, and most bodies
// have none; looking for four bytes is quicker than compacting.
func (e *Envelope) setCompactData(src []byte, plain bool) {
	if plain && bytes.IndexByte(src, '<') < 0 && bytes.IndexByte(src, '>') < 0 &&
		bytes.IndexByte(src, '&') < 0 && bytes.IndexByte(src, 0xe2) < 0 {
		e.compactData = bytes.Clone(src)
	} else {
		e.compactData = appendCompact(make([]byte, 0, len(src)), src)
	}
	e.Data = e.compactData
}

// plainTime reports whether t encodes as RFC 3339 in UTC, which is what
// time.Time's MarshalJSON writes for it.
func plainTime(t time.Time) bool {
	y := t.Year()
	return t.Location() == time.UTC && y >= 0 && y < 10000
}

// appendMembers writes the members of an object whose fields are two
// strings with omitempty, and closes it.
func appendMembers(b []byte, k1, v1, k2, v2 string) []byte {
	if v1 != "" {
		b = append(b, '"')
		b = append(b, k1...)
		b = append(b, `":`...)
		b = appendString(b, v1)
	}
	if v2 != "" {
		if v1 != "" {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k2...)
		b = append(b, `":`...)
		b = appendString(b, v2)
	}
	return append(b, '}')
}

// appendString writes s as json.Marshal does. Ids, types and emails are
// printable ASCII with nothing to escape, and are copied; anything else is
// left to encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
