package tests

import (
	"bytes"
	"cmp"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	caddyv2 "github.com/caddyserver/caddy/v2"

	_ "github.com/hookgate/caddy-hookgate/caddymodule"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
	"github.com/hookgate/caddy-hookgate/verifier"
)

// cliSite has one route per provider, configured as the round trip signs.
const cliSite = `
	webhook /sendgrid sendgrid {
		secret ` + sendGridPublic + `
	}
	webhook /stripe stripe {
		secret whsec_test_secret
	}
	webhook /github github {
		secret gh_secret
	}
	webhook /standard standard {
		secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
	}
	webhook /wordpress wordpress {
		secret wp_shared_secret
	}
	webhook /hmac hmac {
		secret generic_secret
		header X-Signature
		algorithm sha512
		encoding base64
		prefix v1=
		timestamp_header X-Ts
		id_header X-Delivery
		type_field kind
	}
	webhook /token token {
		secret static-token-123
		header X-Token
		id_field id
	}
	webhook /shopify shopify {
		secret shpss_test
	}
	webhook /woocommerce woocommerce {
		secret wc_secret
	}
	webhook /gitlab gitlab {
		secret glwht-cli-token
	}
	webhook /paddle paddle {
		secret pdl_ntfset_test
	}
	webhook /linear linear {
		secret lin_wh_secret
	}
	webhook /intercom intercom {
		secret ic_client_secret
	}
	webhook /calendly calendly {
		secret cal_signing_key
	}
	webhook /typeform typeform {
		secret tf_secret
	}
	webhook /zendesk zendesk {
		secret zd_signing_secret
	}
	webhook /razorpay razorpay {
		secret rzp_wh_secret
	}
	webhook /telegram telegram {
		secret tg_cli_secret-1
	}
	webhook /slack slack {
		secret slack_cli_signing_secret
	}
	webhook /twilio twilio {
		secret tw_cli_auth_token
	}
	webhook /square square {
		secret sq_cli_signature_key
	}
	webhook /hubspot hubspot {
		secret hs_cli_client_secret
	}
	webhook /zoom zoom {
		secret zoom_cli_secret_token
	}
	webhook /twitch twitch {
		secret twitch_cli_secret
	}
	webhook /discord discord {
		secret fe48bda10fb72b41342a14cde980c1beb317eabdd0d175c65c83970672f867f2
	}
	webhook /jwt jwt {
		secret jwt_cli_hs_secret
		algorithm HS256
		body_signature X-Signature jwt_cli_hs_secret
	}
	webhook /mailgun mailgun {
		secret mg_cli_signing_key
	}
	webhook /meta meta {
		secret meta_cli_app_secret
		verify_token meta_cli_verify_token
	}
	respond "the WordPress site"
`

// cliProviders is one row per provider Hookgate verifies: the flags that
// sign for the route of cliSite, and a body (%s is a per-run marker and %n
// a per-run number, so a send is not a duplicate of the sign; %ms is the
// time in unix milliseconds, for Linear's signed webhookTimestamp).
type cliProvider struct {
	provider, path, secret string
	flags                  []string
	body                   string
}

var cliProviders = []cliProvider{
	{"stripe", "/stripe", "whsec_test_secret", nil, `{"id":"evt_cli_%s","object":"event","type":"invoice.paid"}`},
	{"github", "/github", "gh_secret", []string{"--event", "issues"}, `{"action":"opened","run":"%s"}`},
	{"standard", "/standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil, `{"type":"user.created","run":"%s"}`},
	{"standard svix", "/standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []string{"--family", "svix"}, `{"type":"user.created","svix":"%s"}`},
	{"wordpress", "/wordpress", "wp_shared_secret", nil, `{"id":"wp_cli_%s","event":"post.published"}`},
	{"hmac", "/hmac", "generic_secret", []string{"--header", "X-Signature", "--algorithm", "sha512", "--encoding", "base64",
		"--prefix", "v1=", "--timestamp-header", "X-Ts", "--id-header", "X-Delivery"}, `{"kind":"order.paid","run":"%s"}`},
	{"token", "/token", "static-token-123", []string{"--header", "X-Token"}, `{"id":"tok_cli_%s"}`},
	{"shopify", "/shopify", "shpss_test", []string{"--event", "orders/create"}, `{"id":820982911946154508,"run":"%s"}`},
	{"woocommerce", "/woocommerce", "wc_secret", []string{"--event", "order.created"}, `{"id":42,"run":"%s"}`},
	{"gitlab", "/gitlab", "glwht-cli-token", nil, `{"object_kind":"push","run":"%s"}`},
	{"paddle", "/paddle", "pdl_ntfset_test", nil, `{"event_id":"evt_cli_%s","event_type":"transaction.completed"}`},
	{"linear", "/linear", "lin_wh_secret", nil, `{"type":"Issue","action":"create","run":"%s","webhookTimestamp":%ms}`},
	{"intercom", "/intercom", "ic_client_secret", nil, `{"type":"notification_event","id":"notif_cli_%s","topic":"conversation.user.created"}`},
	{"calendly", "/calendly", "cal_signing_key", nil, `{"event":"invitee.created","run":"%s"}`},
	{"typeform", "/typeform", "tf_secret", nil, `{"event_id":"tf_cli_%s","event_type":"form_response"}`},
	{"zendesk", "/zendesk", "zd_signing_secret", nil, `{"type":"zen:event-type:ticket.created","run":"%s"}`},
	{"razorpay", "/razorpay", "rzp_wh_secret", nil, `{"entity":"event","event":"payment.captured","run":"%s"}`},
	{"telegram", "/telegram", "tg_cli_secret-1", nil, `{"update_id":%n,"message":{"text":"%s"}}`},
	{"sendgrid", "/sendgrid", sendGridPrivate, nil, `[{"sg_event_id":"sg_cli_%s","event":"delivered"}]`},
	{"jwt", "/jwt", "jwt_cli_hs_secret", []string{"--header", "X-Signature"}, `{"type":"post.published","id":"jwt_cli_%s"}`},
	// cliBody puts Mailgun's signature object into the body.
	{"mailgun", "/mailgun", "mg_cli_signing_key", nil, `{"event-data":{"event":"delivered","id":"%s"}}`},
	{"slack", "/slack", "slack_cli_signing_secret", nil, `{"type":"event_callback","event_id":"Ev_cli_%s","event":{"type":"app_mention","user":"U1"}}`},
	// The URL-signing providers sign the URL the request goes to (%url).
	{"twilio", "/twilio", "tw_cli_auth_token", []string{"--url", "%url"}, `MessageSid=SM_cli_%s&MessageStatus=delivered&From=%2B15551234567`},
	{"square", "/square", "sq_cli_signature_key", []string{"--url", "%url"}, `{"event_id":"sq_cli_%s","type":"payment.created"}`},
	{"hubspot", "/hubspot", "hs_cli_client_secret", []string{"--url", "%url"}, `[{"eventId":%n,"subscriptionType":"contact.creation","run":"%s"}]`},
	{"zoom", "/zoom", "zoom_cli_secret_token", nil, `{"event":"meeting.started","event_ts":%ms,"payload":{"object":{"id":"%s"}}}`},
	{"twitch", "/twitch", "twitch_cli_secret", nil, `{"subscription":{"type":"channel.follow"},"event":{"user_id":"%s"}}`},
	// The route holds the public key of the signer's passphrase key.
	{"discord", "/discord", "discord_cli_secret", nil, `{"id":"%s_cli","type":2,"data":{"name":"hello"}}`},
	{"meta", "/meta", "meta_cli_app_secret", nil, `{"object":"page","entry":[{"id":"%s","time":%n}]}`},
}

// cliAcceptedOK are the providers whose new events are answered 200, as
// they require, not 202.
var cliAcceptedOK = map[string]bool{"zoom": true, "meta": true}

// cliAcknowledged are the providers that answer a stored event as the
// provider requires instead of with Hookgate's JSON: Discord's deferred
// response to an interaction.
var cliAcknowledged = map[string]string{"discord": `{"type":5}`}

// cliWrongSecret is a wrong secret of the right form, for providers whose
// signer cannot sign with just any string (a private key).
var cliWrongSecret = map[string]string{"sendgrid": sendGridOtherPrivate}

// cliBody is p's body for one run (sign, send or wrong).
func cliBody(p cliProvider, run string) string {
	n := map[string]string{"sign": "1", "send": "2", "wrong": "3"}[run]
	body := strings.NewReplacer("%s", run, "%n", n, "%ms", strconv.FormatInt(time.Now().UnixMilli(), 10)).Replace(p.body)
	if p.provider == "mailgun" {
		// Mailgun's signature is inside the body: made here, under the
		// run's secret (the wrong one for "wrong").
		secret := p.secret
		if run == "wrong" {
			secret = cmp.Or(cliWrongSecret[p.provider], "whsec_d3Jvbmc=")
		}
		signed, err := sign.MailgunBody(secret, []byte(body), time.Now(), "")
		if err != nil {
			panic(err)
		}
		body = string(signed)
	}
	return body
}

// sendsSecret reports whether p's requests carry the secret itself.
func sendsSecret(p cliProvider) bool {
	preset, ok := verifier.LookupPreset(providerName(p.provider))
	return p.provider == "token" || ok && preset.Token != nil
}

// hookgateCLI runs the built binary's `hookgate args…` with stdin and
// returns stdout, stderr and the exit code.
func hookgateCLI(t *testing.T, stdin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(caddyBin, append([]string{"hookgate"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("running caddy hookgate: %v", err)
	}
	return out.String(), errOut.String(), 0
}

func providerName(p string) string { name, _, _ := strings.Cut(p, " "); return name }

// flagsFor is p's flags with %url the URL of p's route at base.
func (p cliProvider) flagsFor(base string) []string {
	flags := slices.Clone(p.flags)
	for i, f := range flags {
		if f == "%url" {
			flags[i] = base + p.path
		}
	}
	return flags
}

// What `caddy hookgate sign` prints is what the webhook route accepts, for
// every provider; `send` delivers the same way, and a wrong secret is a
// non-zero exit with the 401 printed.
func TestHookgateSignAndSendAreAcceptedByEveryProvidersRoute(t *testing.T) {
	for _, m := range caddyv2.GetModules("http.handlers.webhook.verifiers") {
		if !slices.ContainsFunc(cliProviders, func(p cliProvider) bool { return providerName(p.provider) == m.ID.Name() }) {
			t.Errorf("provider %s has no row in cliProviders (and no route in cliSite)", m.ID.Name())
		}
	}
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", cliSite)
	for _, p := range cliProviders {
		t.Run(p.provider, func(t *testing.T) {
			p.flags = p.flagsFor(c.Base)
			body := cliBody(p, "sign")
			args := append([]string{"sign", "--provider", providerName(p.provider), "--secret", p.secret}, p.flags...)
			out, stderr, code := hookgateCLI(t, body, nil, args...)
			if code != 0 {
				t.Fatalf("sign exited %d: %s", code, stderr)
			}
			h := http.Header{}
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				name, value, ok := strings.Cut(line, ": ")
				if !ok {
					t.Fatalf("sign printed %q, not Name: value", line)
				}
				h.Add(name, value)
			}
			accepted, acceptedLine, acceptedBody := 202, "HTTP/1.1 202 Accepted\n", `"status":"accepted"`
			if cliAcceptedOK[providerName(p.provider)] {
				accepted, acceptedLine = 200, "HTTP/1.1 200 OK\n"
			}
			if ack, ok := cliAcknowledged[providerName(p.provider)]; ok {
				accepted, acceptedLine, acceptedBody = 200, "HTTP/1.1 200 OK\n", ack
			}
			if status, _, reply := c.post(t, p.path, h, []byte(body)); status != accepted {
				t.Errorf("the signed request got %d %s; headers %v", status, reply, h)
			}

			body = cliBody(p, "send")
			args = append([]string{"send", "--provider", providerName(p.provider), "--secret-env", "HG_SECRET",
				"--url", c.Base + p.path}, p.flags...)
			out, stderr, code = hookgateCLI(t, body, []string{"HG_SECRET=" + p.secret}, args...)
			if code != 0 || !strings.HasPrefix(out, acceptedLine) || !strings.Contains(out, acceptedBody) {
				t.Errorf("send exited %d, printed %q, %s", code, out, stderr)
			}
			if strings.Contains(out+stderr, p.secret) && !sendsSecret(p) {
				t.Error("send printed the secret")
			}

			body = cliBody(p, "wrong")
			args = append([]string{"send", "--provider", providerName(p.provider), "--secret", cmp.Or(cliWrongSecret[p.provider], "whsec_d3Jvbmc="),
				"--url", c.Base + p.path}, p.flags...)
			out, _, code = hookgateCLI(t, body, nil, args...)
			if code == 0 || !strings.HasPrefix(out, "HTTP/1.1 401 Unauthorized\n") {
				t.Errorf("a wrong secret: exit %d, printed %q", code, out)
			}
		})
	}
}

// The built binary turns an admin API error into its message on stderr
// and a non-zero exit.
func TestHookgateCLIAdminErrorsExitNonZero(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"error":"no relay \"nope\""}`))
	}))
	defer srv.Close()
	_, stderr, code := hookgateCLI(t, "", nil, "dead", "ls", "--relay", "nope", "--address", strings.TrimPrefix(srv.URL, "http://"))
	if code == 0 || !strings.Contains(stderr, `no relay "nope"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
