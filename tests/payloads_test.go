package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// payloadLines are the route's log lines (the harness runs Caddy at
// DEBUG) that carry marker.
func payloadLines(c *caddy, marker string) []string {
	var out []string
	for _, line := range strings.Split(c.Log.String(), "\n") {
		if strings.Contains(line, marker) {
			out = append(out, line)
		}
	}
	return out
}

// Bodies are customers' data: no log line carries one unless the route
// asks for it with log_payloads, and then only up to its size.
func TestPayloadsAreLoggedOnlyWithLogPayloads(t *testing.T) {
	const marker = "payload-marker-Hq7"
	body := func(id string) string {
		return strings.Replace(stripeEvent(id), `"type":"invoice.paid"`, `"type":"invoice.paid","note":"`+marker+`","pad":"`+strings.Repeat("x", 1000)+`"`, 1)
	}
	traffic := func(t *testing.T, c *caddy) {
		t.Helper()
		b := body("evt_payload")
		for _, want := range []int{202, 200} {
			if status, _, reply := c.post(t, "/stripe", stripeSigned(b, time.Now()), []byte(b)); status != want {
				t.Fatalf("POST: %d %s, want %d", status, reply, want)
			}
		}
		forged := body("evt_forged")
		if status, _, _ := c.post(t, "/stripe", stripeSigned(forged+" ", time.Now()), []byte(forged)); status != 401 {
			t.Fatalf("forged: %d, want 401", status)
		}
		broken := `{"id":"evt_broken","note":"` + marker + `",`
		if status, _, _ := c.post(t, "/stripe", stripeSigned(broken, time.Now()), []byte(broken)); status != 400 {
			t.Fatalf("malformed: %d, want 400", status)
		}
	}
	route := func(opt string) string {
		return fmt.Sprintf("webhook /stripe stripe {\n\t\tsecret %s\n\t\t%s\n\t}", stripeSecret, opt)
	}

	t.Run("off by default", func(t *testing.T) {
		c := startCaddy(t, redistest.Start(t).URL(), "", route(""))
		traffic(t, c)
		waitFor(t, 5*time.Second, "the malformed body's refusal logged", func() bool {
			return strings.Contains(c.Log.String(), "malformed JSON body")
		})
		if lines := payloadLines(c, marker); len(lines) != 0 {
			t.Fatalf("a body reached the log without log_payloads:\n%s", strings.Join(lines, "\n"))
		}
	})

	t.Run("log_payloads logs the start of every body", func(t *testing.T) {
		c := startCaddy(t, redistest.Start(t).URL(), "", route("log_payloads 200B"))
		traffic(t, c)
		var lines []string
		waitFor(t, 5*time.Second, "four lines with the payload", func() bool {
			lines = payloadLines(c, marker)
			return len(lines) == 4
		})
		for _, want := range []string{`"msg":"event accepted"`, `"msg":"event duplicate"`, `"reason":"signature mismatch"`, `"reason":"malformed JSON body`} {
			found := false
			for _, l := range lines {
				found = found || strings.Contains(l, want)
			}
			if !found {
				t.Errorf("no payload line with %s in:\n%s", want, strings.Join(lines, "\n"))
			}
		}
		for _, l := range lines {
			if strings.Contains(l, `"msg":"event accepted"`) && (!strings.Contains(l, `…"`) || strings.Contains(l, strings.Repeat("x", 300))) {
				t.Errorf("a 1 KiB body logged past log_payloads 200B: %s", l)
			}
		}
	})
}
