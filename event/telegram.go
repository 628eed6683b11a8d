package event

import (
	"bytes"
	"encoding/json"
	"strings"
)

// telegramKinds are the optional fields of a Telegram Update, at most one
// of which is present (https://core.telegram.org/bots/api#update), in the
// order they are looked for.
var telegramKinds = []string{
	"message", "edited_message", "channel_post", "edited_channel_post",
	"business_message", "edited_business_message", "message_reaction",
	"callback_query", "inline_query", "chosen_inline_result",
	"shipping_query", "pre_checkout_query", "poll_answer", "poll",
	"my_chat_member", "chat_member", "chat_join_request",
	"chat_boost", "removed_chat_boost",
}

// telegramObject holds the fields that identify who, what and when across
// the objects an Update carries: Message (message_id, from, sender_chat,
// chat, date, edit_date), CallbackQuery, InlineQuery, ShippingQuery,
// PreCheckoutQuery (id, from), ChosenInlineResult (result_id, from),
// PollAnswer (poll_id, user), Poll (id), ChatMemberUpdated and
// ChatJoinRequest (chat, from, date) and MessageReactionUpdated (chat,
// message_id, user, date). Dates are Unix seconds.
type telegramObject struct {
	MessageID  flexID        `json:"message_id"`
	ID         flexID        `json:"id"`
	ResultID   flexID        `json:"result_id"`
	PollID     flexID        `json:"poll_id"`
	From       *telegramPeer `json:"from"`
	User       *telegramPeer `json:"user"`
	SenderChat *telegramPeer `json:"sender_chat"`
	Chat       *telegramPeer `json:"chat"`
	Date       int64         `json:"date"`
	EditDate   int64         `json:"edit_date"`
}

// telegramPeer is a User or a Chat, by id.
type telegramPeer struct {
	ID flexID `json:"id"`
}

// normalizeTelegram maps a Telegram Update. Updates have no type (ingest
// stores none); the action is the kind of update ("message",
// "edited_message", "callback_query", …). The subject is a message as
// "<chat.id>/<message_id>", a chat (member updates, join requests) by its
// id, a poll by its id, else the query or result by its id and the kind.
// The actor is the message's sender_chat when it was sent on behalf of a
// chat (Telegram then puts a placeholder user in from), else from (e.g.
// message.from.id), else user. occurred_at is edit_date on edited
// messages, else date, else received_at (queries carry no time). data is
// the whole body.
func normalizeTelegram(s Stored, e *Envelope) error {
	var update map[string]json.RawMessage
	if err := decodeObject(s.Body, &update); err != nil {
		return err
	}
	e.Data = bytes.Clone(s.Body)
	for _, kind := range telegramKinds {
		var o telegramObject
		ok, err := decodeInner(update[kind], &o)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		e.Action = &Action{Type: kind}
		e.Subject = telegramSubject(kind, &o)
		for _, p := range []*telegramPeer{o.SenderChat, o.From, o.User} {
			if p != nil && p.ID != "" {
				e.Actor = newActor(string(p.ID), "")
				break
			}
		}
		date := o.Date
		if strings.HasPrefix(kind, "edited_") && o.EditDate != 0 {
			date = o.EditDate
		}
		if t, ok := unixTime(date); ok {
			e.OccurredAt = t
		}
		break
	}
	return nil
}

func telegramSubject(kind string, o *telegramObject) *Subject {
	chat := ""
	if o.Chat != nil {
		chat = string(o.Chat.ID)
	}
	switch {
	case chat != "" && o.MessageID != "":
		return &Subject{ID: chat + "/" + string(o.MessageID), Type: "message"}
	case chat != "":
		return &Subject{ID: chat, Type: "chat"}
	case o.PollID != "" || kind == "poll":
		return newSubject(firstNonEmpty(string(o.PollID), string(o.ID)), "poll")
	}
	return newSubject(firstNonEmpty(string(o.ID), string(o.ResultID)), kind)
}
