package event

import "encoding/json"

// typeformEvent is the part of a Typeform webhook the envelope needs
// (https://www.typeform.com/developers/webhooks/example-payload/ and
// https://www.typeform.com/developers/responses/JSON-response-explanation/):
// event_id, event_type ("form_response", or "form_response_partial"), and
// form_response, the response: its token (the response id), form_id,
// submitted_at (RFC 3339), hidden fields, definition and answers.
type typeformEvent struct {
	FormResponse json.RawMessage `json:"form_response"`
}

type typeformResponse struct {
	Token       string `json:"token"`
	SubmittedAt string `json:"submitted_at"`
	Answers     []struct {
		Type  string `json:"type"` // text, email, choice, number, …
		Email string `json:"email"`
	} `json:"answers"`
}

// normalizeTypeform maps a Typeform webhook: the subject is the response
// (form_response.token, kind "form_response"), the actor the respondent's
// email when the form asked for one (the first answer of type "email";
// responses are otherwise anonymous), occurred_at submitted_at, and data
// the form_response (the whole body when absent). Typeform's event types
// name no verb, so there is no action.
func normalizeTypeform(s Stored, e *Envelope) error {
	var ev typeformEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	e.Action = actionOf(e.Type)
	e.Data = dataOf(ev.FormResponse, s.Body)
	var r typeformResponse
	if ok, err := decodeInner(ev.FormResponse, &r); !ok || err != nil {
		return err
	}
	e.Subject = newSubject(r.Token, "form_response")
	for _, a := range r.Answers {
		if a.Type == "email" && a.Email != "" {
			e.Actor = newActor("", a.Email)
			break
		}
	}
	if t, ok := rfc3339Time(r.SubmittedAt); ok {
		e.OccurredAt = t
	}
	return nil
}
