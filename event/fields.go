package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// This file holds what the provider normalizers share beyond decoding:
// envelope parts built only when a payload names them, the parts of a
// provider's type, and the time formats providers send.

// newActor is the actor a payload names, or nil when it names none.
func newActor(id, email string) *Actor {
	if id == "" && email == "" {
		return nil
	}
	return &Actor{ID: id, Email: email}
}

// newSubject is the object a payload is about, or nil without its id.
func newSubject(id, typ string) *Subject {
	if id == "" {
		return nil
	}
	return &Subject{ID: id, Type: typ}
}

// resourceOf takes the object from a dotted type ("transaction.completed"
// → "transaction", "customer.subscription.deleted" →
// "customer.subscription"); a type without a dot names none.
func resourceOf(typ string) string {
	i := strings.LastIndexByte(typ, '.')
	if i <= 0 {
		return ""
	}
	return typ[:i]
}

// snakeCase writes a provider's CamelCase kind as the envelope's kinds
// are written ("DraftOrder" → "draft_order").
func snakeCase(name string) string {
	var b strings.Builder
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dataOf is the entity a provider wraps its event around, or the whole
// body when the sender left it out. inner was copied out of body by
// json.Unmarshal; the body is cloned, so Data never aliases it.
func dataOf(inner json.RawMessage, body []byte) json.RawMessage {
	if inner != nil {
		return inner
	}
	return bytes.Clone(body)
}

// firstTime returns the first of ts that parses in one of layouts.
func firstTime(layouts []string, ts ...string) (time.Time, bool) {
	for _, s := range ts {
		for _, layout := range layouts {
			if t, ok := layoutTime(layout, s); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// rfc3339 is the layout list of providers that send RFC 3339 only.
var rfc3339 = []string{time.RFC3339Nano}

// unixMilliTime converts provider milliseconds, with unixTime's bounds.
func unixMilliTime(ms int64) (time.Time, bool) {
	if _, ok := unixTime(ms / 1000); !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}
