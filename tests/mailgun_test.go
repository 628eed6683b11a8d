package tests

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// Through the built Caddy: Mailgun's signature object names the event by
// its token and is accepted once. Its signature covers timestamp and
// token only, so a captured object beside another event-data must never
// store a second event.
func TestMailgunRouteThroughCaddy(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	c := startCaddy(t, srv.URL(), relayOpts(s.URL, ""), "webhook /mailgun mailgun {\n\t\tsecret mg-signing-key\n\t}")
	xlen := func() string {
		t.Helper()
		n, err := srv.Do("XLEN", "hookgate:{events}")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(n, ":")
	}
	signed := func(secret, token, eventData string, at time.Time) string {
		t.Helper()
		b, err := sign.MailgunBody(secret, []byte(`{"event-data":`+eventData+`}`), at, token)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	delivered := `{"event":"delivered","id":"ev-1","recipient":"alice@example.com","timestamp":1529006854.329574}`
	first := signed("mg-signing-key", "tok_mailgun_first_0123456789", delivered, time.Now())
	forged := strings.Replace(first, `"event":"delivered"`, `"event":"complained"`, 1)
	json := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		body   string
		status int
		reply  string
		xlen   string
	}{
		{"a signed event is accepted under its token", first, 202, `{"status":"accepted","id":"tok_mailgun_first_0123456789"}`, "1"},
		{"the same request again is a duplicate", first, 200, `{"status":"duplicate","id":"tok_mailgun_first_0123456789"}`, "1"},
		{"the captured signature object beside another event-data stores nothing", forged, 200, `{"status":"duplicate","id":"tok_mailgun_first_0123456789"}`, "1"},
		{"another token is another event", signed("mg-signing-key", "tok_mailgun_second_012345678", `{"event":"opened","id":"ev-2"}`, time.Now()), 202, `{"status":"accepted","id":"tok_mailgun_second_012345678"}`, "2"},
		{"another signing key is refused", signed("mg-other-key", "tok_mailgun_third_0123456789", delivered, time.Now()), 401, `{"error":"signature mismatch"}`, "2"},
		{"a stale timestamp is refused", signed("mg-signing-key", "tok_mailgun_fourth_012345678", delivered, time.Now().Add(-10*time.Minute)), 401, `{"error":"timestamp outside tolerance"}`, "2"},
		{"no signature object is refused", `{"event-data":` + delivered + `}`, 401, `{"error":"missing signature"}`, "2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := c.post(t, "/mailgun", json, []byte(tc.body))
			if status != tc.status || strings.TrimSpace(reply) != tc.reply {
				t.Fatalf("%d %s, want %d %s", status, reply, tc.status, tc.reply)
			}
			if n := xlen(); n != tc.xlen {
				t.Fatalf("stream holds %s entries, want %s", n, tc.xlen)
			}
		})
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	entries, err := rdb.XRange(context.Background(), "hookgate:{events}", "-", "+").Result()
	if err != nil || len(entries) != 2 {
		t.Fatalf("XRANGE: %d entries, %v", len(entries), err)
	}
	for i, want := range []string{"delivered", "opened"} {
		if got := entries[i].Values["type"]; got != want {
			t.Errorf("entry %d is stored with type %v, want event-data.event %q", i, got, want)
		}
		if strings.Contains(entries[i].Values["body"].(string), "complained") {
			t.Errorf("entry %d holds the forged event-data", i)
		}
	}
	waitFor(t, 15*time.Second, "both events delivered", func() bool {
		got, bad := s.got()
		return len(bad) == 0 && got["mailgun:default:tok_mailgun_first_0123456789"] == 1 && got["mailgun:default:tok_mailgun_second_012345678"] == 1
	})
}
