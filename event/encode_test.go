package event

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestAppendJSONEncodesAsJSONMarshal(t *testing.T) {
	at := time.Date(2024, 8, 20, 10, 16, 0, 123456789, time.UTC)
	base := func() Envelope {
		return Envelope{ID: "evt_1", Source: "stripe", Tenant: "default", Type: "invoice.paid",
			OccurredAt: at, ReceivedAt: at.Add(time.Second), Data: json.RawMessage(`{"id":"in_1"}`)}
	}
	tests := []struct {
		name string
		edit func(*Envelope)
	}{
		{"identity, times and data only", func(*Envelope) {}},
		{"actor, subject and action with every member", func(e *Envelope) {
			e.Actor = &Actor{ID: "cus_1", Email: "a@example.com"}
			e.Subject = &Subject{ID: "in_1", Type: "invoice"}
			e.Action = &Action{Type: "paid", Reason: "because"}
		}},
		{"members left empty are left out", func(e *Envelope) {
			e.Actor, e.Subject, e.Action = &Actor{Email: "a@example.com"}, &Subject{}, &Action{Reason: "r"}
		}},
		{"strings json.Marshal escapes", func(e *Envelope) {
			e.ID, e.Tenant, e.Type = "a\"b\\c<d>&e", "t\u00e9\u2028", "x\x01\xff"
			e.Actor = &Actor{Email: "jos\u00e9@example.com"}
		}},
		{"indented data with html-unsafe bytes is compacted and escaped", func(e *Envelope) {
			e.Data = json.RawMessage("{\n  \"a\": \"<b> & \u2028\",\n  \"c\": [1, 2]\n}\n")
		}},
		{"nil data is null", func(e *Envelope) { e.Data = nil }},
		{"a time outside UTC", func(e *Envelope) { e.OccurredAt = at.In(time.FixedZone("CET", 3600)) }},
		{"a zero time", func(e *Envelope) { e.OccurredAt = time.Time{} }},
		{"a year an RFC 3339 time cannot hold", func(e *Envelope) { e.ReceivedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"empty data", func(e *Envelope) { e.Data = json.RawMessage{} }},
		{"invalid data", func(e *Envelope) { e.Data = json.RawMessage(`{"a":`) }},
		{"data compacted by a normalizer", func(e *Envelope) { e.setCompactData([]byte("{ \"a\" : \"<\" }"), false) }},
		{"plain data compacted by a normalizer", func(e *Envelope) { e.setCompactData([]byte(`{"a":"<&>"}`), true) }},
		{"plain data with U+2028 compacted by a normalizer", func(e *Envelope) { e.setCompactData([]byte("{\"a\":\"\u2028\u00e9\"}"), true) }},
		{"data replaced after a normalizer compacted it", func(e *Envelope) {
			e.setCompactData([]byte(`{"a":1}`), true)
			e.Data = json.RawMessage(`{ "b" : 2 }`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base()
			tt.edit(&e)
			want, wantErr := json.Marshal(e)
			got, err := e.AppendJSON([]byte("prefix"))
			if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
			}
			if err != nil {
				return
			}
			if !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Fatalf("AppendJSON\n %s\njson.Marshal\n %s", got, want)
			}
		})
	}
}

func FuzzAppendCompact(f *testing.F) {
	for _, seed := range scanSeeds() {
		f.Add(seed)
	}
	f.Add([]byte("[ \"<\\\"> & \u2028\u2029\" ,\n\t{ \"a\\\\\" : null } ]"))
	f.Add([]byte("\"\xe2\x80\"  "))
	f.Fuzz(func(t *testing.T, src []byte) {
		if !json.Valid(src) {
			return
		}
		want, err := json.Marshal(json.RawMessage(src))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendCompact(nil, src); !bytes.Equal(got, want) {
			t.Fatalf("appendCompact\n %q\njson.Marshal\n %q", got, want)
		}
	})
}
