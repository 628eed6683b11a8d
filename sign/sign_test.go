package sign_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/hookgate/caddy-hookgate/caddymodule"
	"github.com/hookgate/caddy-hookgate/sign"
	"github.com/hookgate/caddy-hookgate/verifier"
)

const providerNamespace = "http.handlers.webhook.verifiers"

// The vectors of ../shared/providers.md; Shopify and WooCommerce are the
// hmac provider configured with their header and base64.
func TestSignMatchesTheVectors(t *testing.T) {
	at := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name, provider, secret, body, id string
		at                               time.Time
		opts                             sign.Options
		header, want                     string
	}{
		{"stripe", "stripe", "whsec_test_secret", `{"id":"evt_1","type":"invoice.paid"}`, "", at, sign.Options{},
			"Stripe-Signature", "t=1700000000,v1=46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595"},
		{"github's published example", "github", "It's a Secret to Everybody", "Hello, World!", "d1", at, sign.Options{},
			"X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{"github", "github", "gh_secret", `{"action":"opened","number":1}`, "d2", at, sign.Options{},
			"X-Hub-Signature-256", "sha256=e7df90e2ef8be86e5a09004d917f414df0fd99706ea5d39153e7cd5d59a02bb3"},
		{"standard webhooks' published example", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `{"test": 2432232314}`,
			"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), sign.Options{},
			"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"standard webhooks under svix names", "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `{"test": 2432232314}`,
			"msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), sign.Options{Family: "svix"},
			"Svix-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"wordpress", "wordpress", "wp_shared_secret", `{"event":"post.published","post_id":7}`, "e1", at, sign.Options{},
			"X-WP-Signature", "uHs2k2U0vAUmYr/fApnM8JMBsI8U271PRvU4/UbdEr0="},
		{"shopify through hmac", "hmac", "shpss_test", `{"id":820982911946154508,"email":"jon@example.com"}`, "", at,
			sign.Options{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64"},
			"X-Shopify-Hmac-Sha256", "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ="},
		{"woocommerce through hmac", "hmac", "wc_secret", `{"id":42,"status":"processing"}`, "", at,
			sign.Options{Header: "X-WC-Webhook-Signature", Encoding: "base64"},
			"X-WC-Webhook-Signature", "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="},
		{"token sends the secret as it is", "token", "static-token-123", `{}`, "", at, sign.Options{Header: "X-Gitlab-Token"},
			"X-Gitlab-Token", "static-token-123"},
		// The presets, with verifier/presets_test.go's vectors (computed
		// from each provider's documented algorithm).
		{"shopify", "shopify", "shpss_test", `{"id":820982911946154508,"email":"jon@example.com"}`, "", at, sign.Options{},
			"X-Shopify-Hmac-Sha256", "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ="},
		{"woocommerce", "woocommerce", "wc_secret", `{"id":42,"status":"processing"}`, "", at, sign.Options{},
			"X-WC-Webhook-Signature", "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="},
		{"paddle", "paddle", "pdl_ntfset_test", `{"event_id":"evt_01","event_type":"transaction.completed"}`, "", at, sign.Options{},
			"Paddle-Signature", "ts=1700000000;h1=cdc5cfe323f9d9f1c1fd8f7f085bcf6f029d0ecd291e7a44b2f57b88c63dd648"},
		{"linear", "linear", "lin_wh_secret", `{"action":"create","type":"Issue","data":{"id":"iss_1"},"webhookTimestamp":1700000000000}`, "", at, sign.Options{},
			"Linear-Signature", "98af0f2251421f394c0a12190881418ac498f9194f522a0b2fea835beec42df2"},
		{"intercom", "intercom", "ic_client_secret", `{"type":"notification_event","id":"notif_1","topic":"conversation.user.created"}`, "", at, sign.Options{},
			"X-Hub-Signature", "sha1=930a43faca79fd63fc17cad5e79e53210990b10d"},
		{"calendly", "calendly", "cal_signing_key", `{"event":"invitee.created","payload":{"email":"a@example.com"}}`, "", at, sign.Options{},
			"Calendly-Webhook-Signature", "t=1700000000,v1=c015041786e179bc4f0a0a180c1734b603e241a74bfc6de33d46d40996a32a87"},
		{"typeform", "typeform", "tf_secret", `{"event_id":"01TF","event_type":"form_response"}`, "", at, sign.Options{},
			"Typeform-Signature", "sha256=9MzJuaideU1ywkKDZGnDeSHN7GWJbL0pZzjorW8VvC4="},
		{"zendesk", "zendesk", "zd_signing_secret", `{"type":"zen:event-type:ticket.created","id":"zd_1"}`, "", at, sign.Options{},
			"X-Zendesk-Webhook-Signature", "KeTPGahMNyyQMgMCIUk1DykTk5i79QVO6MuCUztLLcg="},
		{"zendesk's timestamp header", "zendesk", "zd_signing_secret", `{}`, "", at, sign.Options{},
			"X-Zendesk-Webhook-Signature-Timestamp", "2023-11-14T22:13:20Z"},
		{"razorpay", "razorpay", "rzp_wh_secret", `{"entity":"event","event":"payment.captured","created_at":1700000000}`, "", at, sign.Options{},
			"X-Razorpay-Signature", "af8ec09e71b543f7eae4b1bfbe8e87f8079ed9025508c4ac3735f496c32d7883"},
		{"shopify's topic comes from --event", "shopify", "s", `{}`, "", at, sign.Options{Event: "orders/create"}, "X-Shopify-Topic", "orders/create"},
		{"gitlab sends its token", "gitlab", "glwht-token", `{"object_kind":"push"}`, "", at, sign.Options{}, "X-Gitlab-Token", "glwht-token"},
		{"gitlab sends the id as its event uuid", "gitlab", "glwht-token", `{}`, "uuid-1", at, sign.Options{}, "X-Gitlab-Event-Uuid", "uuid-1"},
		{"telegram sends its token", "telegram", "tg_secret", `{"update_id":1}`, "", at, sign.Options{}, "X-Telegram-Bot-Api-Secret-Token", "tg_secret"},
		// Slack's published example (pub); the Zoom, Twitch and Meta vectors
		// of verifier's tests (computed from each documented algorithm);
		// Discord's is providers.md's (the key of the seed bytes 0..31).
		{"slack's published example", "slack", "8f742231b10e8888abcd99yyyzzz85a5",
			"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			"", time.Unix(1531420618, 0), sign.Options{}, "X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
		{"slack sends a form as a form", "slack", "s", "command=%2Fweather", "", at, sign.Options{}, "Content-Type", "application/x-www-form-urlencoded"},
		{"zoom", "zoom", "zoom_secret_token",
			`{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","start_time":"2023-11-14T22:13:20Z"}}}`,
			"", at, sign.Options{}, "X-Zm-Signature", "v0=da6a9648a802c58bb9b0b636b43b0159a31740e5dabc75193adaa2b0174a6e50"},
		{"twitch", "twitch", "twitch_subscription_secret",
			`{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0,"condition":{"broadcaster_user_id":"1337","moderator_user_id":"1337"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"},"event":{"user_id":"1234","user_login":"cool_user","user_name":"Cool_User","broadcaster_user_id":"1337","broadcaster_user_login":"cooler_user","broadcaster_user_name":"Cooler_User","followed_at":"2020-07-15T18:16:11.17106713Z"}}`,
			"e76c6bd4-55c9-4987-8304-da1588d8988b", time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC), sign.Options{},
			"Twitch-Eventsub-Message-Signature", "sha256=1d011e740eeb46c1339e88a72e07a2d22da2eae75638fe542d1bd5758c63cc60"},
		{"twitch's message type follows the body", "twitch", "s", `{"challenge":"c","subscription":{}}`, "", at, sign.Options{},
			"Twitch-Eventsub-Message-Type", "webhook_callback_verification"},
		{"discord", "discord", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", `{"type":1}`, "", at, sign.Options{},
			"X-Signature-Ed25519", "c1098e97d711377f30225d53d94b89d43537f92e5b3afaddc590781b1f9f9d4b2eeab335d370be3b9a090bc61a85b86448bc140dcd195f1569c2bff181257607"},
		{"meta", "meta", "meta_app_secret",
			`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]},"field":"messages"}]}]}`,
			"", at, sign.Options{}, "X-Hub-Signature-256", "sha256=4d4e5f457f84420af7d413c5dcfebd418ea6b4dc74afc97d8484b06b2a6edb8c"},
		{"hmac with a template and a key-value list", "hmac", "pdl_ntfset_test", `{"event_id":"evt_01","event_type":"transaction.completed"}`, "", at,
			sign.Options{Header: "Paddle-Signature", SignatureFormat: "kv sep=; ts=ts sig=h1", Template: "{ts}:{body}"},
			"Paddle-Signature", "ts=1700000000;h1=cdc5cfe323f9d9f1c1fd8f7f085bcf6f029d0ecd291e7a44b2f57b88c63dd648"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := sign.Sign(tc.provider, tc.secret, []byte(tc.body), tc.at, tc.id, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Get(tc.header); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestSignStripeAgreesWithStripeGo(t *testing.T) {
	const secret = "whsec_test_secret"
	body := []byte(`{"id":"evt_sdk","object":"event","type":"invoice.paid"}`)
	at := time.Unix(1700000123, 0)
	h, err := sign.Sign("stripe", secret, body, at, "", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sdk := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	if got := h.Get("Stripe-Signature"); got != sdk.Header {
		t.Errorf("Stripe-Signature = %q, stripe-go signs %q", got, sdk.Header)
	}
	if err := webhook.ValidatePayloadIgnoringTolerance(body, h.Get("Stripe-Signature"), secret); err != nil {
		t.Errorf("stripe-go refuses what sign signs: %v", err)
	}
}

func TestSignStandardAgreesWithTheStandardWebhooksLibrary(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"user.created","data":{"id":1}}`)
	at := time.Now()
	h, err := sign.Sign("standard", secret, body, at, "msg_sdk", sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_sdk", at, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("Webhook-Signature"); got != want {
		t.Errorf("webhook-signature = %q, the library signs %q", got, want)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Errorf("the library refuses what sign signs: %v", err)
	}
}

// A provider registered in caddymodule without a signer here would be one
// `caddy hookgate sign` cannot sign for.
func TestSignEveryRegisteredProviderHasASigner(t *testing.T) {
	mods := caddy.GetModules(providerNamespace)
	if len(mods) == 0 {
		t.Fatalf("no modules in %s: is caddymodule imported?", providerNamespace)
	}
	for _, m := range mods {
		if _, ok := sign.Lookup(m.ID.Name()); !ok {
			t.Errorf("provider %s has no signer in sign/", m.ID.Name())
		}
	}
}

// roundTrip is how each provider is configured for the round trip: the
// module's JSON options (as the Caddyfile would set them) and the
// matching sign options.
var roundTrip = map[string]struct {
	secret string
	// verifyWith is the route's secret where it is not the signer's:
	// the public key of a signing key.
	verifyWith string
	module     string
	opts       sign.Options
	body       string // instead of the shared one
}{
	"discord": {verifyWith: sign.DiscordPublicKey("a_test_secret")},
	// A P-256 key pair: the signer's private key, the route's public key.
	"sendgrid": {
		secret:     "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJLReCXH7LjK9pZJRL21BIsJ28BDy4KtXyDsnlcv2ixuhRANCAATBrFOIIU3BP2WLlKVe7kWRylpD6/qNzPRj7RI0uqfnpvKaLfzy97vBwH/ec5gIiVXxowIiXCQLQKqQiOv2xuSD",
		verifyWith: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwaxTiCFNwT9li5SlXu5FkcpaQ+v6jcz0Y+0SNLqn56bymi388ve7wcB/3nOYCIlV8aMCIlwkC0CqkIjr9sbkgw==",
		body:       `[{"sg_event_id":"sg_rt","event":"delivered"}]`,
	},
	"linear":   {body: `{"type":"Issue","action":"create","webhookTimestamp":1700000000000}`},
	"standard": {secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	"hmac": {module: `{"header":"X-Sig","algorithm":"sha512","encoding":"base64","prefix":"v1=","timestamp_header":"X-Ts"}`,
		opts: sign.Options{Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "v1=", TimestampHeader: "X-Ts"}},
	"token": {module: `{"header":"X-Token"}`, opts: sign.Options{Header: "X-Token"}},
	// The URL-signing providers verify the request sent to opts.URL.
	"twilio":  {opts: sign.Options{URL: "https://hooks.example.com/twilio?tenant=acme"}, body: "MessageSid=SM1&MessageStatus=delivered&Body=Hi+there%21"},
	"square":  {opts: sign.Options{URL: "https://hooks.example.com/square"}},
	"hubspot": {opts: sign.Options{URL: "https://hooks.example.com/hub%3Aspot?portal=1"}, body: `[{"eventId":1,"subscriptionType":"contact.creation"}]`},
	// The token signs no body: body_signature is what a changed body fails.
	"jwt": {module: `{"algorithm":"HS256","body_signature_header":"X-Signature","body_signature_secrets":["a_test_secret"]}`,
		opts: sign.Options{Header: "X-Signature"}},
	// The signature is in the body (sign.MailgunBody made this one, at
	// 1700000000 under a_test_secret); it covers its timestamp and token only.
	"mailgun": {body: `{"signature":{"timestamp":"1700000000","token":"rt_token_0123456789","signature":"085f77d73e87a5f87c96d030794ed86a4f31228e4bb9ce7cf781ca7bbb07af65"},"event-data":{"event":"delivered"}}`},
}

// verifyAs verifies body with h as v's route would: through the request
// to url for the schemes that sign it.
func verifyAs(v verifier.Verifier, url string, h http.Header, body []byte) error {
	if rv, ok := v.(verifier.RequestVerifier); ok {
		r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		r.RequestURI = r.URL.RequestURI()
		r.Header = h
		_, err := rv.VerifyRequest(r, body)
		return err
	}
	_, err := v.Verify(h, body)
	return err
}

// Every registered provider's verifier, built through its Caddy module as
// a route would build it, accepts what its signer signs, and refuses it
// once the body changes.
func TestSignEveryRegisteredProviderVerifies(t *testing.T) {
	at := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_rt","type":"invoice.paid","event":"post.published","action":"opened"}`)
	for _, m := range caddy.GetModules(providerNamespace) {
		name := m.ID.Name()
		t.Run(name, func(t *testing.T) {
			rt := roundTrip[name]
			if rt.secret == "" {
				rt.secret = "a_test_secret"
			}
			mod := m.New()
			if rt.module != "" {
				if err := json.Unmarshal([]byte(rt.module), mod); err != nil {
					t.Fatal(err)
				}
			}
			p, ok := mod.(caddymodule.Provider)
			if !ok {
				t.Fatalf("%s is not a caddymodule.Provider", m.ID)
			}
			routeSecret := rt.secret
			if rt.verifyWith != "" {
				routeSecret = rt.verifyWith
			}
			v, err := p.NewVerifier(verifier.Config{Secrets: []string{routeSecret}, Now: func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			body := body
			if rt.body != "" {
				body = []byte(rt.body)
			}
			h, err := sign.Sign(name, rt.secret, body, at, "id_rt", rt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyAs(v, rt.opts.URL, h, body); err != nil {
				t.Errorf("verify refuses what sign signs: %v (headers %v)", err, names(h))
			}
			if p, ok := verifier.LookupPreset(name); name == "token" || name == "mailgun" || ok && p.Token != nil {
				return // signs nothing about the body
			}
			if err := verifyAs(v, rt.opts.URL, h, append([]byte(" "), body...)); err == nil {
				t.Error("verify accepts a changed body")
			}
			if rt.opts.URL != "" {
				if err := verifyAs(v, rt.opts.URL+"x", h, body); err == nil {
					t.Error("verify accepts the signature at another URL")
				}
			}
		})
	}
}

func TestSignRefusesWhatTheRouteCouldNotVerify(t *testing.T) {
	for _, tc := range []struct {
		name, provider, secret string
		opts                   sign.Options
		want                   string
	}{
		{"an unknown provider", "nope", "s", sign.Options{}, "no signer"},
		{"hmac without its header", "hmac", "s", sign.Options{}, "header is required"},
		{"token without its header", "token", "s", sign.Options{}, "header is required"},
		{"hmac with an unknown algorithm", "hmac", "s", sign.Options{Header: "X", Algorithm: "md5"}, "unknown algorithm"},
		{"hmac with an unknown encoding", "hmac", "s", sign.Options{Header: "X", Encoding: "b32"}, "unknown encoding"},
		{"standard with a secret that is not base64", "standard", "whsec_not base64!", sign.Options{}, "not whsec_"},
		{"hmac with an unknown placeholder", "hmac", "s", sign.Options{Header: "X", Template: "{method}{body}"}, "unknown placeholder"},
		{"linear without the body's webhookTimestamp", "linear", "s", sign.Options{}, `needs its "webhookTimestamp" field`},
		{"twilio without the URL it signs", "twilio", "s", sign.Options{}, "the URL is required"},
		{"square with a URL that is not absolute", "square", "s", sign.Options{URL: "/hooks/square"}, "not an absolute http(s) URL"},
		{"hubspot without the URL it signs", "hubspot", "s", sign.Options{}, "the URL is required"},
		{"twilio JSON without bodySHA256 in the URL", "twilio", "s", sign.Options{URL: "https://h.example/t"},
			"send it to https://h.example/t?bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sign.Sign(tc.provider, tc.secret, []byte(`{}`), time.Now(), "", tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.secret != "s" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestSignDefaultsAnIDWhereTheProviderSendsOne(t *testing.T) {
	body := []byte(`{"id":"evt_wp","event":"post.published"}`)
	wp, _ := sign.Sign("wordpress", "s", body, time.Now(), "", sign.Options{})
	if got := wp.Get("X-Event-Id"); got != "evt_wp" {
		t.Errorf("wordpress X-Event-Id = %q, want the body's id", got)
	}
	a, _ := sign.Sign("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body, time.Now(), "", sign.Options{})
	b, _ := sign.Sign("standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body, time.Now(), "", sign.Options{})
	if a.Get("Webhook-Id") == "" || a.Get("Webhook-Id") == b.Get("Webhook-Id") {
		t.Errorf("standard ids %q and %q: want two fresh ones", a.Get("Webhook-Id"), b.Get("Webhook-Id"))
	}
}

func names(h http.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	return out
}
