package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() { caddy.RegisterModule(SendGrid{}) }

// SendGrid verifies SendGrid's Signed Event Webhook (ECDSA P-256); its
// secret is the verification key, and each event of a batch is stored on
// its own.
type SendGrid struct{}

func (SendGrid) CaddyModule() caddy.ModuleInfo {
	return providerInfo("sendgrid", func() caddy.Module { return new(SendGrid) })
}

func (SendGrid) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewSendGrid(cfg)
}

var _ Provider = SendGrid{}
