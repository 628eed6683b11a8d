package event

import (
	"encoding/json"
	"math"
	"time"
)

// Registered here rather than in the table of envelope.go, which other
// providers' changes share.
func init() { normalizers["mailgun"] = normalizeMailgun }

// mailgunEvent is the part of a Mailgun webhook the envelope needs
// (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/,
// the event-data of the Events API): event ("delivered", "failed",
// "opened", "clicked", "unsubscribed", "complained", …), timestamp (unix
// seconds with a fraction), recipient, message.headers.message-id, and
// for failures severity and reason.
type mailgunEvent struct {
	EventData json.RawMessage `json:"event-data"`
}

type mailgunEventData struct {
	Event     string  `json:"event"`
	Timestamp float64 `json:"timestamp"`
	Recipient string  `json:"recipient"`
	Severity  string  `json:"severity"`
	Reason    string  `json:"reason"`
	Message   struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
}

// normalizeMailgun maps a Mailgun webhook: the actor is the recipient the
// event is about (by email), the subject the message (its Message-Id),
// the action event-data.event with, for a failure, its reason (else its
// severity); occurred_at is event-data.timestamp and data is event-data
// alone. The signature object is left out of data: it is the gateway's
// business, and the event it names was accepted once already.
func normalizeMailgun(s Stored, e *Envelope) error {
	var ev mailgunEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	var d mailgunEventData
	if _, err := decodeInner(ev.EventData, &d); err != nil {
		return err
	}
	if t, ok := mailgunTime(d.Timestamp); ok {
		e.OccurredAt = t
	}
	e.Actor = newActor("", d.Recipient)
	e.Subject = newSubject(d.Message.Headers.MessageID, "message")
	if d.Event != "" {
		e.Action = &Action{Type: d.Event, Reason: firstNonEmpty(d.Reason, d.Severity)}
	}
	e.Data = dataOf(ev.EventData, s.Body)
	return nil
}

// mailgunTime reads seconds with a fraction, to the microsecond Mailgun
// sends, within unixTime's bounds.
func mailgunTime(sec float64) (time.Time, bool) {
	whole, frac := math.Modf(sec)
	t, ok := unixTime(int64(whole))
	if !ok {
		return time.Time{}, false
	}
	return t.Add(time.Duration(math.Round(frac*1e6)) * time.Microsecond), true
}
