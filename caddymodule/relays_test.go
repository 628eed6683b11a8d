package caddymodule

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

// testSecret is whsec_ + base64("0123456789abcdef0123456789abcdef").
const testSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// adaptHookgate adapts a Caddyfile and returns its hookgate app JSON.
func adaptHookgate(t *testing.T, input string) (json.RawMessage, error) {
	t.Helper()
	out, _, err := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}.Adapt([]byte(input), nil)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Apps map[string]json.RawMessage `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("adapted config is not JSON: %v\n%s", err, out)
	}
	return cfg.Apps["hookgate"], nil
}

// global wraps lines in a hookgate global option, one tab deeper each.
func global(lines ...string) string {
	return "{\n\thookgate {\n\t\t" + strings.Join(lines, "\n\t\t") + "\n\t}\n}\n"
}

func TestRelayCaddyfileAdaptsToJSON(t *testing.T) {
	ms := func(d time.Duration) string { return strconv.FormatInt(int64(d), 10) }
	cases := []struct {
		name  string
		input string
		want  string
	}{
		{
			name: "every option of a relay block lands in its JSON field",
			input: global(
				"relay wordpress {",
				"	stream       orders",
				"	to           https://wp.example.com/wp-json/hookgate/v1/events",
				"	route        customer.* /wp-json/hookgate/v1/user-sync",
				"	route        invoice.*  https://billing.example.com/hook",
				"	filter       customer.* invoice.paid",
				"	filter       charge.*",
				"	secret       {env.RELAY_SECRET}",
				"	auth         basic admin {env.WP_APP_PASSWORD}",
				"	header       X-Site  shop",
				"	header       X-Site  eu",
				"	workers      4",
				"	timeout      5s",
				"	max_attempts 12",
				"	backoff      2s 5m",
				"	breaker      20 1m",
				"	rate         600/m",
				"	claim_after  90s",
				"	retention    14d",
				"	start        2d",
				"	order_by     data.object.customer",
				"	on_dead      block",
				"}",
			),
			want: `{"relays":{"wordpress":{
				"stream":"orders",
				"to":"https://wp.example.com/wp-json/hookgate/v1/events",
				"routes":[{"glob":"customer.*","url":"/wp-json/hookgate/v1/user-sync"},{"glob":"invoice.*","url":"https://billing.example.com/hook"}],
				"filter":["customer.*","invoice.paid","charge.*"],
				"secret":"{env.RELAY_SECRET}",
				"auth":{"type":"basic","username":"admin","password":"{env.WP_APP_PASSWORD}"},
				"headers":{"X-Site":["shop","eu"]},
				"workers":4,
				"timeout":` + ms(5*time.Second) + `,
				"max_attempts":12,
				"backoff_base":` + ms(2*time.Second) + `,
				"backoff_cap":` + ms(5*time.Minute) + `,
				"breaker_failures":20,
				"breaker_cooldown":` + ms(time.Minute) + `,
				"rate_per_second":10,
				"claim_after":` + ms(90*time.Second) + `,
				"retention":` + ms(14*24*time.Hour) + `,
				"start":"2d",
				"order_by":"data.object.customer",
				"on_dead":"block"}}}`,
		},
		{
			name:  "a minimal relay keeps only to and secret; defaults stay out of the JSON",
			input: global("relay wp {", "	to https://wp.example.com/hook", "	secret "+testSecret, "}"),
			want:  `{"relays":{"wp":{"to":"https://wp.example.com/hook","secret":"` + testSecret + `"}}}`,
		},
		{
			name: "two relays on one stream sit beside the connection options",
			input: global(
				"redis redis://10.0.0.5:6379/1",
				"relay crm {", "	to https://crm.example.com/in", "	secret {env.A}", "	auth bearer {env.CRM_TOKEN}", "	rate 50/s", "}",
				"relay wp {", "	to https://wp.example.com/in", "	secret {env.B}", "}",
			),
			want: `{"redis":"redis://10.0.0.5:6379/1","relays":{
				"crm":{"to":"https://crm.example.com/in","secret":"{env.A}","auth":{"type":"bearer","token":"{env.CRM_TOKEN}"},"rate_per_second":50},
				"wp":{"to":"https://wp.example.com/in","secret":"{env.B}"}}}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := adaptHookgate(t, c.input)
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			var gotV, wantV any
			if err := json.Unmarshal(got, &gotV); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(c.want), &wantV); err != nil {
				t.Fatalf("bad want: %v", err)
			}
			if !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("hookgate app\n got %s\nwant %s", got, compact(t, c.want))
			}
		})
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRelayCaddyfileErrorsNameTheOptionAndLine(t *testing.T) {
	// Each block starts at line 3 of the Caddyfile; line is where the
	// error must point.
	block := func(opts ...string) string {
		return global(append(append([]string{"relay wp {", "	to https://wp.example.com/hook", "	secret " + testSecret}, opts...), "}")...)
	}
	cases := []struct {
		name  string
		input string
		want  string
		line  int
	}{
		{"a relay needs a name", global("relay {", "}"), "relay needs a name", 3},
		{"a relay name is usable as a key", global("relay a{b} {", "}"), `relay name "a{b}"`, 3},
		{"a relay takes one name", global("relay wp crm {", "}"), `extra argument "crm"`, 3},
		{"a relay name is used once", global(
			"relay wp {", "	to https://a.example", "	secret "+testSecret, "}",
			"relay wp {", "	to https://b.example", "	secret "+testSecret, "}",
		), `relay "wp" is defined twice`, 7},
		{"to is required", global("relay wp {", "	secret "+testSecret, "}"), "relay wp needs a target: to <url>", 5},
		{"to must be an absolute URL", global("relay wp {", "	to wp.example.com/hook", "	secret "+testSecret, "}"), `to: "wp.example.com/hook" must be an absolute http(s) URL`, 4},
		{"to takes one value", global("relay wp {", "	to https://a.example https://b.example", "}"), "to takes one value", 4},
		{"secret is required", global("relay wp {", "	to https://wp.example.com/hook", "}"), "relay wp needs a secret", 5},
		{"a literal secret starts with whsec_", global("relay wp {", "	to https://wp.example.com/hook", "	secret abc", "}"), "secret must start with whsec_", 5},
		{"a literal secret is base64", global("relay wp {", "	to https://wp.example.com/hook", "	secret whsec_%%%", "}"), "secret must be whsec_ followed by base64", 5},
		{"stream has no braces", block("	stream a{b}"), "stream name \"a{b}\" must not contain braces", 6},
		{"route needs a glob and a target", block("	route customer.*"), "route needs a type glob and a URL or path", 6},
		{"route glob must compile", block("	route [a /x"), `route: invalid type glob "[a"`, 6},
		{"route target is a URL or an absolute path", block("	route a.* user-sync"), `route: "user-sync" must be an absolute http(s) URL or a path starting with /`, 6},
		{"filter needs a glob", block("	filter"), "filter needs at least one event type glob", 6},
		{"filter glob must compile", block("	filter ok [a"), `filter: invalid type glob "[a"`, 6},
		{"auth basic needs a user and a password", block("	auth basic admin"), "auth must be 'basic <user> <password>' or 'bearer <token>'", 6},
		{"auth bearer needs one token", block("	auth bearer a b"), "auth must be 'basic <user> <password>' or 'bearer <token>'", 6},
		{"auth has two kinds", block("	auth digest a b"), "auth must be 'basic <user> <password>' or 'bearer <token>'", 6},
		{"auth basic user has no colon", block("	auth basic a:b c"), "auth basic user must not contain ':'", 6},
		{"header needs a name and a value", block("	header X-Site"), "header needs a name and a value", 6},
		{"header may not replace a signature header", block("	header webhook-signature v1,x"), "header Webhook-Signature is set by the relay itself", 6},
		{"workers is a positive integer", block("	workers 0"), `workers must be an integer >= 1, got "0"`, 6},
		{"max_attempts is an integer", block("	max_attempts many"), `max_attempts must be an integer >= 1, got "many"`, 6},
		{"timeout is a duration", block("	timeout soon"), `timeout: invalid duration "soon"`, 6},
		{"claim_after is a positive duration", block("	claim_after 0s"), `claim_after: invalid duration "0s"`, 6},
		{"retention is a duration", block("	retention forever"), `retention: invalid duration "forever"`, 6},
		{"backoff needs two durations", block("	backoff 1s"), "backoff needs two durations, base <= cap", 6},
		{"backoff base is at most its cap", block("	backoff 10m 1s"), "backoff needs two durations, base <= cap", 6},
		{"breaker needs failures >= 1", block("	breaker 0 30s"), "breaker needs an integer >= 1 and a duration", 6},
		{"breaker needs a cooldown", block("	breaker 10"), "breaker needs an integer >= 1 and a duration", 6},
		{"rate has a unit", block("	rate 50"), `rate must look like 50/s or 600/m, got "50"`, 6},
		{"rate is per second or minute", block("	rate 50/h"), `rate must look like 50/s or 600/m, got "50/h"`, 6},
		{"rate is a positive integer", block("	rate -1/s"), `rate must look like 50/s or 600/m, got "-1/s"`, 6},
		{"start is new, all or a duration", block("	start soon"), `start must be new, all or a positive duration such as 24h, got "soon"`, 6},
		{"start is set once", block("	start new", "	start all"), "relay wp: start is set twice", 7},
		{"a single option is set once", block("	workers 2", "	workers 3"), "relay wp: workers is set twice", 7},
		{"an unknown option is refused", block("	colour red"), `unknown relay option "colour"`, 6},
		{"alert needs a URL", block("	alert"), "wrong argument count", 6},
		{"order_by is a path, a header, tenant or source", block("	order_by data..customer"), `order_by "data..customer": want a dotted JSON path`, 6},
		{"order_by header needs a name", block("	order_by header:"), `order_by "header:": want header:<Name>`, 6},
		{"on_dead is skip or block", block("	on_dead drop"), `on_dead "drop": want skip or block`, 6},
		{"alert's URL is absolute", block("	alert hooks.slack.com/x"), "alert: the URL must be an absolute http(s) URL", 6},
		{"alert format is slack or json", block("	alert https://hooks.example/x {", "		format xml", "	}"), `alert format must be slack or json, got "xml"`, 7},
		{"alert_every is a duration", block("	alert https://hooks.example/x {", "		alert_every often", "	}"), `alert_every: invalid duration "often"`, 7},
		{"an unknown alert option is refused", block("	alert https://hooks.example/x {", "		channel ops", "	}"), `unknown alert option "channel"`, 7},
		{"alert is set once", block("	alert https://a.example/x", "	alert https://b.example/x"), "relay wp: alert is set twice", 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := adaptHookgate(t, c.input)
			if err == nil {
				t.Fatalf("adapt succeeded, want error %q\n%s", c.want, c.input)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if want := "Caddyfile:" + strconv.Itoa(c.line); !regexp.MustCompile(regexp.QuoteMeta(want) + `\b`).MatchString(err.Error()) {
				t.Errorf("error %q does not point at %s", err, want)
			}
		})
	}
}

func TestRelayAuthBecomesAnAuthorizationHeader(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_PASSWORD", "abcd efgh ijkl")
	t.Setenv("HOOKGATE_TEST_TOKEN", "tok123")
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	cases := []struct {
		name    string
		auth    RelayAuth
		want    string
		wantErr string
	}{
		{"basic is base64 of user:password", RelayAuth{Type: "basic", Username: "admin", Password: "secret"}, basic("admin", "secret"), ""},
		{"basic password comes from the environment", RelayAuth{Type: "basic", Username: "admin", Password: "{env.HOOKGATE_TEST_PASSWORD}"}, basic("admin", "abcd efgh ijkl"), ""},
		{"bearer token comes from the environment", RelayAuth{Type: "bearer", Token: "{env.HOOKGATE_TEST_TOKEN}"}, "Bearer tok123", ""},
		{"an unset variable is an error, not an empty password", RelayAuth{Type: "basic", Username: "admin", Password: "{env.HOOKGATE_TEST_UNSET}"}, "", "auth basic needs a user and a password"},
		{"an unset bearer token is an error", RelayAuth{Type: "bearer", Token: "{env.HOOKGATE_TEST_UNSET}"}, "", "auth bearer needs a token"},
		{"a user with a colon is refused", RelayAuth{Type: "basic", Username: "a:b", Password: "c"}, "", "must not contain ':'"},
		{"an unknown type is refused", RelayAuth{Type: "digest"}, "", `auth type must be basic or bearer, not "digest"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.auth.header(caddy.NewReplacer())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestRelaySecretMustBeAStandardWebhooksKey(t *testing.T) {
	cases := []struct {
		name, secret, wantErr string
	}{
		{"whsec_ and base64 is accepted", testSecret, ""},
		{"an empty secret is refused", "", "needs a secret"},
		{"a secret without whsec_ is refused", "MDEyMzQ1Njc4OWFiY2RlZg==", "must start with whsec_"},
		{"a secret that is not base64 is refused", "whsec_not base64!", "whsec_ followed by base64"},
		{"an empty key is refused", "whsec_", "whsec_ followed by base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := relaySecret(c.secret)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err %v, want %q", err, c.wantErr)
			}
			if len(c.secret) > len("whsec_") && strings.Contains(err.Error(), c.secret) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestRelayConfigTranslation(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_SECRET", testSecret)
	t.Setenv("HOOKGATE_TEST_SITE", "eu")
	rc := RelayConfig{
		Stream:          "orders",
		To:              "https://wp.example.com/hook",
		Routes:          []RelayRoute{{Glob: "customer.*", URL: "/sync"}},
		Filter:          []string{"customer.*"},
		Secret:          "{env.HOOKGATE_TEST_SECRET}",
		Auth:            &RelayAuth{Type: "bearer", Token: "t"},
		Headers:         http.Header{"X-Site": {"{env.HOOKGATE_TEST_SITE}"}},
		Workers:         3,
		Timeout:         caddy.Duration(4 * time.Second),
		MaxAttempts:     5,
		BackoffBase:     caddy.Duration(time.Second),
		BackoffCap:      caddy.Duration(time.Minute),
		BreakerFailures: 7,
		BreakerCooldown: caddy.Duration(20 * time.Second),
		ClaimAfter:      caddy.Duration(2 * time.Minute),
		Retention:       caddy.Duration(48 * time.Hour),
		RatePerSecond:   2.5,
	}
	cfg, err := rc.relayConfig("wp", "hg", caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "wp" || cfg.Keys.Stream() != "hg:{orders}" || cfg.Secret != testSecret {
		t.Errorf("name %q, stream %q, secret resolved %v", cfg.Name, cfg.Keys.Stream(), cfg.Secret == testSecret)
	}
	wantHeader := http.Header{"Authorization": {"Bearer t"}, "X-Site": {"eu"}}
	if !reflect.DeepEqual(cfg.Header, wantHeader) {
		t.Errorf("header %v, want %v", cfg.Header, wantHeader)
	}
	if cfg.Workers != 3 || cfg.Timeout != 4*time.Second || cfg.MaxAttempts != 5 ||
		cfg.BackoffBase != time.Second || cfg.BackoffCap != time.Minute ||
		cfg.Failures != 7 || cfg.Cooldown != 20*time.Second ||
		cfg.ClaimAfter != 2*time.Minute || cfg.Retention != 48*time.Hour || cfg.Rate != 2.5 {
		t.Errorf("numbers not carried over: %+v", cfg)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Glob != "customer.*" || cfg.Routes[0].URL != "/sync" {
		t.Errorf("routes %+v", cfg.Routes)
	}

	minimal, err := (&RelayConfig{To: "https://wp.example.com/hook", Secret: testSecret}).relayConfig("wp", "hg", caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if minimal.Keys.Stream() != "hg:{"+DefaultStream+"}" {
		t.Errorf("default stream %q", minimal.Keys.Stream())
	}
	for start, want := range map[string]relay.Start{"": relay.StartNew, "new": relay.StartNew, "all": relay.StartAll,
		"24h": relay.StartSince(24 * time.Hour), "2d": relay.StartSince(48 * time.Hour)} {
		c := RelayConfig{To: "https://wp.example.com/hook", Secret: testSecret, Start: start}
		if cfg, err := c.relayConfig("wp", "hg", caddy.NewReplacer()); err != nil || cfg.Start != want {
			t.Errorf("start %q: %v, %v; want %v", start, cfg.Start, err, want)
		}
	}

	bad := []struct {
		name    string
		edit    func(*RelayConfig)
		wantErr string
	}{
		{"a missing target is refused", func(c *RelayConfig) { c.To = "" }, "needs a target"},
		{"a target from an unset variable is refused", func(c *RelayConfig) { c.To = "{env.HOOKGATE_TEST_UNSET}" }, "needs a target"},
		{"a secret from an unset variable is refused", func(c *RelayConfig) { c.Secret = "{env.HOOKGATE_TEST_UNSET}" }, "needs a secret"},
		{"a plain secret is refused", func(c *RelayConfig) { c.Secret = "hunter2" }, "must start with whsec_"},
		{"auth and an Authorization header conflict", func(c *RelayConfig) {
			c.Auth = &RelayAuth{Type: "bearer", Token: "t"}
			c.Headers = http.Header{"Authorization": {"Token x"}}
		}, "auth and an Authorization header"},
		{"a header the relay signs is refused", func(c *RelayConfig) { c.Headers = http.Header{"Idempotency-Key": {"x"}} }, "Idempotency-Key is set by the relay"},
		{"a stream with braces is refused", func(c *RelayConfig) { c.Stream = "a{b}" }, "must not contain braces"},
		{"a negative rate is refused", func(c *RelayConfig) { c.RatePerSecond = -1 }, "rate must be positive"},
		{"a start that is no duration is refused", func(c *RelayConfig) { c.Start = "forever" }, "start must be new, all or a positive duration"},
		{"a negative start is refused", func(c *RelayConfig) { c.Start = "-1h" }, "start must be new, all or a positive duration"},
		{"on_dead block needs order_by", func(c *RelayConfig) { c.OnDead = "block" }, "on_dead block needs order_by"},
		{"a bad order_by in JSON is refused", func(c *RelayConfig) { c.OrderBy = "a." }, "want a dotted JSON path"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			c := RelayConfig{To: "https://wp.example.com/hook", Secret: testSecret}
			b.edit(&c)
			_, err := c.relayConfig("wp", "hg", caddy.NewReplacer())
			if err == nil || !strings.Contains(err.Error(), b.wantErr) {
				t.Fatalf("err %v, want %q", err, b.wantErr)
			}
		})
	}
}

func TestRelayRate(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"50/s", 50, true},
		{"600/m", 10, true},
		{"1/m", 1.0 / 60, true},
		{"0/s", 0, false},
		{"50", 0, false},
		{"50/h", 0, false},
		{"1.5/s", 0, false},
		{"/s", 0, false},
	}
	for _, c := range cases {
		got, ok := parseRate(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseRate(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestConsumerNameIsStableAndNamesTheProcess(t *testing.T) {
	a, b := consumerName(), consumerName()
	if a != b {
		t.Fatalf("consumer name changed within one process: %q then %q", a, b)
	}
	if !strings.Contains(a, "-"+strconv.Itoa(os.Getpid())+"-") || !regexp.MustCompile(`-[0-9a-f]{8}$`).MatchString(a) {
		t.Errorf("consumer name %q lacks the pid or the random part", a)
	}
}

func TestAppProvisionBuildsRelaysWithoutRedis(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	app := &App{
		// Nothing listens here; provisioning must not connect.
		Redis: "redis://127.0.0.1:1/0",
		Relays: map[string]*RelayConfig{
			"crm": {To: "https://crm.example.com/in", Secret: testSecret},
			"wp":  {To: "https://wp.example.com/in", Secret: testSecret},
		},
	}
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Cleanup() })
	if len(app.relays) != 2 || app.relays[0].name != "crm" || app.relays[1].name != "wp" {
		t.Fatalf("relays %+v", app.relays)
	}
	if app.relays[0].timeout == 0 {
		t.Errorf("stop bound has no attempt timeout")
	}

	bad := &App{Redis: "redis://127.0.0.1:1/0", Relays: map[string]*RelayConfig{
		"wp": {To: "https://wp.example.com/in", Secret: "whsec_"},
	}}
	err := bad.Provision(ctx)
	if err == nil || !strings.Contains(err.Error(), `relay "wp"`) {
		t.Fatalf("err %v, want it to name the relay", err)
	}
	_ = bad.Cleanup()
}

func TestAlertURLIsCheckedAtProvisioning(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_ALERT_URL", "not a url")
	for _, c := range []struct {
		name, url, want string
	}{
		{"an unset variable is refused, not a silent alert", "{env.HOOKGATE_TEST_UNSET}", "alert needs a URL"},
		{"a variable must hold an absolute URL", "{env.HOOKGATE_TEST_ALERT_URL}", "absolute http(s) URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc := &RelayConfig{Alert: &RelayAlert{URL: c.url}}
			_, err := rc.alerter("wp", caddy.NewReplacer(), zap.NewNop())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("alerter: %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "not a url") {
				t.Errorf("the error quotes the URL: %v", err)
			}
		})
	}
}
