package event

import "bytes"

// githubPayload is the part of a GitHub webhook payload the envelope needs
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads).
type githubPayload struct {
	Action     string      `json:"action"`
	Sender     *githubUser `json:"sender"`
	Pusher     *githubUser `json:"pusher"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Organization *struct {
		Login string `json:"login"`
	} `json:"organization"`
	PullRequest *githubItem `json:"pull_request"`
	Issue       *githubItem `json:"issue"`
	HeadCommit  *struct {
		Timestamp string `json:"timestamp"`
	} `json:"head_commit"`
}

type githubUser struct {
	ID    flexID `json:"id"`
	Email string `json:"email"`
}

type githubItem struct {
	Number    flexID `json:"number"`
	UpdatedAt string `json:"updated_at"`
}

// normalizeGitHub maps a GitHub delivery. The type is what ingest stored
// (the X-GitHub-Event name joined with the body's action, "issues.opened");
// the body's action ("opened") is the action. The subject is
// the most specific thing the payload is about: a pull request or issue as
// "owner/repo#number", else the repository ("owner/repo"), else the
// organization. The actor is the sender: its numeric id, and an email only
// when GitHub sent one (sender.email, or pusher.email on push); the login is
// not an email and is left in data. occurred_at is the head commit's time on
// push, else the pull request's or issue's updated_at, else received_at.
// data is the whole body.
func normalizeGitHub(s Stored, e *Envelope) error {
	var p githubPayload
	if err := decodeObject(s.Body, &p); err != nil {
		return err
	}
	if p.Action != "" {
		e.Action = &Action{Type: p.Action}
	}
	e.Subject = githubSubject(&p)
	if p.Sender != nil {
		actor := Actor{ID: string(p.Sender.ID), Email: p.Sender.Email}
		if actor.Email == "" && p.Pusher != nil {
			actor.Email = p.Pusher.Email
		}
		if actor != (Actor{}) {
			e.Actor = &actor
		}
	}
	if t, ok := firstTime(rfc3339, githubTimes(&p)...); ok {
		e.OccurredAt = t
	}
	e.Data = bytes.Clone(s.Body)
	return nil
}

func githubSubject(p *githubPayload) *Subject {
	repo := ""
	if p.Repository != nil {
		repo = p.Repository.FullName
	}
	switch {
	case p.PullRequest != nil && p.PullRequest.Number != "" && repo != "":
		return &Subject{ID: repo + "#" + string(p.PullRequest.Number), Type: "pull_request"}
	case p.Issue != nil && p.Issue.Number != "" && repo != "":
		return &Subject{ID: repo + "#" + string(p.Issue.Number), Type: "issue"}
	case repo != "":
		return &Subject{ID: repo, Type: "repository"}
	case p.Organization != nil && p.Organization.Login != "":
		return &Subject{ID: p.Organization.Login, Type: "organization"}
	}
	return nil
}

// githubTimes lists the payload's candidate occurrence times, best first.
func githubTimes(p *githubPayload) []string {
	var ts []string
	if p.HeadCommit != nil {
		ts = append(ts, p.HeadCommit.Timestamp)
	}
	if p.PullRequest != nil {
		ts = append(ts, p.PullRequest.UpdatedAt)
	}
	if p.Issue != nil {
		ts = append(ts, p.Issue.UpdatedAt)
	}
	return ts
}
