package event

import (
	"testing"
	"time"
)

func TestNormalizeWordPress(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "post.published: the post is the subject",
			stored: storedEvent("wordpress", "post.published", `{"event":"post.published","post_id":7}`),
			want:   Envelope{Type: "post.published", Subject: &Subject{ID: "7", Type: "post"}, Action: &Action{Type: "published"}},
		},
		{
			name:   "user.registered: the user is the actor",
			stored: storedEvent("wordpress", "user.registered", `{"event":"user.registered","user":{"id":5,"email":"a@b"}}`),
			want:   Envelope{Type: "user.registered", Actor: &Actor{ID: "5", Email: "a@b"}, Action: &Action{Type: "registered"}},
		},
		{
			name: "an explicit actor wins over the user the event is about",
			stored: storedEvent("wordpress", "user.role_changed", `{"event":"user.role_changed","actor":{"id":"1","email":"admin@example.com"},
				"user":{"id":5,"email":"a@b"},"user_id":5,"role":"editor"}`),
			want: Envelope{
				Type:    "user.role_changed",
				Actor:   &Actor{ID: "1", Email: "admin@example.com"},
				Subject: &Subject{ID: "5", Type: "user"},
				Action:  &Action{Type: "role_changed"},
			},
		},
		{
			name:   "comment.approved: the comment is the subject, not its post",
			stored: storedEvent("wordpress", "comment.approved", `{"event":"comment.approved","comment_id":"12","post_id":7}`),
			want:   Envelope{Type: "comment.approved", Subject: &Subject{ID: "12", Type: "comment"}, Action: &Action{Type: "approved"}},
		},
		{
			name:   "a body timestamp in Unix seconds is occurred_at",
			stored: storedEvent("wordpress", "order.created", `{"event":"order.created","order_id":1001,"timestamp":1700000000}`, "X-WP-Timestamp", "1700000099"),
			want: Envelope{
				Type: "order.created", OccurredAt: unix(1700000000),
				Subject: &Subject{ID: "1001", Type: "order"}, Action: &Action{Type: "created"},
			},
		},
		{
			name:   "a body timestamp in RFC 3339 is occurred_at",
			stored: storedEvent("wordpress", "post.updated", `{"event":"post.updated","post_id":7,"timestamp":"2024-08-20T12:00:00+02:00"}`),
			want: Envelope{
				Type: "post.updated", OccurredAt: time.Date(2024, 8, 20, 10, 0, 0, 0, time.UTC),
				Subject: &Subject{ID: "7", Type: "post"}, Action: &Action{Type: "updated"},
			},
		},
		{
			name:   "without a body timestamp the signed X-WP-Timestamp header is occurred_at",
			stored: storedEvent("wordpress", "post.published", `{"event":"post.published","post_id":7}`, "X-WP-Timestamp", "1700000000"),
			want: Envelope{
				Type: "post.published", OccurredAt: unix(1700000000),
				Subject: &Subject{ID: "7", Type: "post"}, Action: &Action{Type: "published"},
			},
		},
		{
			name:   "without event in the body the stored type is kept",
			stored: storedEvent("wordpress", "term.created", `{"term_id":3}`),
			want:   Envelope{Type: "term.created", Subject: &Subject{ID: "3", Type: "term"}, Action: &Action{Type: "created"}},
		},
	})
}
