package caddymodule

import (
	"net/http"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// ownFields reads the id, type and action of a verified body of kind
// verifier.BodyOwn through the provider (verifier.FieldReader: Slack's
// JSON and form bodies on one route, Twitch's and Discord's nested or
// numbered types) into found. Every tenant's verifier reads alike, so
// the route's (or any tenant's) does. A non-zero code is the refusal.
func (h *Handler) ownFields(body []byte, found []string) (int, string) {
	v := h.tenantsOrRoute()
	fr, ok := v.(verifier.FieldReader)
	if !ok {
		return http.StatusBadRequest, "this provider's body kind is not supported yet"
	}
	f, err := fr.ReadFields(body, h.MaxDepth)
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	found[0], found[1], found[2] = f.ID, f.Type, f.Action
	return 0, ""
}

// tenantsOrRoute is one verifier of the route: its own, or with
// per-tenant secrets the surrogate every tenant's is built like.
func (h *Handler) tenantsOrRoute() verifier.Verifier {
	if h.tenants != nil {
		return h.tenants.surrogate.verifier
	}
	return h.signer.verifier
}
