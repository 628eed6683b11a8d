package event

import "testing"

// The relay filters and routes by the stored type; an envelope under any
// other type would reach a receiver no filter or route chose for it.
func TestTheStoredTypeIsTheEnvelopeType(t *testing.T) {
	for _, c := range []struct {
		name, source, stored, body, action string
	}{
		{"stripe: a body type other than the stored one is ignored", "stripe", "invoice.paid",
			`{"type":"charge.refunded","created":1700000000,"data":{"object":{"id":"in_1","object":"invoice"}}}`, "paid"},
		{"github: the type is not derived again from the body's action", "github", "issues",
			`{"action":"opened","issue":{"number":1},"repository":{"full_name":"o/r"}}`, "opened"},
		{"standard: a body type other than the stored one is ignored", "standard", "user.created",
			`{"type":"user.deleted","timestamp":"2024-08-20T10:00:00Z","data":{}}`, "created"},
		{"wordpress: a body event other than the stored one is ignored", "wordpress", "post.published",
			`{"event":"user.deleted","post_id":7}`, "published"},
		{"generic: the body's type field does not count", "hmac", "order.paid", `{"type":"order.refunded"}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, err := Normalize(storedEvent(c.source, c.stored, c.body))
			if err != nil {
				t.Fatal(err)
			}
			if env.Type != c.stored {
				t.Errorf("type %q, want the stored %q", env.Type, c.stored)
			}
			action := ""
			if env.Action != nil {
				action = env.Action.Type
			}
			if action != c.action {
				t.Errorf("action %q, want %q", action, c.action)
			}
		})
	}
}
