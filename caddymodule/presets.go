package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// Every row of verifier's preset table is a provider module of its own,
// named for the provider (the event source): webhook /hooks/shopify
// shopify { secret {env.SHOPIFY_SECRET} } is the whole configuration.
func init() {
	for _, p := range verifier.Presets() {
		caddy.RegisterModule(Preset{name: p.Name})
	}
}

// Preset verifies one provider whose scheme is the generic HMAC (or the
// shared token) with fixed options: shopify, woocommerce, gitlab, paddle,
// linear, intercom, calendly, typeform, zendesk, razorpay and telegram.
// It takes no options of its own besides the webhook block's.
type Preset struct {
	name string
}

func (p Preset) CaddyModule() caddy.ModuleInfo {
	name := p.name
	return providerInfo(name, func() caddy.Module { return &Preset{name: name} })
}

func (p Preset) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewPreset(p.name, cfg)
}

// SecretHeaders is the token header of the token presets (gitlab,
// telegram), whose senders put the secret itself in it.
func (p Preset) SecretHeaders() []string {
	if pr, ok := verifier.LookupPreset(p.name); ok && pr.Token != nil {
		return []string{pr.Token.Header}
	}
	return nil
}

// Interface guards
var (
	_ Provider      = Preset{}
	_ SecretHeaders = Preset{}
)
