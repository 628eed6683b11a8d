package event

import (
	"testing"
	"time"
)

func TestNormalizeGitHub(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "pull_request.opened: the stored type is the type, the body's action the action, subject is repo#number",
			stored: storedEvent("github", "pull_request.opened", string(readTestdata(t, "github_pull_request_opened.json"))),
			want: Envelope{
				Type:       "pull_request.opened",
				OccurredAt: time.Date(2024, 8, 20, 10, 15, 31, 0, time.UTC),
				Actor:      &Actor{ID: "583231"},
				Subject:    &Subject{ID: "octo-org/blog#42", Type: "pull_request"},
				Action:     &Action{Type: "opened"},
			},
		},
		{
			name:   "push: no action, head commit time in UTC, pusher email, repository subject",
			stored: storedEvent("github", "push", string(readTestdata(t, "github_push.json"))),
			want: Envelope{
				Type:       "push",
				OccurredAt: time.Date(2024, 8, 20, 10, 0, 5, 0, time.UTC),
				Actor:      &Actor{ID: "583231", Email: "mona@example.com"},
				Subject:    &Subject{ID: "octo-org/blog", Type: "repository"},
			},
		},
		{
			name: "issue_comment: the issue is the subject",
			stored: storedEvent("github", "issue_comment.created", `{"action":"created",
				"issue":{"number":7,"updated_at":"2024-08-20T09:00:00Z"},"comment":{"id":99,"body":"+1"},
				"repository":{"full_name":"octo-org/blog"},"sender":{"login":"hubot","id":7,"email":"hubot@example.com"}}`),
			want: Envelope{
				Type:       "issue_comment.created",
				OccurredAt: time.Date(2024, 8, 20, 9, 0, 0, 0, time.UTC),
				Actor:      &Actor{ID: "7", Email: "hubot@example.com"},
				Subject:    &Subject{ID: "octo-org/blog#7", Type: "issue"},
				Action:     &Action{Type: "created"},
			},
		},
		{
			name: "organization event without repository: the organization is the subject",
			stored: storedEvent("github", "organization.member_added", `{"action":"member_added",
				"organization":{"login":"octo-org","id":9919},"sender":{"login":"octocat","id":583231}}`),
			want: Envelope{
				Type:    "organization.member_added",
				Actor:   &Actor{ID: "583231"},
				Subject: &Subject{ID: "octo-org", Type: "organization"},
				Action:  &Action{Type: "member_added"},
			},
		},
		{
			name: "the stored type is the type, whatever the unsigned X-GitHub-Event header says",
			stored: storedEvent("github", "ping", `{"zen":"Keep it logically awesome.","hook_id":1,"repository":{"full_name":"octo-org/blog"}}`,
				"X-GitHub-Event", "push"),
			want: Envelope{Type: "ping", Subject: &Subject{ID: "octo-org/blog", Type: "repository"}},
		},
		{
			name:   "an unparseable timestamp falls back to received_at",
			stored: storedEvent("github", "push", `{"head_commit":{"timestamp":"yesterday"},"sender":{"id":1}}`),
			want:   Envelope{Type: "push", Actor: &Actor{ID: "1"}},
		},
	})
}
