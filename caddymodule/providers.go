package caddymodule

import (
	"strings"

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
// Without an id location the hash of the signed bytes is the id.
type EventFields struct {
	// IDFrom is where the event id is: "header:<Name>" (a label, unless
	// the hmac template signs it as {id}) or "json:<field>", a top-level
	// field of the signed body.
	IDFrom string `json:"id_from,omitempty"`
	// TypeFrom is where the event type is: "header:<Name>" or "json:<field>".
	TypeFrom string `json:"type_from,omitempty"`
	// IDHeader is the header carrying the event id (id_from header:<Name>).
	IDHeader string `json:"id_header,omitempty"`
	// IDField is the top-level JSON field carrying the event id (id_from json:<field>).
	IDField string `json:"id_field,omitempty"`
	// TypeHeader is the header carrying the event type (type_from header:<Name>).
	TypeHeader string `json:"type_header,omitempty"`
	// TypeField is the top-level JSON field carrying the event type (type_from json:<field>).
	TypeField string `json:"type_field,omitempty"`
	// Body is what the body is: json (default), form (then id_from and
	// type_from may be form:<field>) or any (any bytes, stored as
	// received, named by their hash unless a header or the template
	// names them).
	Body string `json:"body,omitempty"`
}

// unmarshalOption parses id_from, type_from, id_header, id_field,
// type_header and type_field.
func (f *EventFields) unmarshalOption(d *caddyfile.Dispenser) (bool, error) {
	var dst *string
	switch d.Val() {
	case "id_from":
		dst = &f.IDFrom
	case "type_from":
		dst = &f.TypeFrom
	case "id_header":
		dst = &f.IDHeader
	case "id_field":
		dst = &f.IDField
	case "type_header":
		dst = &f.TypeHeader
	case "type_field":
		dst = &f.TypeField
	case "body":
		dst = &f.Body
	default:
		return false, nil
	}
	name := d.Val()
	if err := singleArg(d, dst); err != nil {
		return true, err
	}
	if name == "id_from" || name == "type_from" {
		if err := verifier.CheckSource(name, *dst); err != nil {
			return true, d.Err(err.Error())
		}
	}
	if name == "body" && *dst != verifier.GenericBodyJSON && *dst != verifier.GenericBodyForm && *dst != verifier.GenericBodyAny {
		return true, d.Errf("body %q: want json, form or any", *dst)
	}
	return true, nil
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
	// SignatureFormat is how the header holds signatures: "plain"
	// (default) or a key-value list, "kv [sep=<char>] [ts=<key>]
	// sig=<key>" ("kv sep=; ts=ts sig=h1" reads Paddle's ts=…;h1=…).
	SignatureFormat string `json:"signature_format,omitempty"`
	// Template is the signed string: literal text with {body}, {ts} and
	// {id}. Default "{body}", or "{ts}.{body}" with a timestamp header.
	Template string `json:"template,omitempty"`
	// TimestampFrom is where the signed timestamp is: "header:<Name>"
	// (then {ts} must be in the template) or "json:<field>". It is held
	// to the tolerance both ways.
	TimestampFrom string `json:"timestamp_from,omitempty"`
	// TimestampHeader is the older spelling of timestamp_from
	// header:<Name>; with no template it signs "<timestamp>.<body>".
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// TimestampFormat is unix (seconds, default), unix_ms or rfc3339.
	TimestampFormat string `json:"timestamp_format,omitempty"`
	EventFields
}

func (HMAC) CaddyModule() caddy.ModuleInfo {
	return providerInfo("hmac", func() caddy.Module { return new(HMAC) })
}

func (h HMAC) options() verifier.HMACOptions {
	return verifier.HMACOptions{
		Header: h.Header, Algorithm: h.Algorithm, Encoding: h.Encoding, Prefix: h.Prefix,
		SignatureFormat: h.SignatureFormat, Template: h.Template,
		TimestampFrom: h.TimestampFrom, TimestampHeader: h.TimestampHeader, TimestampFormat: h.TimestampFormat,
		IDFrom: h.IDFrom, IDHeader: h.IDHeader, IDField: h.IDField,
		TypeFrom: h.TypeFrom, TypeHeader: h.TypeHeader, TypeField: h.TypeField,
		Body: h.Body,
	}
}

func (h HMAC) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	return verifier.NewHMAC(cfg, h.options())
}

// UnmarshalOption parses the hmac options inside a webhook block:
//
//	webhook /hooks/acme hmac {
//	    secret           {env.ACME_SECRET}
//	    header           <name>                       # required
//	    algorithm        sha1|sha256|sha512           # default sha256
//	    encoding         hex|base64                   # default hex
//	    prefix           <string>                     # e.g. sha256=
//	    signature_format plain | kv [sep=<c>] [ts=<key>] sig=<key>
//	    template         <text with {body} {ts} {id}> # default {body}
//	    timestamp_from   header:<Name> | json:<field>
//	    timestamp_format unix|unix_ms|rfc3339         # default unix
//	    id_from          header:<Name> | json:<field> | form:<field>
//	    type_from        header:<Name> | json:<field> | form:<field>
//	    body             json|form|any                # default json
//	    timestamp_header | id_header | id_field | type_header | type_field  <name>   # older spellings
//	}
//
// Each value is checked on its line; how the options fit together (a
// header timestamp must be {ts} in the template, {id} needs id_from
// header:) is checked when the config is loaded.
func (h *HMAC) UnmarshalOption(d *caddyfile.Dispenser) error {
	if ok, err := h.unmarshalOption(d); ok {
		return err
	}
	name := d.Val()
	if name == "signature_format" {
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.ArgErr()
		}
		h.SignatureFormat = strings.Join(args, " ")
		if _, err := verifier.ParseSignatureFormat(h.SignatureFormat); err != nil {
			return d.Err(err.Error())
		}
		return nil
	}
	dst := map[string]*string{
		"header": &h.Header, "algorithm": &h.Algorithm, "encoding": &h.Encoding,
		"prefix": &h.Prefix, "timestamp_header": &h.TimestampHeader,
		"template": &h.Template, "timestamp_from": &h.TimestampFrom, "timestamp_format": &h.TimestampFormat,
	}[name]
	if dst == nil {
		return d.Errf("unknown hmac option %q", name)
	}
	if err := singleArg(d, dst); err != nil {
		return err
	}
	var err error
	switch name {
	case "template":
		_, err = verifier.ParseTemplate(h.Template)
	case "timestamp_from":
		err = verifier.CheckTimestampSource(h.TimestampFrom)
	case "timestamp_format":
		err = verifier.CheckTimestampFormat(h.TimestampFormat)
	}
	if err != nil {
		return d.Err(err.Error())
	}
	return nil
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
		Header: t.Header,
		IDFrom: t.IDFrom, IDHeader: t.IDHeader, IDField: t.IDField,
		TypeFrom: t.TypeFrom, TypeHeader: t.TypeHeader, TypeField: t.TypeField,
		Body: t.Body,
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
