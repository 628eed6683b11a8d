package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/relay"
)

// Paging of GET /hookgate/dead.
const (
	defaultDeadCount = 50
	maxDeadCount     = 1000
	deadBodyMax      = 1024
)

// deadReply is GET /hookgate/dead.
type deadReply struct {
	Relay   string      `json:"relay"`
	Entries []deadEntry `json:"entries"`
	// Next is the after of the next page, "" on the last.
	Next string `json:"next"`
}

type deadEntry struct {
	ID           string `json:"id"`    // in the dead-letter stream: for replay and purge
	Entry        string `json:"entry"` // the id it had where it was read from
	EventID      string `json:"event_id"`
	Source       string `json:"source"`
	Tenant       string `json:"tenant"`
	Type         string `json:"type"`
	Attempts     int    `json:"attempts"`
	Status       int    `json:"status"`
	Error        string `json:"error"`
	Body         string `json:"body"` // the start of the last answer
	FirstAttempt string `json:"first_attempt"`
	LastAttempt  string `json:"last_attempt"`
}

func serveDead(ctx context.Context, app *App, w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rl, err := app.relayNamed(q.Get("relay"))
	if err != nil {
		return err
	}
	count := defaultDeadCount
	if s := q.Get("count"); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 1 {
			return apiError(http.StatusBadRequest, "count must be a positive integer, got %q", s)
		}
		count = min(count, maxDeadCount)
	}
	after := q.Get("after")
	if after != "" && !relay.IsDeadID(after) {
		return apiError(http.StatusBadRequest, "after must be a dead letter id such as 1700000000000-0, got %q", after)
	}
	// One more than asked tells whether a next page exists.
	letters, err := relay.NewDeadLettersOf(app.store.relays, rl.Partitions(), rl.Name()).List(ctx, after, int64(count)+1)
	if err != nil {
		return redisError(err)
	}
	reply := deadReply{Relay: rl.Name(), Entries: make([]deadEntry, 0, min(len(letters), count))}
	if len(letters) > count {
		letters = letters[:count]
		reply.Next = letters[count-1].ID
	}
	for _, l := range letters {
		body := l.Body
		if len(body) > deadBodyMax {
			body = body[:deadBodyMax]
		}
		reply.Entries = append(reply.Entries, deadEntry{
			ID: l.ID, Entry: l.Entry, EventID: l.Event.ID, Source: l.Event.Source, Tenant: l.Event.Tenant,
			Type: l.Event.Type, Attempts: l.Attempts, Status: l.Status, Error: l.Error, Body: body,
			FirstAttempt: stamp(l.FirstAttempt), LastAttempt: stamp(l.LastAttempt),
		})
	}
	return writeJSON(w, reply)
}

// deadSelector is the body of POST /hookgate/dead/replay and /purge: a
// relay and exactly one of ids, all, or type and/or since.
type deadSelector struct {
	Relay string   `json:"relay"`
	IDs   []string `json:"ids,omitempty"`
	All   bool     `json:"all,omitempty"`
	Type  string   `json:"type,omitempty"`  // path.Match glob over the event type
	Since string   `json:"since,omitempty"` // RFC 3339: last attempt at or after
}

// deadOps is what a selector is applied with: replay's or purge's.
type deadOps struct {
	ids      func(context.Context, ...string) (int, error)
	all      func(context.Context) (int, error)
	matching func(context.Context, relay.DeadMatch) (int, error)
}

// applyDead reads the selector from r and runs the op it names on the dead
// letters of its relay.
func (app *App) applyDead(ctx context.Context, w http.ResponseWriter, r *http.Request, ops func(*relay.DeadLetters) deadOps) (relayName string, n int, err error) {
	var sel deadSelector
	if err := readJSON(w, r, &sel); err != nil {
		return "", 0, err
	}
	rl, err := app.relayNamed(sel.Relay)
	if err != nil {
		return "", 0, err
	}
	kinds := 0
	for _, given := range []bool{sel.IDs != nil, sel.All, sel.Type != "" || sel.Since != ""} {
		if given {
			kinds++
		}
	}
	if kinds != 1 {
		return "", 0, apiError(http.StatusBadRequest, `give exactly one selector: "ids", "all": true, or "type" and/or "since"`)
	}
	var match relay.DeadMatch
	switch {
	case sel.IDs != nil:
		if len(sel.IDs) == 0 {
			return "", 0, apiError(http.StatusBadRequest, "ids is empty")
		}
		for _, id := range sel.IDs {
			if !relay.IsDeadID(id) {
				return "", 0, apiError(http.StatusBadRequest, "ids must be dead letter ids such as 1700000000000-0 (or 2/1700000000000-0 in partition 2), got %q", id)
			}
		}
	case !sel.All:
		match.Type = sel.Type
		if err := match.Check(); err != nil {
			return "", 0, apiError(http.StatusBadRequest, "%v", err)
		}
		if sel.Since != "" {
			if match.Since, err = parseTime("since", sel.Since); err != nil {
				return "", 0, err
			}
		}
	}
	op := ops(relay.NewDeadLettersOf(app.store.relays, rl.Partitions(), rl.Name()))
	switch {
	case sel.IDs != nil:
		n, err = op.ids(ctx, sel.IDs...)
	case sel.All:
		n, err = op.all(ctx)
	default:
		n, err = op.matching(ctx, match)
	}
	return rl.Name(), n, err
}

func serveReplay(ctx context.Context, app *App, w http.ResponseWriter, r *http.Request) error {
	name, n, err := app.applyDead(ctx, w, r, func(d *relay.DeadLetters) deadOps {
		return deadOps{ids: d.Replay, all: d.ReplayAll, matching: d.ReplayMatching}
	})
	// metrics: replayed — n dead letters of relay name went back to its
	// replay stream; n counts them also when err stopped a bulk replay midway.
	countReplayed(name, n)
	if err != nil {
		return deadError(err, name, "replayed", n)
	}
	return writeJSON(w, map[string]int{"replayed": n})
}

func servePurge(ctx context.Context, app *App, w http.ResponseWriter, r *http.Request) error {
	name, n, err := app.applyDead(ctx, w, r, func(d *relay.DeadLetters) deadOps {
		return deadOps{ids: d.Purge, all: d.PurgeAll, matching: d.PurgeMatching}
	})
	if err != nil {
		return deadError(err, name, "purged", n)
	}
	return writeJSON(w, map[string]int{"purged": n})
}

// deadError passes a request error through, and says of a Redis one how
// far a bulk operation got, since what it did stays done.
func deadError(err error, relayName, done string, n int) error {
	var apiErr caddy.APIError
	if errors.As(err, &apiErr) {
		return err
	}
	return apiError(http.StatusServiceUnavailable, "redis: relay %q: %v (%s %d before the error)", relayName, err, done, n)
}
