package event

import "strings"

// TypeOf turns the event type a provider sends in a header into the
// dotted form ingest stores, for the providers whose header is not dotted
// already; any other source's value comes back as it is. It is for the
// verifier to call once, when it decides the stored type; Normalize never
// changes a stored type.
//
//   - shopify: the X-Shopify-Topic "orders/create" is "orders.create", so
//     a filter or route written for dotted types ("orders.*") matches it.
//   - gitlab: the X-Gitlab-Event "Merge Request Hook" is "merge_request"
//     (lowercase, the trailing " Hook" dropped, spaces as underscores):
//     the header holds spaces, which a stored type may not, and the result
//     is the body's object_kind for most events ("Push Hook" → "push",
//     "Tag Push Hook" → "tag_push", "Note Hook" → "note").
func TypeOf(source, header string) string {
	switch source {
	case "shopify":
		return strings.ReplaceAll(header, "/", ".")
	case "gitlab":
		name := strings.TrimSuffix(strings.TrimSpace(header), " Hook")
		return strings.ReplaceAll(strings.ToLower(name), " ", "_")
	}
	return header
}
