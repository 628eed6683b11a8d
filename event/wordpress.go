package event

import (
	"bytes"
	"encoding/json"
	"strings"
)

// wordpressPayload is the shape the WordPress side of Hookgate sends:
// {"event": "post.published", "post_id": 7, ...}; ingest stores "event" as
// the type, with "user" or "actor"
// objects on user events.
type wordpressPayload struct {
	Timestamp json.RawMessage `json:"timestamp"`
	Actor     *wordpressUser  `json:"actor"`
	User      *wordpressUser  `json:"user"`
	PostID    flexID          `json:"post_id"`
	CommentID flexID          `json:"comment_id"`
	OrderID   flexID          `json:"order_id"`
	ProductID flexID          `json:"product_id"`
	TermID    flexID          `json:"term_id"`
	UserID    flexID          `json:"user_id"`
}

type wordpressUser struct {
	ID    flexID `json:"id"`
	Email string `json:"email"`
}

// normalizeWordPress maps a WordPress event: action is the last part of the
// stored type, the actor body.actor (else body.user), the subject the object
// id the event is named after ("comment_id" for "comment.approved"), else
// the first present of post, comment, order, product, term and user ids, and
// occurred_at body.timestamp (Unix seconds or RFC 3339), else the signed
// X-WP-Timestamp header. data is the whole body.
func normalizeWordPress(s Stored, e *Envelope) error {
	var p wordpressPayload
	if err := decodeObject(s.Body, &p); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	for _, u := range []*wordpressUser{p.Actor, p.User} {
		if u != nil && (u.ID != "" || u.Email != "") {
			e.Actor = &Actor{ID: string(u.ID), Email: u.Email}
			break
		}
	}
	e.Subject = wordpressSubject(&p, e.Type)
	if t, ok := looseTime(p.Timestamp); ok {
		e.OccurredAt = t
	} else if t, ok := textTime(strings.TrimSpace(s.Header.Get("X-WP-Timestamp"))); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}

func wordpressSubject(p *wordpressPayload, typ string) *Subject {
	ids := []Subject{
		{ID: string(p.PostID), Type: "post"},
		{ID: string(p.CommentID), Type: "comment"},
		{ID: string(p.OrderID), Type: "order"},
		{ID: string(p.ProductID), Type: "product"},
		{ID: string(p.TermID), Type: "term"},
		{ID: string(p.UserID), Type: "user"},
	}
	// "comment.approved" also carries the post_id of its post; the event
	// is about the comment.
	object, _, _ := strings.Cut(typ, ".")
	for _, c := range ids {
		if c.Type == object && c.ID != "" {
			return &c
		}
	}
	for _, c := range ids {
		if c.ID != "" {
			return &c
		}
	}
	return nil
}
