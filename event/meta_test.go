package event

import (
	"testing"
	"time"
)

func TestNormalizeMeta(t *testing.T) {
	// WhatsApp's text message notification, Messenger's message event and
	// Instagram's comments change, from Meta's webhook references.
	whatsapp := `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}`
	messenger := `{"object":"page","entry":[{"id":"PAGE-ID","time":1458692752478,"messaging":[{"sender":{"id":"PSID"},"recipient":{"id":"PAGE-ID"},"timestamp":1458692752478,"message":{"mid":"mid.1457764197618:41d102a3e1ae206a38","text":"hello, world!"}}]}]}`
	instagram := `{"object":"instagram","entry":[{"id":"17841405822304914","time":1520622968,"changes":[{"field":"comments","value":{"from":{"id":"232323232","username":"test"},"media":{"id":"123123123"},"id":"17865799348089039","text":"This is an example."}}]}]}`
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "a WhatsApp message: the sender's WhatsApp id, the account, field messages, at the message's timestamp",
			stored: storedEvent("meta", "whatsapp_business_account", whatsapp),
			want: Envelope{Type: "whatsapp_business_account", OccurredAt: time.Unix(1749416383, 0).UTC(),
				Actor: &Actor{ID: "16505551234"}, Subject: &Subject{ID: "102290129340398", Type: "whatsapp_business_account"},
				Action: &Action{Type: "messages"}},
		},
		{
			name:   "a Messenger message: the sender's PSID, the page, messaging, at its millisecond timestamp",
			stored: storedEvent("meta", "page", messenger),
			want: Envelope{Type: "page", OccurredAt: time.UnixMilli(1458692752478).UTC(),
				Actor: &Actor{ID: "PSID"}, Subject: &Subject{ID: "PAGE-ID", Type: "page"}, Action: &Action{Type: "messaging"}},
		},
		{
			name:   "an Instagram comment: from.id, the account, field comments, at the entry's time",
			stored: storedEvent("meta", "instagram", instagram),
			want: Envelope{Type: "instagram", OccurredAt: time.Unix(1520622968, 0).UTC(),
				Actor: &Actor{ID: "232323232"}, Subject: &Subject{ID: "17841405822304914", Type: "instagram"}, Action: &Action{Type: "comments"}},
		},
		{
			name:   "no entries: nothing but the body",
			stored: storedEvent("meta", "page", `{"object":"page","entry":[]}`),
			want:   Envelope{Type: "page"},
		},
	})
}
