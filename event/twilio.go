package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

func init() { normalizers["twilio"] = normalizeTwilio }

// normalizeTwilio maps Twilio's webhooks (twilio.com/docs/messaging/guides/webhook-request,
// .../voice/twiml#request-parameters, the status callbacks): form posts
// of CamelCase fields, or on a body json route a JSON object of the same
// names. The subject is the resource the callback is about: a recording
// or transcription (RecordingSid, TranscriptionSid) before the call it
// belongs to, a message (MessageSid, or the older SmsMessageSid/SmsSid),
// else the call (CallSid). The actor is From, the number (or client) the
// message or call came from. The action is the resource's status
// (MessageStatus, else SmsStatus, CallStatus, RecordingStatus,
// TranscriptionStatus) with ErrorCode as the reason of a failed one.
// occurred_at is the voice callbacks' Timestamp (RFC 1123 with a
// numeric zone) else received_at. data is the form as a JSON object
// (see FormData), or the JSON body.
func normalizeTwilio(s Stored, e *Envelope) error {
	fields, data, err := twilioFields(s.Body)
	if err != nil {
		return err
	}
	e.Data = data
	switch {
	case fields["RecordingSid"] != "":
		e.Subject = newSubject(fields["RecordingSid"], "recording")
	case fields["TranscriptionSid"] != "":
		e.Subject = newSubject(fields["TranscriptionSid"], "transcription")
	case firstNonEmpty(fields["MessageSid"], fields["SmsMessageSid"], fields["SmsSid"]) != "":
		e.Subject = newSubject(firstNonEmpty(fields["MessageSid"], fields["SmsMessageSid"], fields["SmsSid"]), "message")
	default:
		e.Subject = newSubject(fields["CallSid"], "call")
	}
	e.Actor = newActor(fields["From"], "")
	status := fields["MessageStatus"]
	if e.Subject != nil {
		switch e.Subject.Type {
		case "recording":
			status = fields["RecordingStatus"]
		case "transcription":
			status = fields["TranscriptionStatus"]
		case "call":
			status = fields["CallStatus"]
		}
	}
	if status = firstNonEmpty(status, fields["SmsStatus"], fields["CallStatus"]); status != "" {
		e.Action = &Action{Type: status, Reason: fields["ErrorCode"]}
	}
	if t, ok := layoutTime(time.RFC1123Z, fields["Timestamp"]); ok {
		e.OccurredAt = t
	}
	return nil
}

// twilioFields reads a Twilio body's fields (each name's first value)
// and its data: a JSON object as it is, else the form.
func twilioFields(body []byte) (map[string]string, json.RawMessage, error) {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		var obj map[string]json.RawMessage
		if err := decodeObject(body, &obj); err != nil {
			return nil, nil, err
		}
		fields := make(map[string]string, len(obj))
		for name, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				fields[name] = s
			}
		}
		return fields, bytes.Clone(body), nil
	}
	values, err := parseStrictForm(body)
	if err != nil {
		return nil, nil, err
	}
	data, err := formJSON(values)
	if err != nil {
		return nil, nil, errors.New("form body: " + err.Error())
	}
	fields := make(map[string]string, len(values))
	for name, vs := range values {
		fields[name] = vs[0]
	}
	return fields, data, nil
}
