package event

import (
	"testing"
	"time"
)

// linearComment is the data change payload of Linear's webhook
// documentation: a comment created.
const linearComment = `{
  "action": "create",
  "actor": {
    "id": "2e6eea91-1111-0000-9486-acea0603064d",
    "type": "user",
    "name": "Linear app",
    "email": "linear@example.com",
    "url": "https://linear.app/linear/profiles/linear"
  },
  "createdAt": "2020-01-23T12:53:18.084Z",
  "data": {
    "id": "2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9",
    "createdAt": "2020-01-23T12:53:18.084Z",
    "updatedAt": "2020-01-23T12:53:18.084Z",
    "archivedAt": null,
    "body": "Indeed, looks like this is a bug.",
    "edited": false,
    "issueId": "539068e2-ae88-4d09-bd75-22eb4a59612f",
    "userId": "aacdca22-6266-4c0a-ab3c-8fa70a26765c"
  },
  "url": "https://linear.app/issue/LIN-1778/foo-bar#comment-77a0e4fb",
  "type": "Comment",
  "organizationId": "e1f6d2f8-0000-4e44-a8ff-cd5c49ae4c0e",
  "webhookTimestamp": 1676056940508,
  "webhookId": "000042e3-d123-4980-b49f-8e140eef9329"
}`

func TestNormalizeLinear(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "Comment.create (the preset joins type and action): action and actor from the body, data.id the subject, createdAt occurred_at",
			stored: storedEvent("linear", "Comment.create", linearComment),
			want: Envelope{
				Type:       "Comment.create",
				OccurredAt: time.Date(2020, 1, 23, 12, 53, 18, 84000000, time.UTC),
				Actor:      &Actor{ID: "2e6eea91-1111-0000-9486-acea0603064d", Email: "linear@example.com"},
				Subject:    &Subject{ID: "2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9", Type: "comment"},
				Action:     &Action{Type: "create"},
			},
		},
		{
			name: "IssueLabel update by an integration without email; a CamelCase type becomes snake case",
			stored: storedEvent("linear", "IssueLabel.update", `{"action":"update","type":"IssueLabel",
				"actor":{"id":"b5ea0aa2-0000-4f4b-9f5a-d0a3d3d0c1a4","type":"OauthClient","name":"Zapier"},
				"createdAt":"2024-03-05T09:10:11.000Z","data":{"id":"lbl-1","name":"Bug","color":"#eb5757"},
				"updatedFrom":{"name":"bug"},"webhookTimestamp":1709629811512}`),
			want: Envelope{
				Type:       "IssueLabel.update",
				OccurredAt: time.Date(2024, 3, 5, 9, 10, 11, 0, time.UTC),
				Actor:      &Actor{ID: "b5ea0aa2-0000-4f4b-9f5a-d0a3d3d0c1a4"},
				Subject:    &Subject{ID: "lbl-1", Type: "issue_label"},
				Action:     &Action{Type: "update"},
			},
		},
		{
			name:   "without createdAt, webhookTimestamp (milliseconds) is occurred_at",
			stored: storedEvent("linear", "Issue.remove", `{"action":"remove","type":"Issue","data":{"id":"iss-1"},"webhookTimestamp":1676056940508}`),
			want: Envelope{
				Type:       "Issue.remove",
				OccurredAt: time.Date(2023, 2, 10, 19, 22, 20, 508000000, time.UTC),
				Subject:    &Subject{ID: "iss-1", Type: "issue"},
				Action:     &Action{Type: "remove"},
			},
		},
		{
			name:   "malformed times and a missing actor fall back to received_at and no actor",
			stored: storedEvent("linear", "Issue.create", `{"action":"create","type":"Issue","createdAt":"soon","webhookTimestamp":"1676056940508","data":{"id":"iss-2"}}`),
			want:   Envelope{Type: "Issue.create", Subject: &Subject{ID: "iss-2", Type: "issue"}, Action: &Action{Type: "create"}},
		},
	})
}
