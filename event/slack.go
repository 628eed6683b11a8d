package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Slack sends three kinds of body to one Request URL
// (docs.slack.dev): Events API callbacks (JSON: the outer envelope with
// team_id, event_id, event_time and the inner event), slash commands (a
// form: command, text, user_id, channel_id, trigger_id, …) and
// interactions (a form whose payload field is JSON: type, user, channel,
// message, view, actions, callback_id, action_ts).

// slackCallback is an Events API body.
type slackCallback struct {
	Event     json.RawMessage `json:"event"`
	EventTime int64           `json:"event_time"`
}

// slackEvent is the inner event of a callback: user (an id, or a user
// object in team_join and user_change), channel (an id, or a channel
// object in channel_created), ts of a message, item of a reaction, and
// subtype (message_changed, …).
type slackEvent struct {
	User    json.RawMessage `json:"user"`
	Channel json.RawMessage `json:"channel"`
	TS      string          `json:"ts"`
	EventTS string          `json:"event_ts"`
	Subtype string          `json:"subtype"`
	Item    *struct {
		Type    string `json:"type"`
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	} `json:"item"`
}

// slackInteraction is an interaction payload.
type slackInteraction struct {
	User       struct{ ID string } `json:"user"`
	Channel    struct{ ID string } `json:"channel"`
	Message    struct{ TS string } `json:"message"`
	CallbackID string              `json:"callback_id"`
	ActionTS   string              `json:"action_ts"`
	View       *struct {
		ID         string `json:"id"`
		CallbackID string `json:"callback_id"`
	} `json:"view"`
	Actions []struct {
		ActionID string `json:"action_id"`
		ActionTS string `json:"action_ts"`
	} `json:"actions"`
}

var errSlackForm = errors.New("a Slack form body carries a payload (an interaction) or a command")

// normalizeSlack maps the three kinds. A callback's actor is event.user,
// its subject the message (<channel>/<ts>), a reaction's item, or the
// channel, its action the message subtype, occurred_at event_time, data
// the inner event. A slash command's actor is user_id, subject its
// channel_id, action the command (/weather), data its fields as a JSON
// object. An interaction's actor is user.id, subject the view, the
// message or the channel, action the first action's action_id (else the
// callback_id), occurred_at its action_ts, data the payload.
func normalizeSlack(s Stored, e *Envelope) error {
	if trimmed := bytes.TrimLeft(s.Body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return normalizeSlackCallback(s, e)
	}
	if bytes.IndexByte(s.Body, ';') >= 0 {
		return errors.New("';' in a form body")
	}
	form, err := url.ParseQuery(string(s.Body))
	if err != nil {
		return err
	}
	if payload := form.Get("payload"); payload != "" {
		return normalizeSlackInteraction([]byte(payload), e)
	}
	if form.Get("command") == "" {
		return errSlackForm
	}
	e.Actor = newActor(form.Get("user_id"), "")
	e.Subject = newSubject(form.Get("channel_id"), "channel")
	e.Action = &Action{Type: form.Get("command")}
	fields := make(map[string]string, len(form))
	for name, values := range form {
		fields[name] = values[0]
	}
	e.Data, err = json.Marshal(fields)
	return err
}

func normalizeSlackCallback(s Stored, e *Envelope) error {
	var cb slackCallback
	if err := decodeObject(s.Body, &cb); err != nil {
		return err
	}
	var ev slackEvent
	if _, err := decodeInner(cb.Event, &ev); err != nil {
		return err
	}
	e.Actor = newActor(slackID(ev.User), "")
	channel := slackID(ev.Channel)
	switch {
	case ev.Item != nil && ev.Item.Channel != "" && ev.Item.TS != "":
		e.Subject = newSubject(ev.Item.Channel+"/"+ev.Item.TS, ev.Item.Type)
	case channel != "" && ev.TS != "":
		e.Subject = newSubject(channel+"/"+ev.TS, "message")
	default:
		e.Subject = newSubject(channel, "channel")
	}
	if ev.Subtype != "" {
		e.Action = &Action{Type: ev.Subtype}
	}
	if t, ok := unixTime(cb.EventTime); ok {
		e.OccurredAt = t
	} else if t, ok := slackTime(ev.EventTS); ok {
		e.OccurredAt = t
	}
	if cb.Event != nil && cb.Event[0] == '{' {
		e.Data = cb.Event
	} else {
		e.Data = bytes.Clone(s.Body)
	}
	return nil
}

func normalizeSlackInteraction(payload []byte, e *Envelope) error {
	var in slackInteraction
	if err := decodeObject(payload, &in); err != nil {
		return err
	}
	e.Actor = newActor(in.User.ID, "")
	switch {
	case in.View != nil && in.View.ID != "":
		e.Subject = newSubject(in.View.ID, "view")
	case in.Channel.ID != "" && in.Message.TS != "":
		e.Subject = newSubject(in.Channel.ID+"/"+in.Message.TS, "message")
	default:
		e.Subject = newSubject(in.Channel.ID, "channel")
	}
	actionTS := in.ActionTS
	switch {
	case len(in.Actions) > 0 && in.Actions[0].ActionID != "":
		e.Action = &Action{Type: in.Actions[0].ActionID}
		actionTS = firstNonEmpty(in.Actions[0].ActionTS, actionTS)
	case in.CallbackID != "":
		e.Action = &Action{Type: in.CallbackID}
	case in.View != nil && in.View.CallbackID != "":
		e.Action = &Action{Type: in.View.CallbackID}
	}
	if t, ok := slackTime(actionTS); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(payload)
	return nil
}

// slackID is a user or channel given as its id or as an object with one.
func slackID(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var id string
	if raw[0] == '"' {
		_ = json.Unmarshal(raw, &id)
		return id
	}
	var obj struct{ ID string }
	if raw[0] == '{' && json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}

// slackTime reads Slack's "1355517523.000005": unix seconds and a
// fraction.
func slackTime(ts string) (time.Time, bool) {
	secs, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t, ok := unixTime(n)
	if !ok {
		return time.Time{}, false
	}
	if len(frac) > 0 && len(frac) <= 9 {
		if f, err := strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err == nil {
			t = t.Add(time.Duration(f))
		}
	}
	return t, true
}
