package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// stripeWalkBodies are Stripe bodies on both sides of what the walk reads
// itself: each must map exactly as through encoding/json.
func stripeWalkBodies(t testing.TB) map[string]string {
	compact := func(b []byte) string {
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			t.Fatal(err)
		}
		return c.String()
	}
	invoice := readTestdata(t, "stripe_invoice_paid.json")
	return map[string]string{
		"an indented invoice":                    string(invoice),
		"a compact invoice":                      compact(invoice),
		"html-unsafe bytes and U+2028 in data":   `{"created":1700000000,"data":{"object":{"id":"in_<1>","object":"invoice","memo":"a & b \u2028 ` + "\u2028\u2029" + `","email":"x<y>@example.com"}}}`,
		"an escaped id and a non-ASCII email":    `{"created":1700000000,"data":{"object":{"id":"in_\u00e9\"1","object":"invoice","email":"jos\u00e9@exampl\u00e9.com","reason":"caf` + "\xff" + `"}}}`,
		"an expanded customer":                   `{"data":{"object":{"id":"cs_1","object":"checkout.session","customer":{"id":"cus_9","email":"c@example.com","object":"customer"}}}}`,
		"an expanded customer with a bad email":  `{"data":{"object":{"id":"cs_1","object":"checkout.session","customer":{"id":"cus_9","email":5}}}}`,
		"an expanded customer with null members": `{"data":{"object":{"id":"cs_1","customer":{"id":null,"email":"c@example.com"}}}}`,
		"a customer of another type":             `{"data":{"object":{"id":"cs_1","customer":[1],"email":true}}}`,
		"a null customer and null emails":        `{"data":{"object":{"id":"ch_1","customer":null,"receipt_email":null,"billing_details":{"email":"b@example.com"}}}}`,
		"customer events act on themselves":      `{"data":{"object":{"id":"cus_7","object":"customer","email":"new@example.com"}}}`,
		"a cancellation reason":                  `{"type":"x.deleted","data":{"object":{"id":"sub_1","cancellation_details":{"reason":"payment_failed"},"reason":"other"}}}`,
		"nested members of another type":         `{"data":{"object":{"id":"x","billing_details":"b","customer_details":{"email":1},"cancellation_details":null}}}`,
		"created as text, a float, an exponent":  `{"created":"1700000000","data":{"object":{"created":1}}}`,
		"created as a float":                     `{"created":1700000000.5,"data":{"object":{}}}`,
		"created with an exponent":               `{"created":17e8,"data":{"object":{}}}`,
		"created negative":                       `{"created":-1700000000,"data":{"object":{}}}`,
		"created past 9999":                      `{"created":99999999999999,"data":{"object":{}}}`,
		"created past int64":                     `{"created":99999999999999999999999,"data":{"object":{}}}`,
		"data.object null":                       `{"created":1700000000,"data":{"object":null}}`,
		"data.object a string":                   `{"created":1700000000,"data":{"object":"in_1"}}`,
		"data.object an array":                   `{"created":1700000000,"data":{"object":[{"id":"x"}]}}`,
		"data not an object":                     `{"created":1700000000,"data":[{"object":{"id":"x"}}]}`,
		"no data":                                ` {"id":"evt_3", "created":1700000000} `,
		"a member name in another case":          `{"Created":1700000000,"data":{"Object":{"ID":"in_1","Customer":"cus_1"}}}`,
		"a member name with an escape":           `{"cr\u0065ated":1700000000,"data":{"object":{"\u0069d":"in_1"}}}`,
		"a repeated member":                      `{"created":1,"created":1700000000,"data":{"object":{"id":"a"}},"data":{"object":{"object":"b"}}}`,
		"a repeated nested member":               `{"data":{"object":{"id":"a","customer":{"id":"c1"},"customer":"c2"}}}`,
		"the same names deeper are not members":  `{"x":{"created":1,"data":{"object":{"id":"no"}}},"data":{"object":{"lines":[{"id":"il_1","customer":"no"}],"id":"in_1"}}}`,
		"unicode that folds to a member name":    `{"data":{"object":{"\u017fubscription":"x","customer_email":"e@example.com"}}}`,
		"deep nesting":                           `{"data":{"object":{"id":"in_1","deep":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}}}`,
		"an empty object":                        `{}`,
	}
}

func TestStripeWalkMapsAsEncodingJSONDoes(t *testing.T) {
	for name, body := range stripeWalkBodies(t) {
		t.Run(name, func(t *testing.T) { checkStripeWalk(t, []byte(body)) })
	}
}

func TestStripeWalkReadsUsualBodiesItself(t *testing.T) {
	for name, body := range stripeWalkBodies(t) {
		if !strings.Contains(name, "invoice") {
			continue
		}
		var m [stripeMembers]span
		if _, err := walkMembers([]byte(body), stripeTree, m[:]); err != nil {
			t.Errorf("%s: walk: %v", name, err)
		}
	}
}

func FuzzStripeWalk(f *testing.F) {
	for _, body := range stripeWalkBodies(f) {
		f.Add([]byte(body))
	}
	for _, seed := range scanSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkStripeWalk(t, body) })
}

// checkStripeWalk compares normalizeStripe with decodeStripe, and the
// relay's encoding of each with json.Marshal's.
func checkStripeWalk(t *testing.T, body []byte) {
	t.Helper()
	s := storedEvent("stripe", "invoice.paid", string(body))
	seed := func() Envelope {
		return Envelope{ID: s.ID, Source: s.Source, Tenant: s.Tenant, Type: s.Type, OccurredAt: s.ReceivedAt, ReceivedAt: s.ReceivedAt}
	}
	fast, slow := seed(), seed()
	errFast, errSlow := normalizeStripe(s, &fast), decodeStripe(s, &slow)
	if (errFast == nil) != (errSlow == nil) || errFast != nil && errFast.Error() != errSlow.Error() {
		t.Fatalf("error %v, encoding/json's %v", errFast, errSlow)
	}
	if errFast != nil {
		return
	}
	want, err := json.Marshal(slow)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := json.Marshal(fast); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("walked envelope\n %s (%v)\nencoding/json's\n %s", got, err, want)
	}
	if got, err := fast.AppendJSON(nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON\n %s (%v)\njson.Marshal\n %s", got, err, want)
	}
}
