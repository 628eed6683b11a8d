package event

import (
	"encoding/json"
	"strconv"
	"time"
)

// discordBody is an interaction (discord.com/developers/docs/interactions/
// receiving-and-responding: id, type, data, guild_id, channel_id, member
// with its user in a guild, user in a DM, message for components) or a
// webhook event (discord.com/developers/docs/events/webhook-events:
// version, application_id, type, event with type, timestamp and data).
type discordBody struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	Member    *struct {
		User discordUser `json:"user"`
	} `json:"member"`
	User    *discordUser         `json:"user"`
	Message *struct{ ID string } `json:"message"`
	Data    json.RawMessage      `json:"data"`
	Event   *struct {
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	} `json:"event"`
}

type discordUser struct {
	ID string `json:"id"`
}

// discordData is an interaction's data: a command's name, a component's
// or modal's custom_id.
type discordData struct {
	Name     string `json:"name"`
	CustomID string `json:"custom_id"`
}

// discordEpoch is the first second of 2015, where snowflakes count from.
const discordEpoch = 1420070400000

// discordTimes are a webhook event's timestamp layouts: ISO 8601 without
// a zone, in UTC ("2024-10-18T14:42:53.064834"), or with one.
var discordTimes = []string{"2006-01-02T15:04:05.999999", time.RFC3339Nano}

// normalizeDiscord maps an interaction: actor the member's user (a
// guild) else the user (a DM), subject the component's message else the
// channel, action the command's name or the custom_id, occurred_at the
// time in its snowflake id, data its data. A webhook event: actor
// event.data.user.id, occurred_at event.timestamp, data event.data.
func normalizeDiscord(s Stored, e *Envelope) error {
	var b discordBody
	if err := decodeObject(s.Body, &b); err != nil {
		return err
	}
	if b.Event != nil {
		var d struct {
			User discordUser `json:"user"`
		}
		if _, err := decodeInner(b.Event.Data, &d); err != nil {
			return err
		}
		e.Actor = newActor(d.User.ID, "")
		if t, ok := firstTime(discordTimes, b.Event.Timestamp); ok {
			e.OccurredAt = t
		}
		e.Data = dataOf(object(b.Event.Data), s.Body)
		return nil
	}
	switch {
	case b.Member != nil && b.Member.User.ID != "":
		e.Actor = newActor(b.Member.User.ID, "")
	case b.User != nil:
		e.Actor = newActor(b.User.ID, "")
	}
	if b.Message != nil && b.Message.ID != "" {
		e.Subject = newSubject(b.Message.ID, "message")
	} else {
		e.Subject = newSubject(b.ChannelID, "channel")
	}
	var d discordData
	if _, err := decodeInner(b.Data, &d); err != nil {
		return err
	}
	if name := firstNonEmpty(d.Name, d.CustomID); name != "" {
		e.Action = &Action{Type: name}
	}
	if id, err := strconv.ParseUint(b.ID, 10, 64); err == nil {
		if t, ok := unixMilliTime(int64(id>>22) + discordEpoch); ok {
			e.OccurredAt = t
		}
	}
	e.Data = dataOf(object(b.Data), s.Body)
	return nil
}
