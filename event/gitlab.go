package event

import (
	"bytes"
	"strings"
	"time"
)

// gitlabPayload is the part of a GitLab webhook body the envelope needs
// (https://docs.gitlab.com/user/project/integrations/webhook_events/).
// Push and tag push events name the user in flat user_* fields; the others
// carry a user object and the event's object in object_attributes.
type gitlabPayload struct {
	ObjectKind   string      `json:"object_kind"`
	UserUsername string      `json:"user_username"`
	UserEmail    string      `json:"user_email"`
	User         *gitlabUser `json:"user"`
	Project      *struct {
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
	ObjectAttributes *struct {
		ID        flexID `json:"id"`
		IID       flexID `json:"iid"`
		Action    string `json:"action"`
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	} `json:"object_attributes"`
	CheckoutSHA string `json:"checkout_sha"`
	Commits     []struct {
		ID        string `json:"id"`
		Timestamp string `json:"timestamp"`
	} `json:"commits"`
}

type gitlabUser struct {
	Username string `json:"username"`
	Email    string `json:"email"`
}

// gitlabTimes are the layouts GitLab's payloads use: RFC 3339 in most
// events, "2015-05-17 18:08:09 UTC" in notes, pipelines and older
// versions.
var gitlabTimes = []string{time.RFC3339Nano, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700"}

// normalizeGitLab maps a GitLab delivery. The action is
// object_attributes.action ("open", "merge", "update"); push events have
// none. The subject is a merge request as "group/project!iid", an issue or
// work item as "group/project#iid", another object_attributes object by its
// id and object_kind (a note, a pipeline), else the project
// (path_with_namespace). The actor is the user by username (user.username,
// or user_username on push events: GitLab sends it in every event, while
// user.id is missing from some), with the user's email when GitLab sent a
// real one (an address without "@", such as "[REDACTED]", is none).
// occurred_at is, on push, the timestamp of the checkout_sha commit, else
// object_attributes.updated_at or created_at. data is the whole body.
func normalizeGitLab(s Stored, e *Envelope) error {
	var p gitlabPayload
	if err := decodeObject(s.Body, &p); err != nil {
		return err
	}
	attrs := p.ObjectAttributes
	if attrs != nil && attrs.Action != "" {
		e.Action = &Action{Type: attrs.Action}
	}
	e.Subject = gitlabSubject(&p)
	user := gitlabUser{Username: p.UserUsername, Email: p.UserEmail}
	if p.User != nil {
		user = *p.User
	}
	if !strings.Contains(user.Email, "@") {
		user.Email = ""
	}
	e.Actor = newActor(user.Username, user.Email)
	var ts []string
	for _, c := range p.Commits {
		if c.ID == p.CheckoutSHA && c.ID != "" {
			ts = append(ts, c.Timestamp)
		}
	}
	if attrs != nil {
		ts = append(ts, attrs.UpdatedAt, attrs.CreatedAt)
	}
	if t, ok := firstTime(gitlabTimes, ts...); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}

func gitlabSubject(p *gitlabPayload) *Subject {
	project := ""
	if p.Project != nil {
		project = p.Project.PathWithNamespace
	}
	if a := p.ObjectAttributes; a != nil {
		switch {
		case p.ObjectKind == "merge_request" && a.IID != "" && project != "":
			return &Subject{ID: project + "!" + string(a.IID), Type: "merge_request"}
		case (p.ObjectKind == "issue" || p.ObjectKind == "work_item") && a.IID != "" && project != "":
			return &Subject{ID: project + "#" + string(a.IID), Type: p.ObjectKind}
		case a.ID != "" && p.ObjectKind != "":
			return &Subject{ID: string(a.ID), Type: p.ObjectKind}
		}
	}
	return newSubject(project, "project")
}
