package event

import (
	"encoding/json"
	"testing"
)

func TestNormalizeGeneric(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "hmac: a JSON body is data as sent and the stored type is kept",
			stored: storedEvent("hmac", "order.created", `{"id":42,"status":"processing"}`),
			want:   Envelope{Type: "order.created"},
		},
		{
			name:   "token: a JSON array body is data as sent",
			stored: storedEvent("token", "batch", `[{"eventId":1}]`),
			want:   Envelope{Type: "batch"},
		},
		{
			name:   "a form body becomes a JSON string",
			stored: storedEvent("hmac", "", "token=xyz&team_id=T1&command=%2Fweather"),
			want:   Envelope{Data: json.RawMessage(`"token=xyz\u0026team_id=T1\u0026command=%2Fweather"`)},
		},
		{
			name:   "an empty body becomes an empty JSON string",
			stored: storedEvent("token", "", ""),
			want:   Envelope{Data: json.RawMessage(`""`)},
		},
		{
			name:   "an unknown source falls back to generic instead of failing",
			stored: storedEvent("acme", "orders/create", `{"id":820982911946154508,"email":"jon@example.com"}`),
			want:   Envelope{Type: "orders/create"},
		},
	})
}
