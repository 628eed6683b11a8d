package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// urlRequest is a POST of body to u as it reaches the server (RequestURI
// and Host from u, TLS for https), with the headers given.
func urlRequest(u, body string, h http.Header) *http.Request {
	r := httptest.NewRequest(http.MethodPost, u, strings.NewReader(body))
	r.RequestURI = r.URL.RequestURI() // origin form, as a client sends it
	if !strings.HasPrefix(u, "https://") {
		r.TLS = nil
	} else if r.TLS == nil {
		r.TLS = &tls.ConnectionState{}
	}
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

func twilioSig(token, signed string) string {
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(signed))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// twilioDocParams is the example of twilio.com/docs/usage/security
// ("Validating requests"): token 12345, this URL and these params sign
// to 0/KCTR6DLpKmkAf8muzZqo1nDgQ= (also in ../shared/providers.md).
const (
	twilioDocURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twilioDocParams = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212"
	twilioDocSig    = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

func newTwilioT(t *testing.T, opts TwilioOptions, secrets ...string) *Twilio {
	t.Helper()
	v, err := NewTwilio(Config{Secrets: secrets}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTwilio(t *testing.T) {
	jsonBody := `{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}`
	sum := sha256.Sum256([]byte(jsonBody))
	jsonURL := "https://example.com/myapp?bodySHA256=" + hex.EncodeToString(sum[:])
	cases := []struct {
		name, url, body, sig string
		secrets              []string
		want                 error
	}{
		{"the documented vector is accepted (published)", twilioDocURL, twilioDocParams, twilioDocSig, []string{"12345"}, nil},
		{"the params in another order are the same signature", twilioDocURL,
			"To=%2B18005551212&From=%2B12349013030&Digits=1234&Caller=%2B12349013030&CallSid=CA1234567890ABCDE", twilioDocSig, []string{"12345"}, nil},
		{"the second auth token verifies too (rotation)", twilioDocURL, twilioDocParams, twilioDocSig, []string{"other", "12345"}, nil},
		{"the URL with the default port written out is accepted", "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilioDocParams, twilioDocSig, []string{"12345"}, nil},
		{"a repeated name signs each value, sorted (computed)", "https://h.example/x", "B=2&A=z&A=y",
			twilioSig("tok", "https://h.example/xAyAzB2"), []string{"tok"}, nil},
		{"no params signs the URL alone (computed)", "https://h.example/x", "", twilioSig("tok", "https://h.example/x"), []string{"tok"}, nil},
		{"the JSON variant signs the URL with bodySHA256 (computed)", jsonURL, jsonBody, twilioSig("tok", jsonURL), []string{"tok"}, nil},
		{"the wrong token is refused", twilioDocURL, twilioDocParams, twilioDocSig, []string{"54321"}, ErrMismatch},
		{"another path is refused", "https://mycompany.com/other.php?foo=1&bar=2", twilioDocParams, twilioDocSig, []string{"12345"}, ErrMismatch},
		{"another host is refused", "https://evil.example/myapp.php?foo=1&bar=2", twilioDocParams, twilioDocSig, []string{"12345"}, ErrMismatch},
		{"http instead of https is refused", "http://mycompany.com/myapp.php?foo=1&bar=2", twilioDocParams, twilioDocSig, []string{"12345"}, ErrMismatch},
		{"another port is refused", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", twilioDocParams, twilioDocSig, []string{"12345"}, ErrMismatch},
		{"a query in another order is refused", "https://mycompany.com/myapp.php?bar=2&foo=1", twilioDocParams, twilioDocSig, []string{"12345"}, ErrMismatch},
		{"an added param is refused", twilioDocURL, twilioDocParams + "&X=1", twilioDocSig, []string{"12345"}, ErrMismatch},
		{"a dropped param is refused", twilioDocURL, strings.TrimSuffix(twilioDocParams, "&To=%2B18005551212"), twilioDocSig, []string{"12345"}, ErrMismatch},
		{"a param moved to the query is refused", twilioDocURL + "&To=%2B18005551212", strings.TrimSuffix(twilioDocParams, "&To=%2B18005551212"), twilioDocSig, []string{"12345"}, ErrMismatch},
		{"a malformed form is refused", twilioDocURL, twilioDocParams + "&%zz", twilioDocSig, []string{"12345"}, ErrMismatch},
		{"a JSON body other than the hashed one is refused", jsonURL, jsonBody + " ", twilioSig("tok", jsonURL), []string{"tok"}, ErrMismatch},
		{"a bad bodySHA256 is refused", "https://example.com/myapp?bodySHA256=zz", jsonBody, twilioSig("tok", "https://example.com/myapp?bodySHA256=zz"), []string{"tok"}, ErrMismatch},
		{"bodySHA256 twice is refused", jsonURL + "&bodySHA256=" + hex.EncodeToString(sum[:]), jsonBody,
			twilioSig("tok", jsonURL+"&bodySHA256="+hex.EncodeToString(sum[:])), []string{"tok"}, ErrMismatch},
		{"a missing signature is refused", twilioDocURL, twilioDocParams, "", []string{"12345"}, ErrMissing},
		{"a signature that is not base64 of 20 bytes is malformed", twilioDocURL, twilioDocParams, "0/KCTR6DLpKmkAf8muzZqo1nDgQ", []string{"12345"}, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTwilioT(t, TwilioOptions{}, tc.secrets...)
			h := http.Header{}
			if tc.sig != "" {
				h.Set("X-Twilio-Signature", tc.sig)
			}
			_, err := v.VerifyRequest(urlRequest(tc.url, tc.body, h), []byte(tc.body))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Every one-byte change of the body, the URL or the signature is refused.
func TestTwilioRejectsOneByteChanges(t *testing.T) {
	v := newTwilioT(t, TwilioOptions{}, "12345")
	check := func(what, u, body, sig string) {
		t.Helper()
		h := http.Header{"X-Twilio-Signature": {sig}}
		if _, err := v.VerifyRequest(urlRequest(u, body, h), []byte(body)); err == nil {
			t.Errorf("%s: %q %q %q accepted", what, u, body, sig)
		}
	}
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 0x01; return string(b) }
	for i := range len(twilioDocParams) {
		body := flip(twilioDocParams, i)
		if p, err := SortedFormParams([]byte(body)); err == nil && string(p) == mustSorted(t, twilioDocParams) {
			continue // the same params (a flipped case in an escape's hex)
		}
		check("body byte "+strconv.Itoa(i), twilioDocURL, body, twilioDocSig)
	}
	for i := len("https://"); i < len(twilioDocURL); i++ {
		u := flip(twilioDocURL, i)
		if _, err := url.ParseRequestURI(u); err != nil {
			continue // not a request httptest can make
		}
		check("URL byte "+strconv.Itoa(i), u, twilioDocParams, twilioDocSig)
	}
	for i := range len(twilioDocSig) {
		check("signature byte "+strconv.Itoa(i), twilioDocURL, twilioDocParams, flip(twilioDocSig, i))
	}
}

func mustSorted(t *testing.T, body string) string {
	t.Helper()
	p, err := SortedFormParams([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func TestTwilioLocator(t *testing.T) {
	cases := []struct {
		name string
		opts TwilioOptions
		want Locator
	}{
		{"a form route types events by MessageStatus", TwilioOptions{},
			Locator{IDHeader: "I-Twilio-Idempotency-Token", TypeField: "MessageStatus", ContentType: "application/x-www-form-urlencoded", Body: BodyForm}},
		{"type_field names another form field", TwilioOptions{TypeField: "CallStatus"},
			Locator{IDHeader: "I-Twilio-Idempotency-Token", TypeField: "CallStatus", ContentType: "application/x-www-form-urlencoded", Body: BodyForm}},
		{"type_field - reads none", TwilioOptions{TypeField: "-"},
			Locator{IDHeader: "I-Twilio-Idempotency-Token", ContentType: "application/x-www-form-urlencoded", Body: BodyForm}},
		{"a JSON route takes JSON objects", TwilioOptions{JSON: true},
			Locator{IDHeader: "I-Twilio-Idempotency-Token", ContentType: "application/json", Body: BodyJSONObject}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := newTwilioT(t, tc.opts, "tok").Locate()
			got.Audit = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTwilioUsesTheRoutesURL(t *testing.T) {
	public := "https://hooks.example.com/twilio"
	v := newTwilioT(t, TwilioOptions{URL: func(*http.Request) string { return public }}, "tok")
	h := http.Header{"X-Twilio-Signature": {twilioSig("tok", public+"MessageSidSM1")}}
	r := urlRequest("http://127.0.0.1:8080/internal", "MessageSid=SM1", h)
	if _, err := v.VerifyRequest(r, []byte("MessageSid=SM1")); err != nil {
		t.Fatalf("signed over the public URL, refused: %v", err)
	}
	v = newTwilioT(t, TwilioOptions{URL: func(*http.Request) string { return "" }}, "tok")
	if _, err := v.VerifyRequest(r, []byte("MessageSid=SM1")); !errors.Is(err, ErrMismatch) {
		t.Fatalf("no URL: %v, want a mismatch", err)
	}
	if _, err := v.Verify(r.Header, []byte("MessageSid=SM1")); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify without the request: %v, want a mismatch", err)
	}
}

func squareSig(key, u, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(u + body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// squareVector is computed from Square's documented algorithm (no
// published vector): base64 HMAC-SHA256 of notification URL + body.
const (
	squareURL  = "https://example.com/webhook"
	squareBody = `{"merchant_id":"6SSW7HV8K2ST5","type":"payment.created","event_id":"13b867cf-db3d-4b1c-90b6-2f32a9d78124","created_at":"2020-02-06T21:27:30.792Z","data":{"type":"payment","id":"KkAkhdMsgzn59SM8A89WgKwekxLZY"}}`
)

func TestSquare(t *testing.T) {
	key := "sq_signature_key"
	sig := squareSig(key, squareURL, squareBody)
	cases := []struct {
		name, url, body, sig string
		want                 error
	}{
		{"the signature over URL and body is accepted (computed)", squareURL, squareBody, sig, nil},
		{"another path is refused", "https://example.com/webhook2", squareBody, sig, ErrMismatch},
		{"another host is refused", "https://evil.example/webhook", squareBody, sig, ErrMismatch},
		{"an added query is refused", squareURL + "?x=1", squareBody, sig, ErrMismatch},
		{"http instead of https is refused", "http://example.com/webhook", squareBody, sig, ErrMismatch},
		{"a missing signature is refused", squareURL, squareBody, "", ErrMissing},
		{"a hex signature is malformed", squareURL, squareBody, strings.Repeat("ab", 32), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewSquare(Config{Secrets: []string{key}}, URLOptions{})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			if tc.sig != "" {
				h.Set("x-square-hmacsha256-signature", tc.sig)
			}
			_, err = v.VerifyRequest(urlRequest(tc.url, tc.body, h), []byte(tc.body))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSquareRejectsOneByteChanges(t *testing.T) {
	key := "sq_signature_key"
	v, _ := NewSquare(Config{Secrets: []string{key}}, URLOptions{})
	sig := squareSig(key, squareURL, squareBody)
	check := func(what, u, body, sig string) {
		t.Helper()
		h := http.Header{"X-Square-Hmacsha256-Signature": {sig}}
		if _, err := v.VerifyRequest(urlRequest(u, body, h), []byte(body)); err == nil {
			t.Errorf("%s accepted", what)
		}
	}
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 0x01; return string(b) }
	for i := range len(squareBody) {
		check("body byte "+strconv.Itoa(i), squareURL, flip(squareBody, i), sig)
	}
	for i := len("https://"); i < len(squareURL); i++ {
		if u := flip(squareURL, i); func() bool { _, err := url.ParseRequestURI(u); return err == nil }() {
			check("URL byte "+strconv.Itoa(i), u, squareBody, sig)
		}
	}
	for i := range len(sig) {
		check("signature byte "+strconv.Itoa(i), squareURL, squareBody, flip(sig, i))
	}
}

// hubspotVector is ../shared/providers.md's, computed from HubSpot's
// documented algorithm (HubSpot publishes no v3 vector).
const (
	hubspotSecret = "hs_client_secret"
	hubspotURL    = "https://hooks.example.com/hubspot"
	hubspotBody   = `[{"eventId":1,"subscriptionType":"contact.creation","objectId":123}]`
	hubspotTS     = "1700000000000"
	hubspotSigDoc = "sqXOcT/0Rm44Onxa+Obu5rSmiClflohR0V4S5wPhwAk="
)

func hubspotSig(secret, method, uri, body, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri + body + ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func newHubSpotT(t testing.TB, now time.Time) *HubSpot {
	t.Helper()
	v, err := NewHubSpot(Config{Secrets: []string{hubspotSecret}, Now: func() time.Time { return now }}, URLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHubSpot(t *testing.T) {
	at := time.UnixMilli(1700000000000)
	escaped := "https://hooks.example.com/hubspot/a%3Ab%2Fc%20d?q=%40x%26y%3Dz"
	decoded := "https://hooks.example.com/hubspot/a:b/c%20d?q=@x%26y%3Dz"
	cases := []struct {
		name, method, url, body, ts, sig string
		now                              time.Time
		want                             error
	}{
		{"the providers.md vector is accepted (computed)", "POST", hubspotURL, hubspotBody, hubspotTS, hubspotSigDoc, at, nil},
		{"4m59s old is accepted", "POST", hubspotURL, hubspotBody, hubspotTS, hubspotSigDoc, at.Add(4*time.Minute + 59*time.Second), nil},
		{"the URI is signed with HubSpot's escapes decoded, others kept (computed)", "POST", escaped, hubspotBody, hubspotTS,
			hubspotSig(hubspotSecret, "POST", decoded, hubspotBody, hubspotTS), at, nil},
		{"the URI signed as sent, undecoded, is refused", "POST", escaped, hubspotBody, hubspotTS,
			hubspotSig(hubspotSecret, "POST", escaped, hubspotBody, hubspotTS), at, ErrMismatch},
		{"older than 5 minutes is stale", "POST", hubspotURL, hubspotBody, hubspotTS, hubspotSigDoc, at.Add(5*time.Minute + time.Millisecond), ErrStale},
		{"more than 5 minutes ahead is stale", "POST", hubspotURL, hubspotBody, hubspotTS, hubspotSigDoc, at.Add(-5*time.Minute - time.Millisecond), ErrStale},
		{"another method is refused", "PUT", hubspotURL, hubspotBody, hubspotTS, hubspotSigDoc, at, ErrMismatch},
		{"another path is refused", "POST", "https://hooks.example.com/hubspot2", hubspotBody, hubspotTS, hubspotSigDoc, at, ErrMismatch},
		{"another host is refused", "POST", "https://evil.example/hubspot", hubspotBody, hubspotTS, hubspotSigDoc, at, ErrMismatch},
		{"another timestamp is refused", "POST", hubspotURL, hubspotBody, "1700000000001", hubspotSigDoc, at, ErrMismatch},
		{"the timestamp in seconds is refused", "POST", hubspotURL, hubspotBody, "1700000000", hubspotSigDoc, at, ErrMismatch},
		{"a timestamp that is not digits is malformed", "POST", hubspotURL, hubspotBody, "+1700000000000", hubspotSigDoc, at, ErrMalformed},
		{"no timestamp is refused", "POST", hubspotURL, hubspotBody, "", hubspotSigDoc, at, ErrMissing},
		{"no signature is refused", "POST", hubspotURL, hubspotBody, hubspotTS, "", at, ErrMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sig != "" {
				h.Set("X-HubSpot-Signature-v3", tc.sig)
			}
			if tc.ts != "" {
				h.Set("X-HubSpot-Request-Timestamp", tc.ts)
			}
			r := urlRequest(tc.url, tc.body, h)
			r.Method = tc.method
			s, err := newHubSpotT(t, tc.now).VerifyRequest(r, []byte(tc.body))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && s.Timestamp != tc.ts {
				t.Fatalf("signed timestamp %q, want %q", s.Timestamp, tc.ts)
			}
		})
	}
}

func TestHubSpotRejectsOneByteChanges(t *testing.T) {
	v := newHubSpotT(t, time.UnixMilli(1700000000000))
	check := func(what, u, body, ts, sig string) {
		t.Helper()
		h := http.Header{"X-Hubspot-Signature-V3": {sig}, "X-Hubspot-Request-Timestamp": {ts}}
		if _, err := v.VerifyRequest(urlRequest(u, body, h), []byte(body)); err == nil {
			t.Errorf("%s accepted", what)
		}
	}
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 0x01; return string(b) }
	for i := range len(hubspotBody) {
		check("body byte "+strconv.Itoa(i), hubspotURL, flip(hubspotBody, i), hubspotTS, hubspotSigDoc)
	}
	for i := len("https://"); i < len(hubspotURL); i++ {
		if u := flip(hubspotURL, i); func() bool { _, err := url.ParseRequestURI(u); return err == nil }() {
			check("URL byte "+strconv.Itoa(i), u, hubspotBody, hubspotTS, hubspotSigDoc)
		}
	}
	for i := range len(hubspotTS) {
		check("timestamp byte "+strconv.Itoa(i), hubspotURL, hubspotBody, flip(hubspotTS, i), hubspotSigDoc)
	}
	for i := range len(hubspotSigDoc) {
		check("signature byte "+strconv.Itoa(i), hubspotURL, hubspotBody, hubspotTS, flip(hubspotSigDoc, i))
	}
}

func TestHubSpotURI(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"nothing to decode comes back as it is", "https://h/x?a=1", "https://h/x?a=1"},
		{"each listed escape is decoded", "%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B", ":/?@!$'()*,;"},
		{"lower-case hex is decoded too", "%3a%2f", ":/"},
		{"& = # + % and space stay escaped", "%26%3D%23%2B%25%20", "%26%3D%23%2B%25%20"},
		{"a cut escape stays", "x%3", "x%3"},
		{"a decoded % does not start an escape", "%253A", "%253A"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HubSpotURI(tc.in); got != tc.want {
				t.Fatalf("HubSpotURI(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRequestURL(t *testing.T) {
	cases := []struct{ name, url, want string }{
		{"https with the host and the URI as sent", "https://hooks.example.com/a%2Fb?x=1&y=2", "https://hooks.example.com/a%2Fb?x=1&y=2"},
		{"http with a port", "http://127.0.0.1:8080/twilio", "http://127.0.0.1:8080/twilio"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RequestURL(urlRequest(tc.url, "", nil)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	r := urlRequest("http://h/x", "", nil)
	r.RequestURI = "http://h/x" // absolute form
	if got := RequestURL(r); got != "" {
		t.Fatalf("absolute-form target gave %q, want no URL", got)
	}
}

func TestPortVariant(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://h.example/x", "https://h.example:443/x"},
		{"https://h.example:443/x?y", "https://h.example/x?y"},
		{"http://h.example:80", "http://h.example"},
		{"http://h.example?q", "http://h.example:80?q"},
		{"https://h.example:8443/x", ""},
		{"https://[::1]/x", "https://[::1]:443/x"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://u@h.example/x", ""},
		{"ftp://h.example/x", ""},
	}
	for _, tc := range cases {
		if got := portVariant(tc.in); got != tc.want {
			t.Errorf("portVariant(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
