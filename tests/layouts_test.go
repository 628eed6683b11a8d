package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

// On a partitioned stream the partition is chosen by the ordering key when
// a relay on the stream has order_by, else by the dedupe id: adding order_by
// moves an event's dedupe keys to another partition. The layout records
// the rule with the count, so the same signed request sent again after the
// reload (a provider's retry, or anyone who captured it, within the
// timestamp tolerance) is found under the old rule: a duplicate.
func TestAddingOrderByOnAPartitionedStreamLetsNoSignedRequestInTwice(t *testing.T) {
	srv := redistest.Start(t)
	s := newSink(t)
	var id, cus string
	for i := 0; id == "" && i < 10000; i++ {
		e, c := fmt.Sprintf("evt_r%d", i), fmt.Sprintf("cus_%d", i*7+1)
		if relay.PartitionOf(e, 4) != relay.PartitionOf(c, 4) {
			id, cus = e, c
		}
	}
	if id == "" {
		t.Fatal("no event whose id and customer go to different partitions")
	}
	plain := partitioned(4) + "\n\t\t" + relayOpts(s.URL, "")
	c := &caddy{caddytest.Start(t, caddyBin, srv.URL(), plain, stripeRoute)}
	body := customerEvent(id, cus)
	signed := stripeSigned(body, time.Now()) // one signed request, sent twice
	if status, _, reply := c.post(t, "/stripe", signed, []byte(body)); status != 202 {
		t.Fatalf("first: %d %s", status, reply)
	}
	ordered := partitioned(4) + "\n\t\t" + relayOpts(s.URL, "order_by data.object.customer")
	c.Reload(t, ordered, stripeRoute, "/reloaded")
	if status, _, reply := c.post(t, "/stripe", signed, []byte(body)); status != 200 {
		t.Fatalf("the same signed request after order_by was added: %d %s, want 200 duplicate", status, reply)
	}
}

// A batch on a stream of one partition, while another layout is recent,
// checks each element in its own partition under that layout (it checked
// those after the first in the partition of the key "", and the same
// signed batch, stored under 4 partitions and sent again to a process with
// 1, was stored again).
func TestABatchStoredUnder4PartitionsIsADuplicateUnder1(t *testing.T) {
	srv := redistest.Start(t)
	route := fmt.Sprintf("webhook /sendgrid sendgrid {\n\t\tsecret %s\n\t}", sendGridPublic)
	four := startCaddy(t, srv.URL(), partitioned(4), route)
	one := startCaddy(t, srv.URL(), "", route)
	body := sendGridBatch("sg1", "sg2", "sg3", "sg4", "sg5", "sg6", "sg7", "sg8")
	signed := sendGridSigned(t, sendGridPrivate, body)
	if status, _, reply := four.post(t, "/sendgrid", signed, []byte(body)); status != 202 {
		t.Fatalf("under 4 partitions: %d %s", status, reply)
	}
	if status, _, reply := one.post(t, "/sendgrid", signed, []byte(body)); status != 200 {
		t.Fatalf("the same signed batch under 1 partition: %d %s, want 200 with 8 duplicates", status, reply)
	}
}
