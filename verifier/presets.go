// Presets: providers whose scheme is the generic HMAC (or the shared
// token) with fixed options. Each is one row of the table below, checked
// against the provider's own documentation, and nothing else: the engine
// is hmac.go's or token.go's. Where a provider's event id is only in an
// unsigned header, that header is a label and the event is named by the
// hash of its signed bytes (Identify), so a provider retry of the same
// bytes is a duplicate and a replay under a fresh id header is too.

package verifier

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// Preset is one provider over the generic engine. Exactly one of HMAC and
// Token is set.
type Preset struct {
	// Name is the provider's module name, and the event source.
	Name  string
	HMAC  *HMACOptions
	Token *TokenOptions
	// Tolerance is the provider's own freshness window, used when the
	// route sets none (Linear: one minute).
	Tolerance time.Duration
	// ActionField is joined to the type ("Issue" + "create").
	ActionField string
	// Audit lists headers kept with the event besides the id and type ones.
	Audit []string
}

// presets is the table. Header names are as the providers document them;
// the engine canonicalises them.
var presets = []Preset{
	// Shopify: base64 HMAC-SHA256 of the body, keyed with the app's client
	// secret. X-Shopify-Webhook-Id is unsigned: a label. The topic is
	// stored dotted (orders/create as orders.create, event.TypeOf).
	{Name: "shopify", HMAC: &HMACOptions{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64",
		IDFrom: "header:X-Shopify-Webhook-Id", TypeFrom: "header:X-Shopify-Topic"},
		Audit: []string{"X-Shopify-Shop-Domain", "X-Shopify-Event-Id", "X-Shopify-Triggered-At", "X-Shopify-Api-Version"}},
	// WooCommerce: base64 HMAC-SHA256 of the body. The delivery id is
	// unsigned: a label. Its unsigned creation ping is answered
	// (woocommerce.go).
	{Name: "woocommerce", HMAC: &HMACOptions{Header: "X-WC-Webhook-Signature", Encoding: "base64",
		IDFrom: "header:X-WC-Webhook-Delivery-ID", TypeFrom: "header:X-WC-Webhook-Topic"},
		Audit: []string{"X-WC-Webhook-Source", "X-WC-Webhook-ID", "X-WC-Webhook-Resource", "X-WC-Webhook-Event"}},
	// GitLab: a shared token, not a MAC. X-Gitlab-Event ("Push Hook") has
	// a space, which a stored type may not; the body's object_kind
	// ("push") names the same thing and is the type.
	{Name: "gitlab", Token: &TokenOptions{Header: "X-Gitlab-Token",
		IDFrom: "header:X-Gitlab-Event-UUID", TypeFrom: "json:object_kind"},
		Audit: []string{"X-Gitlab-Event", "X-Gitlab-Webhook-UUID", "X-Gitlab-Instance", "Idempotency-Key"}},
	// Paddle Billing: Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…], h1 the
	// HMAC-SHA256 of ts:body; several h1 while a secret rotates.
	{Name: "paddle", HMAC: &HMACOptions{Header: "Paddle-Signature", SignatureFormat: "kv sep=; ts=ts sig=h1",
		Template: "{ts}:{body}", IDFrom: "json:event_id", TypeFrom: "json:event_type"}},
	// Linear: hex HMAC-SHA256 of the body; the body's webhookTimestamp
	// (unix ms) must be within a minute.
	{Name: "linear", HMAC: &HMACOptions{Header: "Linear-Signature",
		TimestampFrom: "json:webhookTimestamp", TimestampFormat: TimestampUnixMS,
		IDFrom: "header:Linear-Delivery", TypeFrom: "json:type"},
		Tolerance: time.Minute, ActionField: "action", Audit: []string{"Linear-Event"}},
	// Intercom: X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>, keyed
	// with the app's client secret; the notification id is in the body.
	{Name: "intercom", HMAC: &HMACOptions{Header: "X-Hub-Signature", Algorithm: "sha1", Prefix: "sha1=",
		IDFrom: "json:id", TypeFrom: "json:topic"}},
	// Calendly: Calendly-Webhook-Signature: t=<unix>,v1=<hex HMAC-SHA256
	// of t.body>.
	{Name: "calendly", HMAC: &HMACOptions{Header: "Calendly-Webhook-Signature", SignatureFormat: "kv sep=, ts=t sig=v1",
		Template: "{ts}.{body}", TypeFrom: "json:event"}},
	// Typeform: Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>.
	{Name: "typeform", HMAC: &HMACOptions{Header: "Typeform-Signature", Prefix: "sha256=", Encoding: "base64",
		IDFrom: "json:event_id", TypeFrom: "json:event_type"}},
	// Zendesk: base64 HMAC-SHA256 of timestamp + body, the timestamp RFC
	// 3339 in its own header. Trigger webhooks have bodies the user
	// writes, so no body field is taken as the id.
	{Name: "zendesk", HMAC: &HMACOptions{Header: "X-Zendesk-Webhook-Signature", Encoding: "base64",
		TimestampFrom: "header:X-Zendesk-Webhook-Signature-Timestamp", TimestampFormat: TimestampRFC3339,
		Template: "{ts}{body}", IDFrom: "header:X-Zendesk-Webhook-Invocation-Id", TypeFrom: "json:type"},
		Audit: []string{"X-Zendesk-Account-Id", "X-Zendesk-Webhook-Id"}},
	// Razorpay: hex HMAC-SHA256 of the body, keyed with the webhook's
	// secret. X-Razorpay-Event-Id is unsigned: a label.
	{Name: "razorpay", HMAC: &HMACOptions{Header: "X-Razorpay-Signature",
		IDFrom: "header:X-Razorpay-Event-Id", TypeFrom: "json:event"}},
	// Telegram: the secret_token given to setWebhook, sent as it is; the
	// update_id names the update.
	{Name: "telegram", Token: &TokenOptions{Header: "X-Telegram-Bot-Api-Secret-Token", IDFrom: "json:update_id"}},
}

// Presets returns the preset table, sorted by name; the entries are shared
// and must not be modified.
func Presets() []Preset {
	out := slices.Clone(presets)
	slices.SortFunc(out, func(a, b Preset) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// NewPreset builds the verifier of the preset called name.
func NewPreset(name string, cfg Config) (Verifier, error) {
	p, ok := LookupPreset(name)
	if !ok {
		return nil, fmt.Errorf("no preset %q", name)
	}
	return p.New(cfg)
}

// New builds the preset's verifier.
func (p Preset) New(cfg Config) (Verifier, error) {
	if cfg.Tolerance == 0 {
		cfg.Tolerance = p.Tolerance
	}
	var v Verifier
	var loc Locator
	switch {
	case p.HMAC != nil:
		h, err := newHMAC(p.Name, cfg, *p.HMAC)
		if err != nil {
			return nil, err
		}
		v, loc = h, h.locator
	case p.Token != nil:
		t, err := newToken(p.Name, cfg, *p.Token)
		if err != nil {
			return nil, err
		}
		v, loc = t, t.locator
	default:
		return nil, fmt.Errorf("%s: preset has no scheme", p.Name)
	}
	loc.ActionField = p.ActionField
	if loc.TypeHeader != "" {
		name := p.Name
		loc.TypeOf = func(header string) string { return event.TypeOf(name, header) }
	}
	loc.Audit = append(slices.Clone(loc.Audit), p.Audit...)
	pv := &preset{Verifier: v, locator: loc}
	if wrap := presetHandshakes[p.Name]; wrap != nil {
		return wrap(pv, p), nil
	}
	return pv, nil
}

// preset is a generic verifier with the preset's Locator.
type preset struct {
	Verifier
	locator Locator
}

// Locate returns the preset's locations; the slices are shared and must
// not be modified.
func (p *preset) Locate() Locator { return p.locator }

var _ Verifier = (*preset)(nil)
