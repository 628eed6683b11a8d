package event

import (
	"net/http"
	"time"
)

// Stored is an event as ingest keeps it: verified and raw, not yet
// normalized. The relay builds an Envelope from it at delivery time, so a
// fixed mapping applies to every event replayed after the fix.
type Stored struct {
	ID          string      // provider event id (or body hash), the dedupe key
	Source      string      // provider name: stripe, github, standard, wordpress, hmac, token
	Tenant      string      // the route's tenant
	Type        string      // provider event type, "" when the provider sends none
	ReceivedAt  time.Time   // when ingest accepted the request
	Traceparent string      // W3C traceparent of the ingest request, if any
	Header      http.Header // the provider headers kept for audit and normalization
	Body        []byte      // the exact bytes that were signed
}
