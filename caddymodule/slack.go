package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Slack{})
}

// Slack verifies Slack's webhooks and answers its handshake (verifier.Slack).
type Slack struct{}

func (Slack) CaddyModule() caddy.ModuleInfo {
	return providerInfo("slack", func() caddy.Module { return new(Slack) })
}

func (Slack) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewSlack(cfg)
}

// Interface guards
var _ Provider = Slack{}
