package relay

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// githubStored is an event with several audit headers, one of them the
// event id again, as ingest stores a GitHub delivery.
func githubStored(id string) *event.Stored {
	return &event.Stored{
		ID: id, Source: "github", Tenant: "default", Type: "issues.opened",
		ReceivedAt:  time.UnixMilli(1700000000123).UTC(),
		Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		Header: http.Header{
			"X-Github-Event":                         {"issues"},
			"X-Github-Delivery":                      {id},
			"X-Github-Hook-Id":                       {"459862151"},
			"X-Github-Hook-Installation-Target-Type": {"repository"},
			"X-Github-Hook-Installation-Target-Id":   {"718204519"},
		},
		Body: []byte(`{"action":"opened","issue":{"number":1}}`),
	}
}

// rawEntries reads a stream's entries as Redis holds them: field names
// and values in their stored order.
func rawEntries(t *testing.T, srv *redistest.Server, stream string) [][]string {
	t.Helper()
	a, _ := newAppender(t, srv.URL())
	res, err := a.rdb.Do(context.Background(), "XRANGE", stream, "-", "+").Slice()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, e := range res {
		var fields []string
		for _, f := range e.([]any)[1].([]any) {
			fields = append(fields, f.(string))
		}
		out = append(out, fields)
	}
	return out
}

func TestEntriesOfTheLayoutBeforeIssue12StillDecode(t *testing.T) {
	srv := redistest.Start(t)
	_, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	want := githubStored("2f1c0a4e-8d1b-11ef-9a3c-5b1e2c3d4e5f")
	// Written field by field as the code before issue 12 did: headers in
	// map order, the delivery id repeated in its header.
	old := []any{"id", want.ID, "source", "github", "tenant", "default", "type", "issues.opened",
		"received_at", "1700000000123", "traceparent", want.Traceparent,
		"h:X-Github-Hook-Id", "459862151", "h:X-Github-Delivery", want.ID, "h:X-Github-Event", "issues",
		"h:X-Github-Hook-Installation-Target-Id", "718204519", "h:X-Github-Hook-Installation-Target-Type", "repository",
		"body", string(want.Body)}
	if err := rdb.Do(context.Background(), append([]any{"XADD", keys.Stream(), "*"}, old...)...).Err(); err != nil {
		t.Fatal(err)
	}
	msgs, err := rdb.XRange(context.Background(), keys.Stream(), "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("XRANGE: %v, %d entries", err, len(msgs))
	}
	got, err := Decode(msgs[0].Values)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, *want) {
		t.Fatalf("old entry decoded as\n%+v\nwant\n%+v", got, *want)
	}
}

func TestAppendedEntriesAreCompactAndRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	a, rdb := newAppender(t, srv.URL())
	keys, _ := NewKeys("hookgate", "events")
	ctx := context.Background()
	ids := []string{"2f1c0a4e-0000-11ef-9a3c-5b1e2c3d4e5f", "2f1c0a4e-0001-11ef-9a3c-5b1e2c3d4e5f", "2f1c0a4e-0002-11ef-9a3c-5b1e2c3d4e5f"}
	for _, id := range ids {
		if out, err := a.Append(ctx, keys, time.Hour, githubStored(id)); err != nil || out != Accepted {
			t.Fatalf("append %s: %v, %v", id, out, err)
		}
	}

	t.Run("every entry decodes to the event stored", func(t *testing.T) {
		msgs, err := rdb.XRange(ctx, keys.Stream(), "-", "+").Result()
		if err != nil || len(msgs) != len(ids) {
			t.Fatalf("XRANGE: %v, %d entries", err, len(msgs))
		}
		for i, m := range msgs {
			got, err := Decode(m.Values)
			if err != nil {
				t.Fatal(err)
			}
			if want := githubStored(ids[i]); !reflect.DeepEqual(got, *want) {
				t.Fatalf("entry %d decoded as\n%+v\nwant\n%+v", i, got, *want)
			}
		}
	})

	entries := rawEntries(t, srv, keys.Stream())
	t.Run("every entry has the same fields in the same order", func(t *testing.T) {
		// What lets Redis store an entry's values without its field
		// names: the fields of the first entry of its node, in order.
		names := func(fields []string) []string {
			var n []string
			for i := 0; i < len(fields); i += 2 {
				n = append(n, fields[i])
			}
			return n
		}
		first := names(entries[0])
		for i, e := range entries[1:] {
			if got := names(e); !slices.Equal(got, first) {
				t.Fatalf("entry %d has fields %v, entry 0 %v", i+1, got, first)
			}
		}
		var headers []string
		for _, n := range first {
			if strings.HasPrefix(n, headerField) {
				headers = append(headers, n)
			}
		}
		if !slices.IsSorted(headers) || len(headers) != 5 {
			t.Fatalf("audit header fields %v, want the 5 in name order", headers)
		}
	})

	t.Run("a header repeating the event id is not stored twice", func(t *testing.T) {
		for i, e := range entries {
			for j := 0; j < len(e); j += 2 {
				if e[j] != fieldID && e[j+1] == ids[i] {
					t.Fatalf("entry %d holds its id again in %s", i, e[j])
				}
			}
		}
	})
}
