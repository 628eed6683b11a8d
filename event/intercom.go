package event

import "encoding/json"

// intercomNotification is the part of an Intercom webhook notification the
// envelope needs (https://developers.intercom.com/docs/references/2.8/rest-api/webhooks/webhook-models,
// "Notification object"): topic (the stored type,
// "conversation.user.created"), created_at (Unix seconds) and data.item,
// the object of the topic's "Object" column.
type intercomNotification struct {
	CreatedAt int64 `json:"created_at"`
	Data      struct {
		Item json.RawMessage `json:"item"`
	} `json:"data"`
}

// intercomItem holds what identifies who and what across the objects
// Intercom sends: conversations (source.author; the authors of
// conversation_parts, the newest last; in API 1.x also
// conversation_message.author and user) and contacts, users, leads,
// visitors and admins themselves.
type intercomItem struct {
	Type              string          `json:"type"`
	ID                flexID          `json:"id"`
	Email             string          `json:"email"`
	Source            *intercomAuthor `json:"source"`
	ConversationParts *struct {
		Parts []intercomAuthor `json:"conversation_parts"`
	} `json:"conversation_parts"`
	ConversationMessage *intercomAuthor `json:"conversation_message"`
	User                *intercomPerson `json:"user"`
}

// intercomAuthor is a conversation's source or part: its author is a
// contact (user, lead), an admin, a team or a bot (Conversation Part and
// Conversation Source models).
type intercomAuthor struct {
	Author *intercomPerson `json:"author"`
}

type intercomPerson struct {
	ID    flexID `json:"id"`
	Email string `json:"email"`
}

// normalizeIntercom maps an Intercom notification. The action is the
// topic's last part ("created" of "conversation.user.created"); the
// subject is data.item by its id and type. The actor is, for a
// conversation, the author of its newest part (who replied, noted,
// assigned or closed), else of its source (who started it), else the 1.x
// conversation_message author or user; a contact, user, lead, visitor or
// admin item is its own actor. occurred_at is the notification's
// created_at; data is data.item (the whole body when absent).
func normalizeIntercom(s Stored, e *Envelope) error {
	var n intercomNotification
	if err := decodeObject(s.Body, &n); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	if t, ok := unixTime(n.CreatedAt); ok {
		e.OccurredAt = t
	}
	item := n.Data.Item
	e.Data = dataOf(item, s.Body)
	var it intercomItem
	if ok, err := decodeInner(item, &it); !ok || err != nil {
		return err
	}
	e.Subject = newSubject(string(it.ID), it.Type)
	if p := intercomActor(&it); p != nil {
		e.Actor = newActor(string(p.ID), p.Email)
	}
	return nil
}

func intercomActor(it *intercomItem) *intercomPerson {
	switch it.Type {
	case "contact", "user", "lead", "visitor", "admin":
		return &intercomPerson{ID: it.ID, Email: it.Email}
	}
	var authors []*intercomAuthor
	if it.ConversationParts != nil {
		for i := len(it.ConversationParts.Parts) - 1; i >= 0; i-- {
			authors = append(authors, &it.ConversationParts.Parts[i])
		}
	}
	authors = append(authors, it.Source, it.ConversationMessage)
	for _, a := range authors {
		if a != nil && a.Author != nil && (a.Author.ID != "" || a.Author.Email != "") {
			return a.Author
		}
	}
	return it.User
}
