package verifier

import "testing"

func TestProvidersAcknowledgeAsTheyRequire(t *testing.T) {
	var slack Slack
	var discord Discord
	cases := []struct {
		name   string
		ack    Acknowledger
		body   string
		typ    string
		ok     bool
		status int
		reply  string
	}{
		{"a Slack event callback keeps Hookgate's answer", &slack, `{"type":"event_callback"}`, "app_mention", false, 0, ""},
		{"a Slack slash command is an empty 200", &slack, "command=%2Fweather&trigger_id=1", "slash_command", true, 200, ""},
		{"a Slack interaction is an empty 200", &slack, "payload=%7B%7D", "block_actions", true, 200, ""},
		{"a Discord command is deferred", &discord, `{"type":2}`, "application_command", true, 200, `{"type":5}`},
		{"a Discord modal is deferred", &discord, `{"type":5}`, "modal_submit", true, 200, `{"type":5}`},
		{"a Discord component is a deferred update", &discord, `{"type":3}`, "message_component", true, 200, `{"type":6}`},
		{"a Discord autocomplete gets no choices", &discord, `{"type":4}`, "application_command_autocomplete", true, 200, `{"type":8,"data":{"choices":[]}}`},
		{"a Discord webhook event is a 204", &discord, `{"type":1,"event":{}}`, "APPLICATION_AUTHORIZED", true, 204, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply, ok := tc.ack.Acknowledge([]byte(tc.body), tc.typ)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if ok && (reply.Status != tc.status || string(reply.Body) != tc.reply) {
				t.Errorf("reply %d %q, want %d %q", reply.Status, reply.Body, tc.status, tc.reply)
			}
		})
	}
}
