package event

import (
	"testing"
	"time"
)

func TestNormalizeGitLab(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "merge_request: the action is object_attributes.action, the subject project!iid, the actor user.username",
			stored: storedEvent("gitlab", "merge_request", string(readTestdata(t, "gitlab/merge_request_open.json"))),
			want: Envelope{
				Type:       "merge_request",
				OccurredAt: time.Date(2013, 12, 3, 17, 23, 34, 0, time.UTC),
				Actor:      &Actor{ID: "root", Email: "admin@example.com"},
				Subject:    &Subject{ID: "gitlabhq/gitlab-test!1", Type: "merge_request"},
				Action:     &Action{Type: "open"},
			},
		},
		{
			name:   "push: user_username is the actor, the checkout_sha commit's time occurred_at, the project the subject",
			stored: storedEvent("gitlab", "push", string(readTestdata(t, "gitlab/push.json"))),
			want: Envelope{
				Type:       "push",
				OccurredAt: time.Date(2012, 1, 3, 21, 36, 29, 0, time.UTC),
				Actor:      &Actor{ID: "jsmith", Email: "john@example.com"},
				Subject:    &Subject{ID: "mike/diaspora", Type: "project"},
			},
		},
		{
			name: "issue: project#iid, and a redacted email is no email",
			stored: storedEvent("gitlab", "issue", `{"object_kind":"issue","event_type":"issue",
				"user":{"id":1,"name":"Administrator","username":"root","email":"[REDACTED]"},
				"project":{"id":1,"path_with_namespace":"gitlabhq/gitlab-test"},
				"object_attributes":{"id":301,"iid":23,"title":"New API: create/update/delete file","action":"open",
				"created_at":"2013-12-03T17:15:43Z","updated_at":"2013-12-03T17:15:43Z"}}`),
			want: Envelope{
				Type:       "issue",
				OccurredAt: time.Date(2013, 12, 3, 17, 15, 43, 0, time.UTC),
				Actor:      &Actor{ID: "root"},
				Subject:    &Subject{ID: "gitlabhq/gitlab-test#23", Type: "issue"},
				Action:     &Action{Type: "open"},
			},
		},
		{
			name: "note: the note is the subject, and GitLab's 'UTC' time format is read",
			stored: storedEvent("gitlab", "note", `{"object_kind":"note","event_type":"note",
				"user":{"id":1,"username":"root","email":"admin@example.com"},
				"project":{"path_with_namespace":"gitlab-org/gitlab-test"},
				"object_attributes":{"id":1243,"note":"This is a commit comment. How does this work?","noteable_type":"Commit",
				"created_at":"2015-05-17 18:08:09 UTC","updated_at":"2015-05-17 18:08:09 UTC"}}`),
			want: Envelope{
				Type:       "note",
				OccurredAt: time.Date(2015, 5, 17, 18, 8, 9, 0, time.UTC),
				Actor:      &Actor{ID: "root", Email: "admin@example.com"},
				Subject:    &Subject{ID: "1243", Type: "note"},
			},
		},
		{
			name: "pipeline: the pipeline id is the subject, updated_at missing so created_at is occurred_at",
			stored: storedEvent("gitlab", "pipeline", `{"object_kind":"pipeline",
				"object_attributes":{"id":31,"iid":3,"status":"success","created_at":"2016-08-12 15:23:28 UTC"},
				"user":{"id":1,"name":"Administrator","username":"root"},"project":{"path_with_namespace":"gitlab-org/gitlab-test"}}`),
			want: Envelope{
				Type:       "pipeline",
				OccurredAt: time.Date(2016, 8, 12, 15, 23, 28, 0, time.UTC),
				Actor:      &Actor{ID: "root"},
				Subject:    &Subject{ID: "31", Type: "pipeline"},
			},
		},
		{
			name:   "a push whose checkout_sha commit is not listed falls back to received_at",
			stored: storedEvent("gitlab", "tag_push", `{"object_kind":"tag_push","checkout_sha":"x","commits":[],"user_username":"jsmith","project":{"path_with_namespace":"jsmith/example"}}`),
			want:   Envelope{Type: "tag_push", Actor: &Actor{ID: "jsmith"}, Subject: &Subject{ID: "jsmith/example", Type: "project"}},
		},
		{
			name:   "fields of unexpected types are dropped, not fatal",
			stored: storedEvent("gitlab", "issue", `{"object_kind":"issue","user":"root","object_attributes":{"action":1,"updated_at":1386090943}}`),
			want:   Envelope{Type: "issue"},
		},
	})
}
