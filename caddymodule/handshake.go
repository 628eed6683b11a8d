package caddymodule

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/verifier"
)

// verify checks r's signature with v, through the request where the scheme
// signs the method or URL too.
func verify(v verifier.Verifier, r *http.Request, body []byte) (verifier.Signed, error) {
	if rv, ok := v.(verifier.RequestVerifier); ok {
		return rv.VerifyRequest(r, body)
	}
	return v.Verify(r.Header, body)
}

// routeVerifier is the verifier a request's handshake is answered with:
// its tenant's on a route with per-tenant secrets.
func (h *Handler) routeVerifier(r *http.Request) verifier.Verifier {
	if h.tenants == nil {
		return h.signer.verifier
	}
	tenant, err := h.requestTenant(r)
	if err != nil {
		return h.tenants.surrogate.verifier
	}
	s, _ := h.tenants.pick(tenant)
	return s.verifier
}

// unsignedHandshake answers a handshake the provider does not sign; ok
// is false when r is not one.
func (h *Handler) unsignedHandshake(w http.ResponseWriter, r *http.Request, body []byte) (ingested, bool) {
	hs, ok := h.routeVerifier(r).(verifier.Handshaker)
	if !ok {
		return ingested{}, false
	}
	reply, ok := hs.UnsignedHandshake(r, body)
	if !ok {
		return ingested{}, false
	}
	return h.handshake(w, reply), true
}

// handshake sends a provider's required answer; nothing is stored.
func (h *Handler) handshake(w http.ResponseWriter, reply *verifier.Reply) ingested {
	status := cmp.Or(reply.Status, http.StatusOK)
	err := h.writeReply(w, reply)
	outcome := outcomeHandshake
	switch {
	case status == http.StatusForbidden:
		// A handshake refused (Meta's subscription with a wrong token)
		// is counted as the refusal it is.
		outcome = outcomeUnauthorized
	case status >= 400:
		outcome = rejection(status)
	}
	return ingested{outcome: outcome, status: status, err: err}
}

// writeReply sends a reply a provider requires, as it is: a handshake's,
// or an Acknowledger's for a stored event.
func (h *Handler) writeReply(w http.ResponseWriter, reply *verifier.Reply) error {
	// A reply may echo what the sender chose (a challenge): never let a
	// browser read it as HTML.
	ct := reply.ContentType
	if ct == "" && len(reply.Body) > 0 {
		ct = "text/plain; charset=utf-8"
	}
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(reply.Body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(cmp.Or(reply.Status, http.StatusOK))
	_, err := w.Write(reply.Body)
	return err
}

// maxFormFields bounds the fields of a form body: each is an allocation.
const maxFormFields = 1000

// readFields reads the id, type and action fields (h.fields) of a signed
// body of the kind the provider sends into found; a non-zero code is the
// refusal.
func (h *Handler) readFields(body []byte, found []string) (int, string) {
	switch h.locator.Body {
	case verifier.BodyJSONObject:
		if err := event.ScanStrict(body, h.MaxDepth, h.fields, found); err != nil {
			return http.StatusBadRequest, "malformed JSON body: " + err.Error()
		}
	case verifier.BodyForm:
		form, err := parseForm(body)
		if err != nil {
			return http.StatusBadRequest, "malformed form body: " + err.Error()
		}
		for i, name := range h.fields {
			if name != "" {
				found[i] = form.Get(name)
			}
		}
	case verifier.BodyAny:
	case verifier.BodyOwn:
		return h.ownFields(body, found)
	default:
		return http.StatusBadRequest, "this provider's body kind is not supported yet"
	}
	return 0, ""
}

// parseForm reads an application/x-www-form-urlencoded body strictly:
// bad escapes, ';' separators and more than maxFormFields fields are
// errors, not fields silently dropped.
func parseForm(body []byte) (url.Values, error) {
	n := 1
	for _, c := range body {
		if c == '&' {
			n++
		}
	}
	if n > maxFormFields {
		return nil, errTooManyFields
	}
	return url.ParseQuery(string(body))
}

var errTooManyFields = errors.New("more than " + strconv.Itoa(maxFormFields) + " fields")
