package hostile

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	ct "github.com/hookgate/caddy-hookgate/internal/caddytest"
)

// Two routes of one provider with different options must each keep their
// own, also after a reload drops an option.
func TestRouteOptionsDoNotBleed(t *testing.T) {
	withTimestamp := `
	webhook /a hmac {
		secret ` + ct.HMACSecret + `
		header X-Sig
		algorithm sha512
		timestamp_header X-Ts
		id_field id
	}
	webhook /b hmac {
		secret ` + ct.HMACSecret + `
		header X-Sig
		id_field id
	}`
	g := startGateway(t, "", withTimestamp)
	now := time.Now()
	sha512Signed := func(body string, at time.Time) http.Header {
		ts := strconv.FormatInt(at.Unix(), 10)
		m := hmac.New(sha512.New, []byte(ct.HMACSecret))
		m.Write([]byte(ts + "." + body))
		return http.Header{"Content-Type": {"application/json"}, "X-Ts": {ts}, "X-Sig": {hex.EncodeToString(m.Sum(nil))}}
	}
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		body   string
		status int
	}{
		{"route a takes its sha512 signature over the timestamp", "/a", sha512Signed(`{"id":"a1"}`, now), `{"id":"a1"}`, 202},
		{"route a refuses a request without its timestamp", "/a", ct.HMACSigned(`{"id":"a2"}`, time.Time{}), `{"id":"a2"}`, 401},
		{"route a refuses a stale timestamp", "/a", sha512Signed(`{"id":"a3"}`, now.Add(-time.Hour)), `{"id":"a3"}`, 401},
		{"route b does not inherit a's timestamp or algorithm", "/b", ct.HMACSigned(`{"id":"b1"}`, time.Time{}), `{"id":"b1"}`, 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, reply := g.Post(t, tc.path, tc.header, []byte(tc.body)); status != tc.status {
				t.Fatalf("%d %s, want %d", status, reply, tc.status)
			}
		})
	}

	t.Run("a reload that drops algorithm and timestamp_header drops them", func(t *testing.T) {
		dropped := `
	webhook /a hmac {
		secret ` + ct.HMACSecret + `
		header X-Sig
		id_field id
	}`
		g.Reload(t, "", dropped, "/reloaded")
		if status, _, reply := g.Post(t, "/a", ct.HMACSigned(`{"id":"a4"}`, time.Time{}), []byte(`{"id":"a4"}`)); status != 202 {
			t.Fatalf("sha256 body-only signature after the reload: %d %s, want 202", status, reply)
		}
		if status, _, reply := g.Post(t, "/a", sha512Signed(`{"id":"a5"}`, now), []byte(`{"id":"a5"}`)); status != 401 {
			t.Fatalf("the dropped sha512 scheme still verifies: %d %s", status, reply)
		}
	})
}
