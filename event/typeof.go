package event

import "strings"

// TypeOf turns the event type a provider sends in a header into the
// dotted form ingest stores, for the providers whose header is not dotted
// already; any other source's value comes back as it is. It is for the
// verifier to call once, when it decides the stored type; Normalize never
// changes a stored type.
//
//   - shopify: the X-Shopify-Topic "orders/create" is "orders.create", so
//     that a filter or route written for dotted types ("orders.*") matches
//     it as it matches every other provider's.
func TypeOf(source, header string) string {
	if source == "shopify" {
		return strings.ReplaceAll(header, "/", ".")
	}
	return header
}
