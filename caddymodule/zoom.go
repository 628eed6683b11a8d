package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Zoom{})
}

// Zoom verifies Zoom's webhooks and answers its handshake (verifier.Zoom).
type Zoom struct{}

func (Zoom) CaddyModule() caddy.ModuleInfo {
	return providerInfo("zoom", func() caddy.Module { return new(Zoom) })
}

func (Zoom) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewZoom(cfg)
}

// Interface guards
var _ Provider = Zoom{}
