package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/sign"
)

// WooCommerce end to end: the unsigned creation ping (webhook_id=<id>,
// form-encoded) answered 200 and not stored; anything else unsigned, the
// ping's look-alikes included, a 401; a signed order stored.
func TestWooCommercePingThroughCaddy(t *testing.T) {
	g := startGateway(t, `webhook /woocommerce woocommerce {
		secret wc_e2e_secret_1
	}`)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"WooCommerce/8.0 Hookshot (WordPress/6.4)"}}
	status, header, reply := g.post(t, "/woocommerce", form, []byte("webhook_id=17"))
	g.checkHandshake(t, status, header, reply, 200, "", "")
	if n := g.outcomes(t, "woocommerce", "handshake"); n != 1 {
		t.Errorf("handshake outcome counted %v times, want 1", n)
	}
	for _, body := range []string{"webhook_id=17&x=1", "webhook_id=", `{"webhook_id":17}`} {
		if status, _, reply := g.post(t, "/woocommerce", form, []byte(body)); status != 401 {
			t.Errorf("%q: %d %s", body, status, reply)
		}
	}
	order := `{"id":727,"status":"processing","customer_id":0,"billing":{"email":"john.doe@example.com"}}`
	h, err := sign.Sign("woocommerce", "wc_e2e_secret_1", []byte(order), time.Now(), "", sign.Options{Event: "order.created"})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, reply := g.post(t, "/woocommerce", h, []byte(order)); status != 202 {
		t.Fatalf("order: %d %s", status, reply)
	}
	if entries := g.stored(t); len(entries) != 1 || entries[0].Values["type"] != "order.created" {
		t.Fatalf("stored %v", entries)
	}
}
