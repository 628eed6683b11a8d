package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// A SendGrid key pair for the tests: the route verifies with the public
// key, the sender signs with the private one.
const (
	sendGridPrivate      = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJLReCXH7LjK9pZJRL21BIsJ28BDy4KtXyDsnlcv2ixuhRANCAATBrFOIIU3BP2WLlKVe7kWRylpD6/qNzPRj7RI0uqfnpvKaLfzy97vBwH/ec5gIiVXxowIiXCQLQKqQiOv2xuSD"
	sendGridPublic       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwaxTiCFNwT9li5SlXu5FkcpaQ+v6jcz0Y+0SNLqn56bymi388ve7wcB/3nOYCIlV8aMCIlwkC0CqkIjr9sbkgw=="
	sendGridOtherPrivate = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgV//Z82lMq6SqHrSHW9Gcua68+aR/p158897HGlDMGVOhRANCAASbaTB21h9OwGvTPmviJUXHvW4Ot6ET/BnuI/T/Cml/A/ODmwLLios1ii2txL4Sy41GXMVp6o+NFJ/qW+qHLPP+"
)

func sendGridSigned(t *testing.T, private, body string) http.Header {
	t.Helper()
	h, err := sign.SendGrid(private, []byte(body), time.Now(), "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sendGridBatch(ids ...string) string {
	els := make([]string, len(ids))
	for i, id := range ids {
		els[i] = fmt.Sprintf(`{"email":"u%d@example.com","event":"delivered","sg_event_id":%q,"sg_message_id":"m.%d","timestamp":1700000000}`, i, id, i)
	}
	return "[" + strings.Join(els, ",") + "]\r\n"
}

// A batch is one request of many events: each element is stored and
// delivered on its own, deduped by its own id, all stored in one step.
func TestABatchBecomesOneEntryPerNewElement(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	c := startCaddy(t, srv.URL(), relayOpts(s.URL, ""), fmt.Sprintf("webhook /sendgrid sendgrid {\n\t\tsecret %s\n\t}", sendGridPublic))
	xlen := func() string {
		n, err := srv.Do("XLEN", "hookgate:{events}")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(n, ":")
	}
	cases := []struct {
		name   string
		ids    []string
		status int
		reply  string
		xlen   string
	}{
		{"a new batch is one entry per element", []string{"sg1", "sg2", "sg3"}, 202, `{"status":"accepted","accepted":3,"duplicates":0}`, "3"},
		{"the same batch again stores nothing", []string{"sg1", "sg2", "sg3"}, 200, `{"status":"duplicate","accepted":0,"duplicates":3}`, "3"},
		{"a batch mixing new and seen stores only the new", []string{"sg2", "sg4", "sg1"}, 202, `{"status":"accepted","accepted":1,"duplicates":2}`, "4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := sendGridBatch(tc.ids...)
			status, _, reply := c.post(t, "/sendgrid", sendGridSigned(t, sendGridPrivate, body), []byte(body))
			if status != tc.status || strings.TrimSpace(reply) != tc.reply {
				t.Fatalf("%d %s, want %d %s", status, reply, tc.status, tc.reply)
			}
			if n := xlen(); n != tc.xlen {
				t.Fatalf("stream holds %s entries, want %s", n, tc.xlen)
			}
		})
	}
	waitFor(t, 15*time.Second, "each element delivered on its own", func() bool {
		got, bad := s.got()
		return len(bad) == 0 && len(got) == 4 && got["sendgrid:default:sg1"] == 1 && got["sendgrid:default:sg4"] == 1
	})
}

func TestABatchThatIsNotOneIsRefusedWhole(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", fmt.Sprintf("webhook /sendgrid sendgrid {\n\t\tsecret %s\n\t}", sendGridPublic))
	good := sendGridBatch("ok1")
	cases := []struct {
		name, body string
		signer     string
		status     int
		reason     string
	}{
		{"a batch signed by another key is refused", good, sendGridOtherPrivate, 401, "signature mismatch"},
		{"a body that is not an array is refused", `{"sg_event_id":"x","event":"delivered"}`, sendGridPrivate, 400, "not a JSON array"},
		{"an empty array is refused", `[]`, sendGridPrivate, 400, "empty array"},
		{"an element that is not an object is refused", `[{"sg_event_id":"a","event":"delivered"},"b"]`, sendGridPrivate, 400, "element 1"},
		{"an element without its id is refused", `[{"event":"delivered"}]`, sendGridPrivate, 400, "sg_event_id"},
		{"an element with a repeated member is refused", `[{"sg_event_id":"a","sg_event_id":"b","event":"x"}]`, sendGridPrivate, 400, "element 0"},
		{"data after the array is refused", good + `[]`, sendGridPrivate, 400, "after the array"},
		{"a truncated array is refused", good[:len(good)-4], sendGridPrivate, 400, "malformed JSON array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := c.post(t, "/sendgrid", sendGridSigned(t, tc.signer, tc.body), []byte(tc.body))
			if status != tc.status || !strings.Contains(reply, tc.reason) {
				t.Fatalf("%d %s, want %d with %q", status, reply, tc.status, tc.reason)
			}
		})
	}
	if n, _ := srv.Do("XLEN", "hookgate:{events}"); n != ":0" {
		t.Errorf("refused batches stored %s entries", n)
	}
}
