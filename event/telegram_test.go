package event

import "testing"

// The updates are those of Telegram's webhook testing guide
// (https://core.telegram.org/bots/webhooks, "Testing your bot with
// updates"), with newer fields where the Bot API reference adds them.
func TestNormalizeTelegram(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name: "message: the kind is the action, chat/message_id the subject, message.from.id the actor, date occurred_at",
			stored: storedEvent("telegram", "", `{"update_id":10000,
				"message":{"date":1441645532,"chat":{"last_name":"Test Lastname","id":1111111,"type":"private","first_name":"Test","username":"Test"},
				"message_id":1365,"from":{"last_name":"Test Lastname","id":1111111,"first_name":"Test","username":"Test"},"text":"/start"}}`),
			want: Envelope{
				OccurredAt: unix(1441645532),
				Actor:      &Actor{ID: "1111111"},
				Subject:    &Subject{ID: "1111111/1365", Type: "message"},
				Action:     &Action{Type: "message"},
			},
		},
		{
			name: "edited_message: edit_date is occurred_at",
			stored: storedEvent("telegram", "", `{"update_id":10000,
				"edited_message":{"date":1441645532,"chat":{"id":1111111,"type":"private"},"message_id":1365,
				"from":{"id":1111111,"first_name":"Test"},"text":"Edited text","edit_date":1441646600}}`),
			want: Envelope{
				OccurredAt: unix(1441646600),
				Actor:      &Actor{ID: "1111111"},
				Subject:    &Subject{ID: "1111111/1365", Type: "message"},
				Action:     &Action{Type: "edited_message"},
			},
		},
		{
			name: "channel_post: the sender_chat is the actor",
			stored: storedEvent("telegram", "", `{"update_id":10001,
				"channel_post":{"message_id":42,"sender_chat":{"id":-1001234567890,"title":"News","type":"channel"},
				"chat":{"id":-1001234567890,"title":"News","type":"channel"},"date":1700000000,"text":"hello"}}`),
			want: Envelope{
				OccurredAt: unix(1700000000),
				Actor:      &Actor{ID: "-1001234567890"},
				Subject:    &Subject{ID: "-1001234567890/42", Type: "message"},
				Action:     &Action{Type: "channel_post"},
			},
		},
		{
			name: "callback_query: the query is the subject, from the actor, and it carries no time",
			stored: storedEvent("telegram", "", `{"update_id":10000,
				"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"last_name":"Test Lastname","type":"private","id":1111111,"first_name":"Test","username":"Test"},
				"data":"Data from button callback","inline_message_id":"1234csdbsk4839"}}`),
			want: Envelope{
				Actor:   &Actor{ID: "1111111"},
				Subject: &Subject{ID: "4382bfdwdsb323b2d9", Type: "callback_query"},
				Action:  &Action{Type: "callback_query"},
			},
		},
		{
			name: "chosen_inline_result: result_id is the subject",
			stored: storedEvent("telegram", "", `{"update_id":10000,
				"chosen_inline_result":{"result_id":"12","from":{"id":1111111,"first_name":"Test"},"query":"inline query","inline_message_id":"1234csdbsk4839"}}`),
			want: Envelope{
				Actor:   &Actor{ID: "1111111"},
				Subject: &Subject{ID: "12", Type: "chosen_inline_result"},
				Action:  &Action{Type: "chosen_inline_result"},
			},
		},
		{
			name: "poll_answer: the poll is the subject, user the actor",
			stored: storedEvent("telegram", "", `{"update_id":10002,
				"poll_answer":{"poll_id":"5373422309374001154","user":{"id":1111111,"first_name":"Test"},"option_ids":[1]}}`),
			want: Envelope{
				Actor:   &Actor{ID: "1111111"},
				Subject: &Subject{ID: "5373422309374001154", Type: "poll"},
				Action:  &Action{Type: "poll_answer"},
			},
		},
		{
			name: "chat_join_request: the chat is the subject, from the actor",
			stored: storedEvent("telegram", "", `{"update_id":10003,
				"chat_join_request":{"chat":{"id":-1001234567890,"type":"supergroup"},"from":{"id":2222222,"first_name":"New"},"user_chat_id":2222222,"date":1700000100}}`),
			want: Envelope{
				OccurredAt: unix(1700000100),
				Actor:      &Actor{ID: "2222222"},
				Subject:    &Subject{ID: "-1001234567890", Type: "chat"},
				Action:     &Action{Type: "chat_join_request"},
			},
		},
		{
			name:   "an update of a kind not known here keeps only data",
			stored: storedEvent("telegram", "", `{"update_id":10004,"purchased_paid_media":{"from":{"id":1},"paid_media_payload":"x"}}`),
			want:   Envelope{},
		},
	})
}
