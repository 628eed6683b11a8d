package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Twitch{})
}

// Twitch verifies Twitch's webhooks and answers its handshake (verifier.Twitch).
type Twitch struct{}

func (Twitch) CaddyModule() caddy.ModuleInfo {
	return providerInfo("twitch", func() caddy.Module { return new(Twitch) })
}

func (Twitch) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewTwitch(cfg)
}

// Interface guards
var _ Provider = Twitch{}
