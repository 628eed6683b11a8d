package relay

import "strings"

// deliveryID is the webhook-id and Idempotency-Key of an event:
// "<source>:<tenant>:<id>", each part escaped so that no two events share
// one ("acme" + "x:evt_c1" against "acme:x" + "evt_c1") and so that the
// value is always a valid header, whatever bytes an entry holds.
func deliveryID(source, tenant, id string) string {
	return escapePart(source) + ":" + escapePart(tenant) + ":" + escapePart(id)
}

// escapePart percent-escapes '%', ':' and every byte outside visible ASCII.
// Ordinary ids (evt_1, msg_2Lx) pass unchanged, so receivers that stored
// them before the escaping existed still see the same keys.
func escapePart(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '!' || r > '~' || r == '%' || r == ':' })
	if i < 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for j := i; j < len(s); j++ {
		c := s[j]
		if c < '!' || c > '~' || c == '%' || c == ':' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
