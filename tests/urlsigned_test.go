package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// The providers that sign the URL (twilio, square, hubspot): the route
// verifies the URL the sender used, so a signature made for one host or
// path is refused at another, whatever else the request says.
const urlSignedSite = `
	webhook /hooks/twilio twilio {
		secret tw_auth_token
	}
	webhook /hooks/twilio-other twilio {
		secret tw_auth_token
	}
	webhook /hooks/twilio-json twilio {
		secret tw_auth_token
		body json
	}
	webhook /hooks/square* square {
		secret sq_signature_key
		public_url https://hooks.example.com{http.request.orig_uri}
	}
	webhook /hooks/hubspot* hubspot {
		secret hs_client_secret
	}
	respond "the site"
`

func urlSigned(t *testing.T, provider, secret, url, body string, at time.Time) http.Header {
	t.Helper()
	h, err := sign.Sign(provider, secret, []byte(body), at, "", sign.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// envelopeTarget records the envelopes a relay delivers.
type envelopeTarget struct {
	*httptest.Server
	mu   sync.Mutex
	envs []event.Envelope
}

func newEnvelopeTarget(t *testing.T) *envelopeTarget {
	t.Helper()
	et := &envelopeTarget{}
	et.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env event.Envelope
		if json.Unmarshal(body, &env) == nil {
			et.mu.Lock()
			et.envs = append(et.envs, env)
			et.mu.Unlock()
		}
	}))
	t.Cleanup(et.Close)
	return et
}

func (et *envelopeTarget) find(id string) (event.Envelope, bool) {
	et.mu.Lock()
	defer et.mu.Unlock()
	for _, e := range et.envs {
		if e.ID == id {
			return e, true
		}
	}
	return event.Envelope{}, false
}

func TestURLSignedProvidersVerifyTheURLTheSenderUsed(t *testing.T) {
	srv := redistest.Start(t)
	target := newEnvelopeTarget(t)
	// A site for any host, so that a request naming another Host reaches
	// the route.
	port := redistest.FreePort(t)
	c := startCaddyWith(t, port, func(c *caddy) string {
		return caddytest.Config(c.AdminAddr, port, srv.URL(), fmt.Sprintf("http://:%d", port), relayOpts(target.URL, ""), urlSignedSite)
	})
	host := strings.TrimPrefix(c.Base, "http://")
	form := "MessageSid=SM0123&MessageStatus=delivered&From=%2B15551234567&Body=Hi+there%21&MediaUrl=a&MediaUrl=b"
	twilioURL := c.Base + "/hooks/twilio?tenant=acme"
	twilio := urlSigned(t, "twilio", "tw_auth_token", twilioURL, form, time.Now())
	with := func(h http.Header, kv ...string) http.Header {
		h = h.Clone()
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	jsonBody := `{"CallSid":"CA77","CallStatus":"ringing","From":"+15551234567"}`
	jsonSum := sha256.Sum256([]byte(jsonBody))
	jsonPath := "/hooks/twilio-json?bodySHA256=" + hex.EncodeToString(jsonSum[:])
	twilioJSON := urlSigned(t, "twilio", "tw_auth_token", c.Base+jsonPath, jsonBody, time.Now())
	squareBody := `{"merchant_id":"6SSW7HV8K2ST5","type":"payment.created","event_id":"sq-evt-1","data":{"type":"payment","id":"KkAk"}}`
	square := urlSigned(t, "square", "sq_signature_key", "https://hooks.example.com/hooks/square", squareBody, time.Now())
	hubspotBody := `[{"eventId":101,"subscriptionType":"contact.creation","objectId":123},{"eventId":102,"subscriptionType":"contact.deletion","objectId":124}]`
	hubspot := urlSigned(t, "hubspot", "hs_client_secret", c.Base+"/hooks/hubspot", hubspotBody, time.Now())

	cases := []struct {
		name, path string
		header     http.Header
		body       string
		want       int
	}{
		{"twilio signed over the URL the client used is accepted", "/hooks/twilio?tenant=acme", twilio, form, 202},
		{"the same signed request again is a duplicate", "/hooks/twilio?tenant=acme", twilio, form, 200},
		{"twilio's signature at another path is refused", "/hooks/twilio-other?tenant=acme", twilio, form, 401},
		{"twilio's signature with another query is refused", "/hooks/twilio?tenant=beta", twilio, form, 401},
		{"twilio's signature with another Host is refused", "/hooks/twilio?tenant=acme", with(twilio, "Host", "evil.example"), form, 401},
		{"twilio's signature with a param changed is refused", "/hooks/twilio?tenant=acme", twilio, strings.Replace(form, "delivered", "failed", 1), 401},
		{"forwarded headers from an untrusted peer do not make a URL",
			"/hooks/twilio", with(urlSigned(t, "twilio", "tw_auth_token", "https://hooks.example.com/hooks/twilio", form, time.Now()),
				"X-Forwarded-Proto", "https", "X-Forwarded-Host", "hooks.example.com"), form, 401},
		{"twilio's JSON variant (bodySHA256 in the signed URL) is accepted", jsonPath, twilioJSON, jsonBody, 202},
		{"twilio's JSON variant with another body is refused", jsonPath, twilioJSON, strings.Replace(jsonBody, "ringing", "completed", 1), 401},
		{"a JSON body at a form route is refused for its content type", "/hooks/twilio" + jsonPath[len("/hooks/twilio-json"):], twilioJSON, jsonBody, 415},
		{"square signed over its public_url is accepted", "/hooks/square", square, squareBody, 202},
		{"square signed over the URL Caddy was asked for is refused when public_url says otherwise", "/hooks/square",
			urlSigned(t, "square", "sq_signature_key", c.Base+"/hooks/square", squareBody, time.Now()), squareBody, 401},
		{"square's signature at another path under the same route is refused", "/hooks/square2", square, squareBody, 401},
		{"hubspot signed over the URL the client used is accepted, one entry per element", "/hooks/hubspot", hubspot, hubspotBody, 202},
		{"hubspot's signature at another path is refused", "/hooks/hubspot2", hubspot, hubspotBody, 401},
		{"hubspot's signature with another Host is refused", "/hooks/hubspot", with(hubspot, "Host", "evil.example"), hubspotBody, 401},
		{"a stale hubspot timestamp is refused", "/hooks/hubspot",
			urlSigned(t, "hubspot", "hs_client_secret", c.Base+"/hooks/hubspot", hubspotBody, time.Now().Add(-6*time.Minute)), hubspotBody, 401},
		{"a future hubspot timestamp is refused", "/hooks/hubspot",
			urlSigned(t, "hubspot", "hs_client_secret", c.Base+"/hooks/hubspot", hubspotBody, time.Now().Add(6*time.Minute)), hubspotBody, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := c.post(t, tc.path, tc.header, []byte(tc.body))
			if status != tc.want {
				t.Fatalf("%d %s, want %d (signed for %s)", status, reply, tc.want, host)
			}
			if tc.want == 401 && !strings.Contains(reply, "signature mismatch") && !strings.Contains(reply, "timestamp outside tolerance") {
				t.Fatalf("refused with %s, want a signature refusal", reply)
			}
		})
	}
	if n, _ := srv.Do("XLEN", "hookgate:{events}"); n != ":5" {
		t.Errorf("the stream holds %s entries, want 5 (twilio form and JSON, square, two hubspot elements)", n)
	}

	// Twilio's event is the hash of what its signature covers (the URL,
	// then each field's name and value sorted), delivered with the form as
	// a JSON object.
	values, _ := url.ParseQuery(form)
	var pairs []string
	for name, vs := range values {
		for _, v := range vs {
			pairs = append(pairs, name+"\x00"+v)
		}
	}
	slices.Sort(pairs)
	signed := twilioURL
	for _, p := range pairs {
		signed += strings.Replace(p, "\x00", "", 1)
	}
	sum := sha256.Sum256([]byte(signed))
	id := "sha256:" + hex.EncodeToString(sum[:])
	var env event.Envelope
	waitFor(t, 15*time.Second, "the twilio event delivered", func() bool {
		var ok bool
		env, ok = target.find(id)
		return ok
	})
	var data map[string]any
	if err := json.Unmarshal(env.Data, &data); err != nil || data["Body"] != "Hi there!" || data["From"] != "+15551234567" {
		t.Fatalf("data %s is not the form as an object", env.Data)
	}
	if media, _ := data["MediaUrl"].([]any); len(media) != 2 || media[0] != "a" || media[1] != "b" {
		t.Errorf("a repeated field is %v, want its values in order", data["MediaUrl"])
	}
	if env.Type != "delivered" || env.Subject == nil || env.Subject.ID != "SM0123" || env.Actor == nil || env.Actor.ID != "+15551234567" {
		t.Errorf("envelope %+v %+v %+v, want type delivered, the message and From", env.Type, env.Subject, env.Actor)
	}
	waitFor(t, 15*time.Second, "each hubspot element delivered", func() bool {
		_, a := target.find("101")
		_, b := target.find("102")
		return a && b
	})
}

// Behind a proxy the server's trusted_proxies names, X-Forwarded-Proto and
// X-Forwarded-Host give the URL the provider signed; from any other peer
// they are the sender's words and change nothing.
func TestTrustedProxiesDecideWhoseForwardedURLCounts(t *testing.T) {
	form := "CallSid=CA42&CallStatus=completed&From=%2B15551234567"
	public := urlSigned(t, "twilio", "tw_auth_token", "https://hooks.example.com/hooks/twilio", form, time.Now())
	forwarded := func(h http.Header, host string) http.Header {
		h = h.Clone()
		h.Set("X-Forwarded-Proto", "https")
		h.Set("X-Forwarded-Host", host)
		return h
	}
	trusted := startCaddyWithGlobals(t, "servers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n", urlSignedSite)
	cases := []struct {
		name   string
		c      *caddy
		header http.Header
		want   int
	}{
		{"a trusted proxy's forwarded host and scheme are the URL", trusted, forwarded(public, "hooks.example.com"), 202},
		{"a trusted proxy forwarding another host is refused", trusted, forwarded(public, "other.example.com"), 401},
		{"without the forwarded headers the URL is Caddy's own and refused", trusted, public, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, reply := tc.c.post(t, "/hooks/twilio", tc.header, []byte(form)); status != tc.want {
				t.Fatalf("%d %s, want %d", status, reply, tc.want)
			}
		})
	}
}
