package verifier

import "net/http"

// Acknowledge answers a slash command or an interaction (a form body) with
// an empty 200, which Slack takes as "received" without posting anything
// to the channel; Slack shows any body it gets back to the user. Event
// callbacks (JSON) keep Hookgate's answer.
func (v *Slack) Acknowledge(body []byte, _ string) (*Reply, bool) {
	if len(body) > 0 && body[0] == '{' {
		return nil, false
	}
	return &Reply{Status: http.StatusOK}, true
}

// Discord's interaction responses for an event a receiver handles later:
// the deferred kinds, after which the receiver follows up with the
// interaction's token within 15 minutes.
var (
	discordDeferredMessage = []byte(`{"type":5}`)                       // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	discordDeferredUpdate  = []byte(`{"type":6}`)                       // DEFERRED_UPDATE_MESSAGE
	discordNoChoices       = []byte(`{"type":8,"data":{"choices":[]}}`) // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
)

// Acknowledge answers an interaction within Discord's 3 seconds with a
// deferred response (a command, a modal: "thinking…"; a component: the
// message is updated later; autocomplete: no choices, since it cannot
// wait), and a webhook event with the 204 Discord requires.
func (v *Discord) Acknowledge(_ []byte, typ string) (*Reply, bool) {
	switch typ {
	case "application_command", "modal_submit":
		return &Reply{Status: http.StatusOK, ContentType: "application/json", Body: discordDeferredMessage}, true
	case "message_component":
		return &Reply{Status: http.StatusOK, ContentType: "application/json", Body: discordDeferredUpdate}, true
	case "application_command_autocomplete":
		return &Reply{Status: http.StatusOK, ContentType: "application/json", Body: discordNoChoices}, true
	}
	return &Reply{Status: http.StatusNoContent}, true
}

var (
	_ Acknowledger = (*Slack)(nil)
	_ Acknowledger = (*Discord)(nil)
)
