package event

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// metaNotification is a Graph API webhook body
// (developers.facebook.com/docs/graph-api/webhooks/getting-started): the
// object (whatsapp_business_account, page, instagram, …) and a batch of
// entries, each the object's id, its time and either changes (field and
// value: WhatsApp's messages and statuses, a page's feed, Instagram's
// comments) or messaging events (Messenger and Instagram messaging:
// sender, recipient, timestamp).
type metaNotification struct {
	Entry []struct {
		ID      string `json:"id"`
		Time    int64  `json:"time"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
		Messaging []struct {
			Sender    struct{ ID string } `json:"sender"`
			Timestamp int64               `json:"timestamp"`
		} `json:"messaging"`
	} `json:"entry"`
}

// metaValue is what names who acted in a change: WhatsApp's messages
// (from, a WhatsApp id, and a unix-seconds timestamp string), or the
// from of a feed or comment change.
type metaValue struct {
	Messages []struct {
		From      string `json:"from"`
		Timestamp string `json:"timestamp"`
	} `json:"messages"`
	From *struct {
		ID string `json:"id"`
	} `json:"from"`
}

// normalizeMeta maps the first entry of a notification: subject its id,
// of the stored type's kind (the object); action the first change's field
// (messages, feed, comments), or messaging; actor a WhatsApp message's
// from, a change's from.id, or a messaging event's sender.id;
// occurred_at that message's or messaging event's timestamp, else the
// entry's time. data is the whole body: one notification may batch
// several entries.
func normalizeMeta(s Stored, e *Envelope) error {
	var n metaNotification
	if err := decodeObject(s.Body, &n); err != nil {
		return err
	}
	e.Data = bytes.Clone(s.Body)
	if len(n.Entry) == 0 {
		return nil
	}
	entry := n.Entry[0]
	e.Subject = newSubject(entry.ID, e.Type)
	when := entry.Time
	switch {
	case len(entry.Changes) > 0:
		change := entry.Changes[0]
		if change.Field != "" {
			e.Action = &Action{Type: change.Field}
		}
		var v metaValue
		if _, err := decodeInner(change.Value, &v); err != nil {
			return err
		}
		switch {
		case len(v.Messages) > 0:
			e.Actor = newActor(v.Messages[0].From, "")
			if ts, err := strconv.ParseInt(v.Messages[0].Timestamp, 10, 64); err == nil {
				when = ts
			}
		case v.From != nil:
			e.Actor = newActor(v.From.ID, "")
		}
	case len(entry.Messaging) > 0:
		e.Action = &Action{Type: "messaging"}
		e.Actor = newActor(entry.Messaging[0].Sender.ID, "")
		if entry.Messaging[0].Timestamp != 0 {
			when = entry.Messaging[0].Timestamp
		}
	}
	if t, ok := metaTime(when); ok {
		e.OccurredAt = t
	}
	return nil
}

// metaTime reads a Graph API time, sent as unix seconds in some objects
// and milliseconds in others (Messenger's entry time and timestamp).
func metaTime(n int64) (time.Time, bool) {
	if n > 1e11 {
		return unixMilliTime(n)
	}
	return unixTime(n)
}
