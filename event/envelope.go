package event

import (
	"encoding/json"
	"fmt"
	"time"
)

// Envelope is the provider-neutral event the relay delivers. Consumers can
// route on Type and read Actor, Subject and Action without knowing the
// provider; Data keeps the provider's own payload for everything else.
type Envelope struct {
	ID         string          `json:"id"`          // the dedupe id ingest stored
	Source     string          `json:"source"`      // provider name, as in Stored
	Tenant     string          `json:"tenant"`      // the route's tenant
	Type       string          `json:"type"`        // dotted event type, e.g. "invoice.paid"
	OccurredAt time.Time       `json:"occurred_at"` // when the provider says it happened, else ReceivedAt
	ReceivedAt time.Time       `json:"received_at"` // when ingest accepted it
	Actor      *Actor          `json:"actor,omitempty"`
	Subject    *Subject        `json:"subject,omitempty"`
	Action     *Action         `json:"action,omitempty"`
	Data       json.RawMessage `json:"data"` // the provider's payload (see each normalizer)

	// compactData is Data as a normalizer that read the body in one walk
	// wrote it, compacted already: AppendJSON copies it while Data is
	// still this slice.
	compactData []byte
}

// Actor is who caused the event.
type Actor struct {
	ID    string `json:"id,omitempty"`
	Email string `json:"email,omitempty"`
}

// Subject is what the event is about.
type Subject struct {
	ID   string `json:"id,omitempty"`
	Type string `json:"type,omitempty"`
}

// Action is what happened to the subject.
type Action struct {
	Type   string `json:"type,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// normalizer fills the provider-specific fields of an Envelope that
// Normalize has already seeded from the Stored event; it reads e.Type but
// does not change it.
type normalizer func(s Stored, e *Envelope) error

// normalizers maps Stored.Source to its normalizer. A source missing here is
// normalized by normalizeGeneric, so a new verifier works before it has a
// dedicated mapping.
var normalizers = map[string]normalizer{
	"stripe":      normalizeStripe,
	"github":      normalizeGitHub,
	"standard":    normalizeStandard,
	"wordpress":   normalizeWordPress,
	"shopify":     normalizeShopify,
	"woocommerce": normalizeWooCommerce,
	"gitlab":      normalizeGitLab,
	"paddle":      normalizePaddle,
	"linear":      normalizeLinear,
	"intercom":    normalizeIntercom,
	"calendly":    normalizeCalendly,
	"typeform":    normalizeTypeform,
	"zendesk":     normalizeZendesk,
	"razorpay":    normalizeRazorpay,
	"telegram":    normalizeTelegram,
	"slack":       normalizeSlack,
	"zoom":        normalizeZoom,
	"twitch":      normalizeTwitch,
	"discord":     normalizeDiscord,
	"meta":        normalizeMeta,
}

// Normalize builds the canonical envelope of a stored event. ID, Source,
// Tenant, Type and ReceivedAt always come from s; the rest is read from the
// body by the source's normalizer. Type is the one ingest decided and
// stored, the one the relay filters and routes by: a body that names
// another type must not deliver an event under a type no filter checked. Times are in UTC. Data never shares memory
// with s.Body. A JSON provider whose body is not a JSON object is an error.
func Normalize(s Stored) (Envelope, error) {
	e := Envelope{
		ID:         s.ID,
		Source:     s.Source,
		Tenant:     s.Tenant,
		Type:       s.Type,
		OccurredAt: s.ReceivedAt.UTC(),
		ReceivedAt: s.ReceivedAt.UTC(),
	}
	normalize, ok := normalizers[s.Source]
	if !ok {
		normalize = normalizeGeneric
	}
	if err := normalize(s, &e); err != nil {
		return Envelope{}, fmt.Errorf("normalizing %s event %q: %w", s.Source, s.ID, err)
	}
	e.Type = s.Type
	return e, nil
}
