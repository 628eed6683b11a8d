package event

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

var received = time.Date(2024, 8, 20, 10, 16, 0, 0, time.UTC)

// normalizeCase is one row of a provider's table: the stored event and the
// envelope fields the provider is responsible for. ID, Source, Tenant and
// ReceivedAt are checked against the Stored event in every row.
type normalizeCase struct {
	name   string
	stored Stored
	want   Envelope // Data compared as JSON; nil Data means the whole body
}

func storedEvent(source, typ, body string, header ...string) Stored {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return Stored{
		ID: "evt-under-test", Source: source, Tenant: "blog", Type: typ,
		ReceivedAt: received, Header: h, Body: []byte(body),
	}
}

func runNormalizeCases(t *testing.T, tests []normalizeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.stored)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			want := tt.want
			want.ID, want.Source, want.Tenant = tt.stored.ID, tt.stored.Source, tt.stored.Tenant
			want.ReceivedAt = tt.stored.ReceivedAt
			if want.OccurredAt.IsZero() {
				want.OccurredAt = tt.stored.ReceivedAt
			}
			if want.Data == nil {
				want.Data = tt.stored.Body
			}
			checkEnvelope(t, got, want)
		})
	}
}

func checkEnvelope(t *testing.T, got, want Envelope) {
	t.Helper()
	if !jsonEqual(got.Data, want.Data) {
		t.Errorf("Data = %s\nwant %s", got.Data, want.Data)
	}
	got.Data, want.Data = nil, nil
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("envelope (without data)\n got %s\nwant %s", g, w)
	}
	if !got.OccurredAt.Equal(want.OccurredAt) {
		t.Errorf("OccurredAt = %v, want %v", got.OccurredAt, want.OccurredAt)
	}
}

func jsonEqual(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func TestNormalizeKeepsStoredIdentity(t *testing.T) {
	for _, source := range append(slices.Sorted(maps.Keys(normalizers)), "hmac", "token", "unknown") {
		t.Run(source+" takes id, source, tenant and received_at from Stored", func(t *testing.T) {
			s := storedEvent(source, "x.y", `{"id":"body-id","source":"body","tenant":"body","received_at":"2000-01-01T00:00:00Z"}`)
			s.ReceivedAt = time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
			e, err := Normalize(s)
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != s.ID || e.Source != s.Source || e.Tenant != s.Tenant || !e.ReceivedAt.Equal(s.ReceivedAt) {
				t.Fatalf("identity = %q %q %q %v, want it from Stored", e.ID, e.Source, e.Tenant, e.ReceivedAt)
			}
			if e.ReceivedAt.Location() != time.UTC || e.OccurredAt.Location() != time.UTC {
				t.Fatalf("times are not UTC: %v %v", e.ReceivedAt, e.OccurredAt)
			}
		})
	}
}

func TestNormalizeRejectsBodiesThatAreNotJSONObjects(t *testing.T) {
	bodies := map[string]string{
		"form post":      "a=1&b=2",
		"truncated JSON": `{"type":"x"`,
		"array":          `[{"type":"x"}]`,
		"string":         `"x"`,
		"empty body":     ``,
		"trailing bytes": `{"type":"x"} x`,
	}
	for _, source := range slices.Sorted(maps.Keys(normalizers)) {
		if formSources[source] {
			continue // a form post is what they take: twilio_test.go
		}
		for _, name := range slices.Sorted(maps.Keys(bodies)) {
			t.Run(source+" rejects "+name, func(t *testing.T) {
				_, err := Normalize(storedEvent(source, "x", bodies[name]))
				if err == nil {
					t.Fatal("Normalize accepted it")
				}
				if !strings.Contains(err.Error(), source) || !strings.Contains(err.Error(), "evt-under-test") {
					t.Fatalf("error %q does not name the source and event", err)
				}
			})
		}
	}
}

func TestEnvelopeJSONFieldNames(t *testing.T) {
	e := Envelope{
		ID: "1", Source: "s", Tenant: "t", Type: "a.b",
		OccurredAt: received, ReceivedAt: received,
		Actor:   &Actor{ID: "u", Email: "u@example.com"},
		Subject: &Subject{ID: "p", Type: "post"},
		Action:  &Action{Type: "b", Reason: "r"},
		Data:    json.RawMessage(`{"k":1}`),
	}
	var got map[string]map[string]any
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	wantTop := []string{"action", "actor", "data", "id", "occurred_at", "received_at", "source", "subject", "tenant", "type"}
	if keys := slices.Sorted(maps.Keys(top)); !slices.Equal(keys, wantTop) {
		t.Fatalf("top-level keys = %q, want %q", keys, wantTop)
	}
	if string(top["occurred_at"]) != `"2024-08-20T10:16:00Z"` {
		t.Fatalf("occurred_at = %s, want RFC 3339 UTC", top["occurred_at"])
	}
	_ = json.Unmarshal(b, &got)
	for field, want := range map[string][]string{"actor": {"email", "id"}, "subject": {"id", "type"}, "action": {"reason", "type"}} {
		if keys := slices.Sorted(maps.Keys(got[field])); !slices.Equal(keys, want) {
			t.Errorf("%s keys = %q, want %q", field, keys, want)
		}
	}

	bare, _ := json.Marshal(Envelope{})
	for _, absent := range []string{`"actor"`, `"subject"`, `"action"`} {
		if bytes.Contains(bare, []byte(absent)) {
			t.Errorf("empty envelope has %s: %s", absent, bare)
		}
	}
	if !bytes.Contains(bare, []byte(`"data":null`)) {
		t.Errorf("empty envelope lacks data: %s", bare)
	}
}

func TestNormalizedDataDoesNotAliasBody(t *testing.T) {
	for _, source := range append(slices.Sorted(maps.Keys(normalizers)), "hmac") {
		t.Run(source+" data survives reuse of the body buffer", func(t *testing.T) {
			s := storedEvent(source, "x", `{"type":"a.b","event":"a.b","data":{"object":{"id":"o"}}}`)
			e, err := Normalize(s)
			if err != nil {
				t.Fatal(err)
			}
			before := string(e.Data)
			for i := range s.Body {
				s.Body[i] = ' '
			}
			if string(e.Data) != before {
				t.Fatalf("Data changed with the body: %q", e.Data)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	seeds := []struct{ source, typ, body string }{
		{"stripe", "", `{"id":"evt_1","type":"invoice.paid","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1","customer_email":"a@b"}}}`},
		{"stripe", "", `{"type":"charge.succeeded","created":99999999999999,"data":{"object":{"customer":{"id":"cus_1","email":"x"},"billing_details":{"email":5}}}}`},
		{"stripe", "", `{"data":{"object":null}}`},
		{"stripe", "", `{"data":{"object":"x"},"created":"1"}`},
		{"github", "pull_request", `{"action":"opened","pull_request":{"number":1,"updated_at":"2024-08-20T10:15:31Z"},"repository":{"full_name":"o/r"},"sender":{"id":1}}`},
		{"github", "push", `{"head_commit":{"timestamp":"9999-12-31T23:59:59-23:59"},"sender":{"id":"x"},"pusher":{"email":"a@b"}}`},
		{"github", "", `{"action":"created","organization":{"login":"o"},"issue":{"number":"1"}}`},
		{"standard", "", `{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"u1"}}`},
		{"standard", "", `{"type":7,"timestamp":1,"data":null}`},
		{"wordpress", "", `{"event":"post.published","post_id":7}`},
		{"wordpress", "", `{"event":"user.registered","user":{"id":5,"email":"a@b"},"timestamp":"1700000000"}`},
		{"wordpress", "", `{"event":"comment.approved","comment_id":"3","post_id":7,"timestamp":-5}`},
		{"shopify", "orders/create", `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/","customer":{"id":"1"},"updated_at":"2021-12-31T19:00:00-05:00"}`},
		{"woocommerce", "order.created", `{"id":1194,"customer_id":0,"billing":{"email":"a@b"},"date_modified_gmt":"2019-07-19T20:38:31"}`},
		{"gitlab", "push", `{"object_kind":"push","checkout_sha":"a","commits":[{"id":"a","timestamp":"2015-05-17 18:08:09 UTC"}],"user_username":"u","user_email":"[REDACTED]"}`},
		{"gitlab", "merge_request", `{"object_kind":"merge_request","project":{"path_with_namespace":"g/p"},"object_attributes":{"iid":1,"action":"open"},"user":{"username":"root"}}`},
		{"paddle", "transaction.completed", `{"event_id":"evt_1","occurred_at":"2023-08-21T11:57:47.390028Z","data":{"id":"txn_1","customer_id":"ctm_1"}}`},
		{"paddle", "customer.created", `{"data":"x","occurred_at":5}`},
		{"linear", "Issue", `{"action":"create","type":"Issue","actor":{"id":"u"},"createdAt":"x","webhookTimestamp":253402300799999,"data":{"id":"i"}}`},
		{"linear", "", `{"webhookTimestamp":-1,"data":[]}`},
		{"intercom", "conversation.admin.replied", `{"created_at":1571080403,"data":{"item":{"type":"conversation","id":"1","conversation_parts":{"conversation_parts":[{"author":{"id":"5","email":"a@b"}}]}}}}`},
		{"intercom", "contact.created", `{"data":{"item":{"type":"contact","user":{"id":2}}}}`},
		{"calendly", "invitee.canceled", `{"created_at":"2020-11-23T17:51:19.000000Z","payload":{"uri":"u","email":"a@b","cancellation":{"canceler_type":"host","reason":"r"}}}`},
		{"typeform", "form_response", `{"form_response":{"token":"t","submitted_at":"2018-01-18T18:17:02Z","answers":[{"type":"email","email":"a@b"},{"type":"email"}]}}`},
		{"zendesk", "zen:event-type:ticket.created", `{"time":"2024-04-17T17:18:10Z","subject":"zen:ticket:35436","detail":{"requester_id":1}}`},
		{"zendesk", "", `{"subject":"zen:","event":{"actor":{"id":"zd:answerBot"}}}`},
		{"razorpay", "payment.failed", `{"contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_1","entity":"payment","error_reason":"x"}}},"created_at":1567674606}`},
		{"razorpay", "order.paid", `{"contains":["order"],"payload":{"order":[],"payment":{"entity":5}}}`},
		{"telegram", "", `{"update_id":10000,"edited_message":{"message_id":1365,"from":{"id":1111111},"chat":{"id":-100},"date":1441645532,"edit_date":-1}}`},
		{"telegram", "", `{"update_id":1,"poll_answer":{"poll_id":"5","user":{"id":"x"}},"message":"m"}`},
		{"hmac", "order.created", `{"id":1}`},
		{"token", "", "a=1&b=\xff"},
		{"unknown", "", ``},
		{"stripe", "", `[]`},
		{"github", "", `not json`},
	}
	for _, s := range seeds {
		f.Add(s.source, s.typ, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, source, typ string, body []byte) {
		s := storedEvent(source, typ, "")
		s.Body = body
		s.Header.Set("X-WP-Timestamp", typ)
		e, err := Normalize(s)
		if err != nil {
			if _, dedicated := normalizers[source]; !dedicated {
				t.Fatalf("generic normalizer failed: %v", err)
			}
			return
		}
		if e.ID != s.ID || e.Source != s.Source || e.Tenant != s.Tenant || !e.ReceivedAt.Equal(s.ReceivedAt) {
			t.Fatalf("identity not taken from Stored: %+v", e)
		}
		if _, err := json.Marshal(e); err != nil {
			t.Fatalf("normalized envelope does not marshal: %v", err)
		}
	})
}
