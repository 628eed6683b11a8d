package relay

import "testing"

func TestDeliveryIDsAreUnambiguousHeaderValues(t *testing.T) {
	for _, c := range []struct {
		name                     string
		source, tenant, id, want string
	}{
		{"ordinary ids are unchanged", "stripe", "default", "evt_1", "stripe:default:evt_1"},
		{"a colon in the id is escaped", "stripe", "acme", "x:evt_c1", "stripe:acme:x%3Aevt_c1"},
		{"a colon in the tenant is escaped", "stripe", "acme:x", "evt_c1", "stripe:acme%3Ax:evt_c1"},
		{"a percent sign is escaped so escapes cannot be forged", "stripe", "acme%3Ax", "evt_c1", "stripe:acme%253Ax:evt_c1"},
		{"control bytes and spaces are escaped", "hmac", "a b", "evt\x01\r\n", "hmac:a%20b:evt%01%0D%0A"},
		{"bytes past ASCII are escaped byte by byte", "hmac", "café", "1", "hmac:caf%C3%A9:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := deliveryID(c.source, c.tenant, c.id); got != c.want {
				t.Fatalf("deliveryID(%q, %q, %q) = %q, want %q", c.source, c.tenant, c.id, got, c.want)
			}
		})
	}
	if deliveryID("s", "acme", "x:evt_c1") == deliveryID("s", "acme:x", "evt_c1") {
		t.Fatal("two events share a delivery id")
	}
}
