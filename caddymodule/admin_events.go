package caddymodule

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookgate/caddy-hookgate/relay"
)

// eventReply is GET /hookgate/events/{source}/{tenant}/{id}.
type eventReply struct {
	Source string `json:"source"`
	Tenant string `json:"tenant"`
	ID     string `json:"id"`
	// Stored is where the event is in its stream; absent once the stream
	// has been trimmed past it while a relay still holds a dead letter.
	Stored *storedAt    `json:"stored,omitempty"`
	Relays []eventState `json:"relays"`
}

type storedAt struct {
	Stream     string `json:"stream"`
	Entry      string `json:"entry"`
	ReceivedAt string `json:"received_at"`
}

type eventState struct {
	Relay       string `json:"relay"`
	State       string `json:"state"` // delivered, pending, scheduled or dead
	NextAttempt string `json:"next_attempt,omitempty"`
	Attempts    int    `json:"attempts,omitempty"`
	Status      int    `json:"status,omitempty"`
	Error       string `json:"error,omitempty"`
	DeadID      string `json:"dead_id,omitempty"`
}

func serveEvent(ctx context.Context, app *App, w http.ResponseWriter, r *http.Request) error {
	// Escaped segments, so an id holding "/" can be asked for as %2F.
	parts := strings.SplitN(strings.TrimPrefix(r.URL.EscapedPath(), "/hookgate/events/"), "/", 3)
	if len(parts) != 3 {
		return apiError(http.StatusBadRequest, "the path is /hookgate/events/{source}/{tenant}/{id}")
	}
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil || s == "" {
			return apiError(http.StatusBadRequest, "the path is /hookgate/events/{source}/{tenant}/{id}, each part not empty")
		}
		parts[i] = s
	}
	ref := relay.EventRef{Source: parts[0], Tenant: parts[1], ID: parts[2]}
	reply := eventReply{Source: ref.Source, Tenant: ref.Tenant, ID: ref.ID, Relays: []eventState{}}
	streams := app.streams()
	var scannedIn []string
	for _, keys := range streams {
		at, found, scanned, err := relay.Locate(ctx, app.store.relays, keys, ref, relay.DefaultLocateLimit)
		if err != nil {
			return redisError(err)
		}
		if found {
			reply.Stored = &storedAt{Stream: at.Stream, Entry: at.Entry, ReceivedAt: stamp(at.ReceivedAt)}
			break
		}
		scannedIn = append(scannedIn, describeScan(keys.Name(), scanned))
	}
	for _, rr := range app.relays {
		entry := ""
		if reply.Stored != nil {
			if rr.relay.Keys().Name() != reply.Stored.Stream {
				continue
			}
			entry = reply.Stored.Entry
		}
		st, found, err := relay.LocateIn(ctx, app.store.relays, rr.relay.Keys(), rr.name, ref, entry, relay.DefaultLocateLimit)
		if err != nil {
			return redisError(err)
		}
		if found {
			reply.Relays = append(reply.Relays, eventState{
				Relay: st.Relay, State: st.State, NextAttempt: stamp(st.NextAttempt),
				Attempts: st.Attempts, Status: st.Status, Error: st.Error, DeadID: st.DeadID,
			})
		}
	}
	if reply.Stored == nil && len(reply.Relays) == 0 {
		if len(streams) == 0 {
			return apiError(http.StatusNotFound, "event %s/%s/%s not found: this config has no stream", ref.Source, ref.Tenant, ref.ID)
		}
		return apiError(http.StatusNotFound, "event %s/%s/%s not found in %s; older entries are not searched",
			ref.Source, ref.Tenant, ref.ID, strings.Join(scannedIn, ", "))
	}
	return writeJSON(w, reply)
}

// describeScan says how far a lookup looked in a stream, so a 404 tells
// "not stored" from "not among the entries searched".
func describeScan(stream string, scanned int) string {
	if scanned >= relay.DefaultLocateLimit {
		return "the last " + strconv.Itoa(scanned) + " entries of stream " + stream
	}
	return "stream " + stream + " (all " + strconv.Itoa(scanned) + " entries)"
}

// redeliverRequest is the body of POST /hookgate/redeliver: a relay and
// either a time range of ingest (from and to, both included) or stream
// entry ids.
type redeliverRequest struct {
	Relay string   `json:"relay"`
	From  string   `json:"from,omitempty"`
	To    string   `json:"to,omitempty"`
	IDs   []string `json:"ids,omitempty"`
}

func serveRedeliver(ctx context.Context, app *App, w http.ResponseWriter, r *http.Request) error {
	var req redeliverRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	rl, err := app.relayNamed(req.Relay)
	if err != nil {
		return err
	}
	byRange := req.From != "" || req.To != ""
	if byRange == (req.IDs != nil) {
		return apiError(http.StatusBadRequest, `give either "from" and "to" or "ids"`)
	}
	var n int
	if byRange {
		if req.From == "" || req.To == "" {
			return apiError(http.StatusBadRequest, `a range needs both "from" and "to"`)
		}
		from, err := parseTime("from", req.From)
		if err != nil {
			return err
		}
		to, err := parseTime("to", req.To)
		if err != nil {
			return err
		}
		if to.Before(from) {
			return apiError(http.StatusBadRequest, "to %s is before from %s", req.To, req.From)
		}
		n, err = relay.RedeliverOf(ctx, app.store.relays, rl.Partitions(), rl.Name(), from, to)
		if err != nil {
			return apiError(http.StatusServiceUnavailable, "redis: %v (queued %d before the error)", err, n)
		}
	} else {
		if len(req.IDs) == 0 {
			return apiError(http.StatusBadRequest, "ids is empty")
		}
		for _, id := range req.IDs {
			if !relay.IsEntryID(id) {
				return apiError(http.StatusBadRequest, "ids must be stream entry ids such as 1700000000000-0, got %q", id)
			}
		}
		n, err = relay.RedeliverIDsOf(ctx, app.store.relays, rl.Partitions(), rl.Name(), req.IDs)
		if err != nil {
			return apiError(http.StatusServiceUnavailable, "redis: %v (queued %d before the error)", err, n)
		}
	}
	return writeJSON(w, map[string]int{"queued": n})
}
