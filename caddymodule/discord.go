package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Discord{})
}

// Discord verifies Discord's Ed25519-signed interactions and webhook
// events and answers their PINGs (verifier.Discord). Its secret is the
// application's public key, in hex.
type Discord struct{}

func (Discord) CaddyModule() caddy.ModuleInfo {
	return providerInfo("discord", func() caddy.Module { return new(Discord) })
}

func (Discord) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewDiscord(cfg)
}

// Interface guards
var _ Provider = Discord{}
