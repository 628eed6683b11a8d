package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// caddyCmd runs the built caddy with args and extra environment.
func caddyCmd(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(caddyBin, args...)
	dir := t.TempDir()
	cmd.Env = append(append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestExampleCaddyfileAdaptsToCleanJSON(t *testing.T) {
	out, err := caddyCmd(t, nil, "adapt", "--config", "../Caddyfile.example", "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, out)
	}
	var cfg struct {
		Apps struct {
			Hookgate map[string]any `json:"hookgate"`
			HTTP     struct {
				Servers map[string]struct {
					Routes []json.RawMessage `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("adapt output is not JSON: %v\n%s", err, out)
	}
	if cfg.Apps.Hookgate["prefix"] != "hookgate" || cfg.Apps.Hookgate["redis"] == nil {
		t.Fatalf("hookgate app %v", cfg.Apps.Hookgate)
	}
	for _, want := range []string{`"handler":"webhook"`, `"provider":{"name":"stripe"}`, `"secrets":["{env.STRIPE_WEBHOOK_SECRET}","{env.STRIPE_WEBHOOK_SECRET_OLD}"]`, `"max_size":5242880`, `"listen":["127.0.0.1:8088"]`,
		`"tenant":"{http.request.uri.path.2}"`, `"tenant_secret_lists":["{env.STRIPE_TENANT_SECRETS}"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("adapted JSON lacks %s", want)
		}
	}
	// webhook must run before reverse_proxy without an order line.
	if strings.Index(out, `"handler":"webhook"`) > strings.Index(out, `"handler":"reverse_proxy"`) {
		t.Errorf("webhook is ordered after reverse_proxy")
	}
}

func TestExampleCaddyfileValidates(t *testing.T) {
	env := []string{"STRIPE_WEBHOOK_SECRET=a", "GITHUB_WEBHOOK_SECRET=b", "WORDPRESS_WEBHOOK_SECRET=c",
		"RELAY_SECRET=" + relaySecret, "STRIPE_TENANT_SECRETS=acme:whsec_x,globex:whsec_y"}
	if out, err := caddyCmd(t, env, "validate", "--config", "../Caddyfile.example", "--adapter", "caddyfile"); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
}

func TestWrongCaddyfileFailsNamingTheLine(t *testing.T) {
	cases := []struct {
		name, site, want string
	}{
		{"unknown provider", "webhook /x paypal {\n\t\tsecret a\n\t}", "unknown webhook provider \"paypal\""},
		{"no secret", "webhook /x stripe {\n\t\ttolerance 5m\n\t}", "needs at least one secret"},
		{"bad size", "webhook /x stripe {\n\t\tsecret a\n\t\tmax_size lots\n\t}", "max_size: invalid size"},
		{"bad duration", "webhook /x stripe {\n\t\tsecret a\n\t\ttolerance soon\n\t}", "invalid duration"},
		{"unknown option", "webhook /x stripe {\n\t\tsecret a\n\t\theader X\n\t}", "unknown webhook option \"header\""},
		{"unknown hmac option", "webhook /x hmac {\n\t\tsecret a\n\t\tcolour red\n\t}", "unknown hmac option \"colour\""},
		{"an hmac body kind", "webhook /x hmac {\n\t\tsecret a\n\t\tbody xml\n\t}", "body \"xml\": want json, form or any"},
		{"a form: source", "webhook /x token {\n\t\tsecret a\n\t\tid_from form:\n\t}", "want header:<Name>, json:<top-level field> or form:<field>"},
		{"braces in stream", "webhook /x stripe {\n\t\tsecret a\n\t\tstream a{b}\n\t}", "must not contain braces"},
		{"log_payloads size", "webhook /x stripe {\n\t\tsecret a\n\t\tlog_payloads 0\n\t}", "log_payloads: invalid size"},
		{"log_payloads one size", "webhook /x stripe {\n\t\tsecret a\n\t\tlog_payloads 1KiB 2KiB\n\t}", "log_payloads takes one value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "http://localhost:8080 {\n\t" + c.site + "\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, nil, "validate", "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("validate accepted:\n%s", cfg)
			}
			out = strings.ReplaceAll(out, `\"`, `"`) // caddy logs the error as JSON
			if !strings.Contains(out, c.want) || !strings.Contains(out, "Caddyfile:") {
				t.Fatalf("error does not say %q at a Caddyfile line:\n%s", c.want, out)
			}
		})
	}
}

func TestUnsetSecretFailsValidationWithoutLeaking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Caddyfile")
	cfg := "http://localhost:8080 {\n\twebhook /x stripe {\n\t\tsecret {env.HOOKGATE_TEST_UNSET}\n\t}\n}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := caddyCmd(t, nil, "validate", "--config", path, "--adapter", "caddyfile")
	if err == nil || !strings.Contains(out, "every secret is empty") {
		t.Fatalf("validate with an unset secret: %v\n%s", err, out)
	}
}

func TestBadRedisURLFailsWithoutLeakingThePassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Caddyfile")
	cfg := "{\n\thookgate {\n\t\tredis \"redis://user:hunter2@[::1\"\n\t}\n}\nhttp://localhost:8080 {\n\twebhook /x stripe {\n\t\tsecret a\n\t}\n}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := caddyCmd(t, nil, "validate", "--config", path, "--adapter", "caddyfile")
	if err == nil || !strings.Contains(out, "hookgate redis: invalid URL") {
		t.Fatalf("validate with a bad redis URL: %v\n%s", err, out)
	}
	if strings.Contains(out, "hunter2") {
		t.Fatalf("the error shows the password:\n%s", out)
	}
}
