package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/relay"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI serves /hookgate/ on Caddy's admin endpoint, so it is exactly
// as reachable and as protected as that endpoint: stats, dead letters and
// their replay, where an event is, redelivery to one relay. It holds no
// state: every request reads the hookgate app Caddy runs now. Caddy loads
// every admin.api module by itself; there is nothing to configure.
type AdminAPI struct{}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.hookgate",
		New: func() caddy.Module { return new(AdminAPI) },
	}
}

// Routes returns the admin routes: one prefix, so that every path under it,
// unknown ones too, gets a JSON answer.
func (a *AdminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/hookgate/", Handler: caddy.AdminHandlerFunc(a.serve)}}
}

// adminTimeout bounds one admin request in Redis. Bulk work goes in short
// batches, so a long request holds Redis for no more than one at a time.
const adminTimeout = 60 * time.Second

// maxAdminBody bounds a POST body: some 40,000 ids.
const maxAdminBody = 1 << 20

func (a *AdminAPI) serve(w http.ResponseWriter, r *http.Request) error {
	path := strings.TrimPrefix(r.URL.Path, "/hookgate")
	var method string
	var handle func(context.Context, *App, http.ResponseWriter, *http.Request) error
	switch {
	case path == "/stats":
		method, handle = http.MethodGet, serveStats
	case path == "/dead":
		method, handle = http.MethodGet, serveDead
	case path == "/dead/replay":
		method, handle = http.MethodPost, serveReplay
	case path == "/dead/purge":
		method, handle = http.MethodPost, servePurge
	case path == "/redeliver":
		method, handle = http.MethodPost, serveRedeliver
	case strings.HasPrefix(path, "/events/"):
		method, handle = http.MethodGet, serveEvent
	default:
		return apiError(http.StatusNotFound, "no hookgate admin endpoint %s", r.URL.Path)
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		return apiError(http.StatusMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, method, r.Method)
	}
	app := running.Load()
	if app == nil {
		return apiError(http.StatusServiceUnavailable, "no hookgate app is running")
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTimeout)
	defer cancel()
	return handle(ctx, app, w, r)
}

// apiError is an error Caddy's admin endpoint answers as {"error":"…"}.
func apiError(status int, format string, args ...any) error {
	return caddy.APIError{HTTPStatus: status, Err: fmt.Errorf(format, args...)}
}

// redisError answers a failed Redis call: the store is what is missing,
// so the caller may try again.
func redisError(err error) error {
	return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: fmt.Errorf("redis: %w", err)}
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// readJSON decodes a POST body into v, refusing unknown fields: a
// misspelt selector must not widen what a replay or purge touches.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apiError(http.StatusRequestEntityTooLarge, "body is larger than %d bytes", maxAdminBody)
		}
		return apiError(http.StatusBadRequest, "body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apiError(http.StatusBadRequest, "body: more than one JSON value")
	}
	return nil
}

// relayNamed is the running relay called name.
func (a *App) relayNamed(name string) (*relay.Relay, error) {
	if name == "" {
		return nil, apiError(http.StatusBadRequest, "relay is required")
	}
	for _, r := range a.relays {
		if r.name == name {
			return r.relay, nil
		}
	}
	return nil, apiError(http.StatusNotFound, "no relay named %q", name)
}

// streams names every stream this config reads or writes, sorted: those
// of its relays and those its webhook routes store into.
func (a *App) streams() []relay.Keys {
	seen := map[string]relay.Keys{}
	for _, r := range a.relays {
		seen[r.relay.Keys().Name()] = r.relay.Keys()
	}
	if a.signers != nil {
		a.signers.mu.Lock()
		for _, s := range a.signers.byScope {
			if _, ok := seen[s]; !ok {
				if k, err := relay.NewKeys(a.Prefix, s); err == nil {
					seen[s] = k
				}
			}
		}
		a.signers.mu.Unlock()
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]relay.Keys, len(names))
	for i, n := range names {
		out[i] = seen[n]
	}
	return out
}

// parseTime reads an RFC 3339 time field of a request.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, apiError(http.StatusBadRequest, "%s must be an RFC 3339 time such as 2024-05-01T12:00:00Z, got %q", field, s)
	}
	return t, nil
}

// stamp writes a time as RFC 3339 with its milliseconds, "" for none.
func stamp(t time.Time) string {
	if t.UnixMilli() <= 0 {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Interface guards
var _ caddy.AdminRouter = (*AdminAPI)(nil)
