package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Twilio{})
	caddy.RegisterModule(Square{})
	caddy.RegisterModule(HubSpot{})
}

// Twilio verifies X-Twilio-Signature over the public URL and the form
// params (or, with body json, the bodySHA256 query variant).
type Twilio struct {
	PublicURL
	// TypeField is the form field stored as the event type: MessageStatus
	// (default), CallStatus, SmsStatus…; "-" stores none.
	TypeField string `json:"type_field,omitempty"`
	// Body is "form" (default: Twilio's form posts) or "json" (JSON
	// object bodies, signed with bodySHA256 in the URL).
	Body string `json:"body,omitempty"`
}

func (Twilio) CaddyModule() caddy.ModuleInfo {
	return providerInfo("twilio", func() caddy.Module { return new(Twilio) })
}

func (t Twilio) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewTwilio(cfg, verifier.TwilioOptions{URL: t.urlFunc(), TypeField: t.TypeField, JSON: t.Body == "json"})
}

// UnmarshalOption parses the twilio options inside a webhook block:
//
//	webhook /hooks/twilio twilio {
//	    secret      {env.TWILIO_AUTH_TOKEN}
//	    public_url  https://hooks.example.com{http.request.orig_uri}   # default: the request's own URL
//	    type_field  MessageStatus|CallStatus|SmsStatus|<field>|-         # default MessageStatus
//	    body        form|json                                          # default form
//	}
func (t *Twilio) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := t.unmarshalOption(d); ok {
		return err
	}
	switch d.Val() {
	case "type_field":
		return singleArg(d, &t.TypeField)
	case "body":
		if err := singleArg(d, &t.Body); err != nil {
			return err
		}
		if t.Body != "form" && t.Body != "json" {
			return d.Errf("twilio body %q: want form or json", t.Body)
		}
		return nil
	}
	return d.Errf("unknown twilio option %q", d.Val())
}

// Square verifies x-square-hmacsha256-signature over the notification
// URL and the body.
type Square struct {
	PublicURL
}

func (Square) CaddyModule() caddy.ModuleInfo {
	return providerInfo("square", func() caddy.Module { return new(Square) })
}

func (s Square) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewSquare(cfg, verifier.URLOptions{URL: s.urlFunc()})
}

// UnmarshalOption parses public_url inside a webhook block:
//
//	webhook /hooks/square square {
//	    secret      {env.SQUARE_SIGNATURE_KEY}
//	    public_url  https://hooks.example.com/hooks/square   # the subscription's notification URL
//	}
func (s *Square) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := s.unmarshalOption(d); ok {
		return err
	}
	return d.Errf("unknown square option %q", d.Val())
}

// HubSpot verifies X-HubSpot-Signature-v3 over the method, the public
// URL, the body and X-HubSpot-Request-Timestamp.
type HubSpot struct {
	PublicURL
}

func (HubSpot) CaddyModule() caddy.ModuleInfo {
	return providerInfo("hubspot", func() caddy.Module { return new(HubSpot) })
}

func (h HubSpot) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewHubSpot(cfg, verifier.URLOptions{URL: h.urlFunc()})
}

// UnmarshalOption parses public_url inside a webhook block:
//
//	webhook /hooks/hubspot hubspot {
//	    secret      {env.HUBSPOT_CLIENT_SECRET}
//	    public_url  https://hooks.example.com{http.request.orig_uri}
//	}
func (h *HubSpot) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := h.unmarshalOption(d); ok {
		return err
	}
	return d.Errf("unknown hubspot option %q", d.Val())
}

// Interface guards
var (
	_ Provider          = Twilio{}
	_ Provider          = Square{}
	_ Provider          = HubSpot{}
	_ ProviderOptions   = (*Twilio)(nil)
	_ ProviderOptions   = (*Square)(nil)
	_ ProviderOptions   = (*HubSpot)(nil)
	_ caddy.Provisioner = (*Twilio)(nil)
	_ caddy.Provisioner = (*Square)(nil)
	_ caddy.Provisioner = (*HubSpot)(nil)
)
