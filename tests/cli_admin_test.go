package tests

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Through a real Caddy: an event a failing target dead-letters is seen by
// `hookgate stats`, `dead ls` and `event`, and `dead replay --all` gets it
// delivered once the target is back.
func TestHookgateCLIThroughTheRealAdminAPI(t *testing.T) {
	srv := redistest.Start(t)
	var code, delivered atomic.Int32
	code.Store(400)
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := int(code.Load())
		if c == 200 {
			delivered.Add(1)
		}
		w.WriteHeader(c)
	}))
	defer tg.Close()
	c := startCaddy(t, srv.URL(), relayBlock("wp", tg.URL, "max_attempts 1"), stripeRoute)
	body := stripeEvent("evt_cli_dead")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("ingest: %d %s", status, reply)
	}
	admin := []string{"--address", c.AdminAddr}
	var page struct {
		Entries []struct {
			ID      string `json:"id"`
			EventID string `json:"event_id"`
		} `json:"entries"`
	}
	waitFor(t, 15*time.Second, "dead ls --json to list the dead letter", func() bool {
		out, stderr, code := hookgateCLI(t, "", nil, append([]string{"dead", "ls", "--relay", "wp", "--json"}, admin...)...)
		if code != 0 {
			t.Fatalf("dead ls exited %d: %s", code, stderr)
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("dead ls --json printed %q: %v", out, err)
		}
		return len(page.Entries) == 1
	})
	if page.Entries[0].EventID != "evt_cli_dead" {
		t.Fatalf("dead letter %+v", page.Entries[0])
	}

	out, stderr, exit := hookgateCLI(t, "", nil, append([]string{"dead", "ls", "--relay", "wp"}, admin...)...)
	if exit != 0 || !strings.Contains(out, page.Entries[0].ID) || !strings.Contains(out, "evt_cli_dead") || !strings.Contains(out, "400") {
		t.Errorf("dead ls exited %d, printed:\n%s%s", exit, out, stderr)
	}
	out, stderr, exit = hookgateCLI(t, "", nil, append([]string{"stats"}, admin...)...)
	if exit != 0 || !hasRow(out, "events", "wp", "1", "closed") {
		t.Errorf("stats exited %d, printed:\n%s%s", exit, out, stderr)
	}
	out, stderr, exit = hookgateCLI(t, "", nil, append([]string{"event", "stripe", "default", "evt_cli_dead"}, admin...)...)
	if exit != 0 || !hasRow(out, "wp", "dead", page.Entries[0].ID) {
		t.Errorf("event exited %d, printed:\n%s%s", exit, out, stderr)
	}

	code.Store(200)
	out, stderr, exit = hookgateCLI(t, "", nil, append([]string{"dead", "replay", "--relay", "wp", "--all"}, admin...)...)
	if exit != 0 || out != "replayed 1\n" {
		t.Fatalf("dead replay exited %d, printed %q %s", exit, out, stderr)
	}
	waitFor(t, 15*time.Second, "the replayed event delivered", func() bool { return delivered.Load() == 1 })

	_, stderr, exit = hookgateCLI(t, "", nil, append([]string{"dead", "ls", "--relay", "nope"}, admin...)...)
	if exit == 0 || !strings.Contains(stderr, "nope") {
		t.Errorf("an unknown relay: exit %d, stderr %q", exit, stderr)
	}
}

// hasRow reports whether some line of a table holds every cell.
func hasRow(table string, cells ...string) bool {
	for _, line := range strings.Split(table, "\n") {
		fields := strings.Fields(line)
		all := true
		for _, c := range cells {
			found := false
			for _, f := range fields {
				found = found || f == c
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}
