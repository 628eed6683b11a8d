package caddymodule

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(Stripe{})
	caddy.RegisterModule(GitHub{})
	caddy.RegisterModule(Standard{})
	caddy.RegisterModule(WordPress{})
	caddy.RegisterModule(HMAC{})
	caddy.RegisterModule(Token{})
}

// Provider is a guest module of the webhook handler in the
// http.handlers.webhook.verifiers namespace; its module name is the event
// source. Third parties add providers by registering one.
type Provider interface {
	NewVerifier(cfg verifier.Config) (verifier.Verifier, error)
}

// ProviderOptions is implemented by providers that take options of their own
// inside the webhook block. UnmarshalOption is called with the dispenser on
// a subdirective the handler does not know, and must consume its arguments.
type ProviderOptions interface {
	UnmarshalOption(d *caddyfile.Dispenser) error
}

const providerNamespace = "http.handlers.webhook.verifiers"

// providerInfo names a provider module. newValue must return a fresh value
// on every call, as Caddy's own modules do: the Caddyfile parser and
// ctx.LoadModule decode each route's options into what New returns, so a
// shared value would carry one route's options into the next route and
// through reloads.
func providerInfo(name string, newValue func() caddy.Module) caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: caddy.ModuleID(providerNamespace + "." + name), New: newValue}
}

// Stripe verifies Stripe-Signature (t=…,v1=…).
type Stripe struct{}

func (Stripe) CaddyModule() caddy.ModuleInfo {
	return providerInfo("stripe", func() caddy.Module { return new(Stripe) })
}

func (Stripe) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewStripe(cfg)
}

// GitHub verifies X-Hub-Signature-256.
type GitHub struct{}

func (GitHub) CaddyModule() caddy.ModuleInfo {
	return providerInfo("github", func() caddy.Module { return new(GitHub) })
}

func (GitHub) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewGitHub(cfg)
}

// Standard verifies Standard Webhooks (and Svix) signatures.
type Standard struct{}

func (Standard) CaddyModule() caddy.ModuleInfo {
	return providerInfo("standard", func() caddy.Module { return new(Standard) })
}

func (Standard) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewStandard(cfg)
}

// WordPress verifies the Hookgate WordPress plugin's X-WP-Signature.
type WordPress struct{}

func (WordPress) CaddyModule() caddy.ModuleInfo {
	return providerInfo("wordpress", func() caddy.Module { return new(WordPress) })
}

func (WordPress) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewWordPress(cfg)
}

// EventFields says where a generic provider's event id and type live.
// Without an id location the body hash is the id.
type EventFields struct {
	// IDHeader is the header carrying the event id.
	IDHeader string `json:"id_header,omitempty"`
	// IDField is the top-level JSON field carrying the event id.
	IDField string `json:"id_field,omitempty"`
	// TypeHeader is the header carrying the event type.
	TypeHeader string `json:"type_header,omitempty"`
	// TypeField is the top-level JSON field carrying the event type.
	TypeField string `json:"type_field,omitempty"`
}

// unmarshalOption parses id_header, id_field, type_header and type_field.
func (f *EventFields) unmarshalOption(d *caddyfile.Dispenser) (bool, error) {
	var dst *string
	switch d.Val() {
	case "id_header":
		dst = &f.IDHeader
	case "id_field":
		dst = &f.IDField
	case "type_header":
		dst = &f.TypeHeader
	case "type_field":
		dst = &f.TypeField
	default:
		return false, nil
	}
	return true, singleArg(d, dst)
}

// HMAC verifies a generic HMAC signature header.
type HMAC struct {
	// Header carrying the signature. Required.
	Header string `json:"header,omitempty"`
	// Algorithm: sha1, sha256 (default) or sha512.
	Algorithm string `json:"algorithm,omitempty"`
	// Encoding of the signature: hex (default) or base64.
	Encoding string `json:"encoding,omitempty"`
	// Prefix before the signature in the header, such as "sha256=".
	Prefix string `json:"prefix,omitempty"`
	// TimestampHeader, when set, names a header with unix seconds; the
	// signed bytes are then "<timestamp>.<body>" and tolerance applies.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	EventFields
}

func (HMAC) CaddyModule() caddy.ModuleInfo {
	return providerInfo("hmac", func() caddy.Module { return new(HMAC) })
}

func (h HMAC) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewHMAC(cfg, verifier.HMACOptions{
		Header: h.Header, Algorithm: h.Algorithm, Encoding: h.Encoding, Prefix: h.Prefix,
		TimestampHeader: h.TimestampHeader,
		IDHeader:        h.IDHeader, IDField: h.IDField, TypeHeader: h.TypeHeader, TypeField: h.TypeField,
	})
}

// UnmarshalOption parses header, algorithm, encoding, prefix,
// timestamp_header and the event field options.
func (h *HMAC) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := h.unmarshalOption(d); ok {
		return err
	}
	dst := map[string]*string{
		"header": &h.Header, "algorithm": &h.Algorithm, "encoding": &h.Encoding,
		"prefix": &h.Prefix, "timestamp_header": &h.TimestampHeader,
	}[d.Val()]
	if dst == nil {
		return d.Errf("unknown hmac option %q", d.Val())
	}
	return singleArg(d, dst)
}

// Token checks a static shared token in a header, for senders that sign
// nothing. Prefer a signing provider wherever the sender offers one.
type Token struct {
	// Header carrying the token. Required.
	Header string `json:"header,omitempty"`
	EventFields
}

func (Token) CaddyModule() caddy.ModuleInfo {
	return providerInfo("token", func() caddy.Module { return new(Token) })
}

func (t Token) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewToken(cfg, verifier.TokenOptions{
		Header:   t.Header,
		IDHeader: t.IDHeader, IDField: t.IDField, TypeHeader: t.TypeHeader, TypeField: t.TypeField,
	})
}

// UnmarshalOption parses header and the event field options.
func (t *Token) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := t.unmarshalOption(d); ok {
		return err
	}
	if d.Val() != "header" {
		return d.Errf("unknown token option %q", d.Val())
	}
	return singleArg(d, &t.Header)
}

func singleArg(d *caddyfile.Dispenser, dst *string) error {
	name := d.Val()
	if !d.NextArg() {
		return d.ArgErr()
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.Errf("%s takes one value", name)
	}
	return nil
}

// Interface guards
var (
	_ Provider        = Stripe{}
	_ Provider        = GitHub{}
	_ Provider        = Standard{}
	_ Provider        = WordPress{}
	_ Provider        = HMAC{}
	_ Provider        = Token{}
	_ ProviderOptions = (*HMAC)(nil)
	_ ProviderOptions = (*Token)(nil)
)
