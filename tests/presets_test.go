package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// The trust rules hold for the presets through the built Caddy: an
// unsigned id header is a label, a signed timestamp is held to the
// provider's window, a token preset's header never reaches a log.
func TestPresetsKeepTheTrustRulesAtTheEdge(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `
	webhook /shopify shopify {
		secret shpss_edge
	}
	webhook /linear linear {
		secret lin_edge
	}
	webhook /zendesk zendesk {
		secret zd_edge
	}
	webhook /paddle paddle {
		secret pdl_edge_old pdl_edge_new
	}
	webhook /gitlab gitlab {
		secret glwht-edge-token
	}
	respond "site"
`)
	signed := func(t *testing.T, provider, secret, body string, at time.Time) http.Header {
		t.Helper()
		h, err := sign.Sign(provider, secret, []byte(body), at, "", sign.Options{Event: "orders/create"})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	now := time.Now()
	ms := func(at time.Time) string { return strconv.FormatInt(at.UnixMilli(), 10) }
	for _, tc := range []struct {
		name, path, provider, secret, body string
		at                                 time.Time
		edit                               func(http.Header)
		first, again                       int    // status of the request, and of the same request sent again after edit
		reply                              string // part of the second reply
	}{
		{"a fresh Shopify webhook id does not make a replay new", "/shopify", "shopify", "shpss_edge", `{"id":1,"run":"edge"}`, now,
			func(h http.Header) { h.Set("X-Shopify-Webhook-Id", "another-label") }, 202, 200, `"status":"duplicate"`},
		{"Shopify's topic header cannot re-type the stored event", "/shopify", "shopify", "shpss_edge", `{"id":2,"run":"edge"}`, now,
			func(h http.Header) { h.Set("X-Shopify-Topic", "orders/paid") }, 202, 200, `"status":"duplicate"`},
		{"a Linear body older than its minute is refused", "/linear", "linear", "lin_edge",
			`{"type":"Issue","action":"create","webhookTimestamp":` + ms(now.Add(-61*time.Second)) + `}`, now.Add(-61 * time.Second),
			nil, 401, 401, "timestamp outside tolerance"},
		{"a Linear body from the future is refused", "/linear", "linear", "lin_edge",
			`{"type":"Issue","action":"create","webhookTimestamp":` + ms(now.Add(61*time.Second)) + `}`, now.Add(61 * time.Second),
			nil, 401, 401, "timestamp outside tolerance"},
		{"a stale Zendesk timestamp is refused", "/zendesk", "zendesk", "zd_edge", `{"type":"zen:event-type:ticket.created"}`, now.Add(-6 * time.Minute),
			nil, 401, 401, "timestamp outside tolerance"},
		{"a Zendesk timestamp changed after signing is refused", "/zendesk", "zendesk", "zd_edge", `{"type":"zen:event-type:ticket.created","n":1}`, now,
			func(h http.Header) {
				h.Set("X-Zendesk-Webhook-Signature-Timestamp", now.Add(time.Second).UTC().Format(time.RFC3339))
			}, 202, 401, "signature mismatch"},
		{"Paddle signed with the rotation secret", "/paddle", "paddle", "pdl_edge_new", `{"event_id":"evt_edge","event_type":"transaction.completed"}`, now,
			nil, 202, 200, `"status":"duplicate"`},
		{"a GitLab replay under a fresh event uuid is a duplicate", "/gitlab", "gitlab", "glwht-edge-token", `{"object_kind":"push","run":"edge"}`, now,
			func(h http.Header) { h.Set("X-Gitlab-Event-UUID", "another-uuid") }, 202, 200, `"status":"duplicate"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := signed(t, tc.provider, tc.secret, tc.body, tc.at)
			if status, _, reply := c.post(t, tc.path, h, []byte(tc.body)); status != tc.first {
				t.Fatalf("first request: %d %s", status, reply)
			}
			if tc.edit != nil {
				tc.edit(h)
			}
			status, _, reply := c.post(t, tc.path, h, []byte(tc.body))
			if status != tc.again || !strings.Contains(reply, tc.reply) {
				t.Fatalf("second request: %d %s, want %d with %s", status, reply, tc.again, tc.reply)
			}
		})
	}
}
