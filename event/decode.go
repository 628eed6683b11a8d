package event

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// decodeObject decodes a provider body that must be a JSON object into v.
// A field whose JSON type differs from v's is left empty rather than failing
// the event: the body is signed by the provider, so a surprise in one
// optional field should cost that field, not the delivery.
func decodeObject(body []byte, v any) error {
	if err := Scan(body, nil, nil); err != nil {
		return err
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(body, v); err != nil && !errors.As(err, &typeErr) {
		return err
	}
	return nil
}

// decodeInner decodes an entity a provider wraps its event around into v
// when it is a JSON object, as decodeObject does, and reports whether it
// was one: a missing or null entity, or one of another kind, is not.
func decodeInner(raw json.RawMessage, v any) (bool, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return false, nil
	}
	return true, decodeObject(raw, v)
}

// flexID is an identifier that providers send as a number in one payload
// and as a string in another; either becomes its text, anything else "".
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			*f = flexID(s)
		}
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*f = flexID(b)
	}
	return nil
}

// actionOf takes the verb from a dotted type ("invoice.paid" → "paid");
// a type without a dot names no separate verb.
func actionOf(typ string) *Action {
	i := strings.LastIndexByte(typ, '.')
	if i < 0 || i == len(typ)-1 {
		return nil
	}
	return &Action{Type: typ[i+1:]}
}

// unixTime converts provider seconds, refusing values an Envelope could not
// marshal (encoding/json only writes years 0 to 9999) or that predate Unix.
func unixTime(sec int64) (time.Time, bool) {
	if sec <= 0 || sec > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}

// maxUnix is 9999-12-31T23:59:59Z.
const maxUnix = 253402300799

// rfc3339Time parses a provider timestamp, keeping only times an Envelope
// can marshal once converted to UTC.
func rfc3339Time(s string) (time.Time, bool) { return layoutTime(time.RFC3339Nano, s) }

// layoutTime parses s in layout (a layout without a zone reads UTC),
// keeping only times an Envelope can marshal once converted to UTC.
func layoutTime(layout, s string) (time.Time, bool) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	if y := t.Year(); y < 1970 || y > 9999 {
		return time.Time{}, false
	}
	return t, true
}

// looseTime reads a JSON timestamp sent as Unix seconds (a number or a
// digit string) or as RFC 3339 text.
func looseTime(raw json.RawMessage) (time.Time, bool) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			return time.Time{}, false
		}
	}
	return textTime(text)
}

// textTime reads Unix seconds or RFC 3339 text.
func textTime(text string) (time.Time, bool) {
	if sec, err := strconv.ParseInt(text, 10, 64); err == nil {
		return unixTime(sec)
	}
	return rfc3339Time(text)
}

// firstNonEmpty returns the first of vals that is not "".
func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
