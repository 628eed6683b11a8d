package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Meta{})
}

// Meta verifies Meta's (WhatsApp, Instagram, Messenger) X-Hub-Signature-256
// and answers the GET subscription handshake (verifier.Meta).
type Meta struct {
	// VerifyToken is the token typed into the app dashboard's webhook
	// settings, which Meta's subscription request must carry; usually
	// {env.NAME}. Without it every subscription request is refused.
	VerifyToken string `json:"verify_token,omitempty"`
}

func (Meta) CaddyModule() caddy.ModuleInfo {
	return providerInfo("meta", func() caddy.Module { return new(Meta) })
}

func (m Meta) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewMeta(cfg, caddy.NewReplacer().ReplaceAll(m.VerifyToken, ""))
}

// UnmarshalOption parses Meta's option inside a webhook block:
//
//	webhook /hooks/whatsapp meta {
//	    secret       {env.META_APP_SECRET}
//	    verify_token {env.META_VERIFY_TOKEN}
//	}
func (m *Meta) UnmarshalOption(d *caddyfile.Dispenser) error {
	if d.Val() != "verify_token" {
		return d.Errf("unknown meta option %q", d.Val())
	}
	return singleArg(d, &m.VerifyToken)
}

// Interface guards
var (
	_ Provider        = Meta{}
	_ ProviderOptions = (*Meta)(nil)
)

// SecretQuery is where Meta puts the verify token: in the subscription
// request's query, which Caddy's access log would otherwise show.
func (Meta) SecretQuery() []string { return []string{verifier.MetaVerifyToken} }

var _ SecretQuery = Meta{}
