package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Mailgun{})
}

// Mailgun verifies the signature object inside Mailgun's webhook bodies
// (verifier.Mailgun); its secret is the HTTP webhook signing key. The
// signature covers its timestamp and token only, not the body: the token
// names the event and is accepted once.
type Mailgun struct{}

func (Mailgun) CaddyModule() caddy.ModuleInfo {
	return providerInfo("mailgun", func() caddy.Module { return new(Mailgun) })
}

func (Mailgun) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewMailgun(cfg)
}

// Interface guards
var _ Provider = Mailgun{}
