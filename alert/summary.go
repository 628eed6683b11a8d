package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Summary is what one alert says, the body of FormatJSON.
type Summary struct {
	Relay string `json:"relay"`
	// DeadLettered counts the events dead-lettered from First to Last.
	DeadLettered int       `json:"dead_lettered"`
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	// EventIDs are the first few of them.
	EventIDs []string `json:"event_ids"`
	// LastEvent is the most recent one: its id, source, type, the status
	// of its last attempt (0 when none answered) and its error.
	LastEvent LastEvent `json:"last_event"`
	// Command lists the dead letters.
	Command string `json:"command"`
}

// LastEvent describes the most recent dead letter of a Summary.
type LastEvent struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Type     string `json:"type"`
	Attempts int    `json:"attempts"`
	Status   int    `json:"status"`
	Error    string `json:"error,omitempty"`
}

func (a *Alerter) summary(w window) Summary {
	return Summary{
		Relay: a.cfg.Relay, DeadLettered: w.count, First: w.from.UTC(), Last: w.to.UTC(), EventIDs: w.ids,
		LastEvent: LastEvent{
			ID: w.last.Event.ID, Source: w.last.Event.Source, Type: w.last.Event.Type,
			Attempts: w.last.Attempt, Status: w.last.Status, Error: w.last.Error,
		},
		Command: "caddy hookgate dead ls --relay " + a.cfg.Relay,
	}
}

func (a *Alerter) encode(w window) ([]byte, error) {
	s := a.summary(w)
	if a.cfg.Format == FormatJSON {
		return json.Marshal(s)
	}
	return json.Marshal(map[string]string{"text": s.text()})
}

// slackEscape keeps event ids and types, which the senders chose, from
// being read as Slack markup: "<!channel>" would notify a whole channel
// and "<https://x|text>" would disguise a link. Slack asks for exactly
// these three escapes.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// text is the one message a person reads in Slack.
func (s Summary) text() string {
	var b strings.Builder
	noun := "events were"
	if s.DeadLettered == 1 {
		noun = "event was"
	}
	fmt.Fprintf(&b, "Hookgate relay %s: %d %s dead-lettered", s.Relay, s.DeadLettered, noun)
	if s.DeadLettered > 1 {
		fmt.Fprintf(&b, " between %s and %s", s.First.Format(time.RFC3339), s.Last.Format(time.RFC3339))
	} else {
		fmt.Fprintf(&b, " at %s", s.Last.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, ".\nEvents: %s", strings.Join(s.EventIDs, ", "))
	if more := s.DeadLettered - len(s.EventIDs); more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	e := s.LastEvent
	fmt.Fprintf(&b, "\nLast: %s %s after %d attempts", e.Source, e.Type, e.Attempts)
	if e.Status != 0 {
		fmt.Fprintf(&b, ", status %d", e.Status)
	}
	if e.Error != "" {
		fmt.Fprintf(&b, ", %s", e.Error)
	}
	fmt.Fprintf(&b, "\nSee them: %s", s.Command)
	return slackEscape.Replace(b.String())
}
