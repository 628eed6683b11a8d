package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The generic hmac provider's options, and the presets' lack of them: each
// wrong value fails the adapter naming its own line of the Caddyfile.
func TestWrongProviderOptionsFailNamingTheirLine(t *testing.T) {
	// The option under test goes on line 5 of the file.
	hmacBlock := func(option string) string {
		return "\twebhook /x hmac {\n\t\tsecret a\n\t\theader X-Sig\n\t\t" + option + "\n\t}"
	}
	cases := []struct {
		name, site, want string
		line             int
	}{
		{"a template without {body}", hmacBlock("template {ts}."), "{body} is required", 5},
		{"a template with an unknown placeholder", hmacBlock("template {nonce}.{body}"), "unknown placeholder {nonce}", 5},
		{"a template with an unclosed brace", hmacBlock("template {ts.{body}"), "a { without its }", 5},
		{"a template with {body} twice", hmacBlock("template {body}{body}"), "{body} appears twice", 5},
		{"a template takes one value", hmacBlock("template {ts} {body}"), "template takes one value", 5},
		{"timestamp_from is header: or json:", hmacBlock("timestamp_from query:ts"), "want header:<Name> or json:<top-level field>", 5},
		{"timestamp_from reads top-level fields only", hmacBlock("timestamp_from json:meta.ts"), "only top-level fields", 5},
		{"timestamp_format is a known format", hmacBlock("timestamp_format auto"), `unknown timestamp_format "auto"`, 5},
		{"signature_format is plain or kv", hmacBlock("signature_format list"), "want plain or kv", 5},
		{"signature_format kv needs sig=", hmacBlock("signature_format kv sep=, ts=t"), "sig=<key> is required", 5},
		{"signature_format has known options", hmacBlock("signature_format kv sig=v1 colour=red"), `unknown option "colour"`, 5},
		{"signature_format needs a value", hmacBlock("signature_format"), "wrong argument count", 5},
		{"id_from is header:, json: or form:", hmacBlock("id_from query:id"), "want header:<Name>, json:<top-level field> or form:<field>", 5},
		{"type_from needs a name", hmacBlock("type_from header:"), "want header:<Name>, json:<top-level field> or form:<field>", 5},
		{"timestamp_from is not a form field", hmacBlock("timestamp_from form:ts"), "want header:<Name> or json:<top-level field>", 5},
		{"token takes id_from too", "\twebhook /x token {\n\t\tsecret a\n\t\theader X-Token\n\t\tid_from jsn:id\n\t}", "want header:<Name>", 5},
		{"a preset takes no provider options", "\twebhook /x shopify {\n\t\tsecret a\n\t\theader X-Sig\n\t}", `unknown webhook option "header" for provider shopify`, 4},
		{"a preset still needs a secret", "\twebhook /x paddle {\n\t}", "webhook paddle needs at least one secret", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "http://localhost:8080 {\n" + c.site + "\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, nil, "adapt", "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("adapt accepted:\n%s", cfg)
			}
			out = strings.ReplaceAll(out, `\"`, `"`) // caddy logs the error as JSON
			if !strings.Contains(out, c.want) || !strings.Contains(out, path+":"+strconv.Itoa(c.line)) {
				t.Fatalf("error does not say %q at %s:%d:\n%s", c.want, path, c.line, out)
			}
		})
	}
}

// How the options fit together is checked when the config loads: caddy
// validate refuses a scheme whose timestamp or id would not be signed.
func TestHMACOptionsThatCannotBeTrustedFailValidation(t *testing.T) {
	cases := []struct {
		name, options, want string
	}{
		{"a header timestamp outside the template", "timestamp_from header:X-Ts\n\t\ttemplate {body}", "the timestamp is not signed"},
		{"{ts} with no timestamp", "template {ts}.{body}", "no timestamp_from"},
		{"{id} read from the body", "template {id}.{body}\n\t\tid_from json:id", "needs id_from header:<Name>"},
		{"two timestamp sources", "signature_format kv ts=t sig=v1\n\t\ttimestamp_from header:X-Ts", "the timestamp comes from one place"},
		{"id_from beside id_header", "id_from header:X-Id\n\t\tid_header X-Id", "not both"},
		{"a JSON field read from a form body", "body form\n\t\tid_from json:id", "json:id reads a JSON body, but the body is form"},
		{"a form field read from a JSON body", "id_from form:id", "form:id reads a form body, but the body is json"},
		{"a field read from any bytes", "body any\n\t\ttype_from json:type", "json:type reads a JSON body, but the body is any"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "http://localhost:8080 {\n\twebhook /x hmac {\n\t\tsecret {env.HG_TEST_SECRET}\n\t\theader X-Sig\n\t\t" + c.options + "\n\t}\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, []string{"HG_TEST_SECRET=s"}, "validate", "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("validate accepted:\n%s", cfg)
			}
			if !strings.Contains(out, "webhook hmac: hmac: "+c.want) && !strings.Contains(out, c.want) {
				t.Fatalf("error does not say %q:\n%s", c.want, out)
			}
		})
	}
}

// Each preset is a one-line block that adapts to its own module name and
// nothing else: the scheme is the preset's, not the config's.
func TestEveryPresetIsAOneLineBlock(t *testing.T) {
	for _, name := range []string{"shopify", "woocommerce", "gitlab", "paddle", "linear", "intercom", "calendly", "typeform", "zendesk", "razorpay", "telegram"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "http://localhost:8080 {\n\twebhook /hooks/" + name + " " + name + " {\n\t\tsecret {env.HG_TEST_SECRET}\n\t}\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, []string{"HG_TEST_SECRET=s"}, "validate", "--config", path, "--adapter", "caddyfile")
			if err != nil {
				t.Fatalf("validate: %v\n%s", err, out)
			}
			out, err = caddyCmd(t, nil, "adapt", "--config", path, "--adapter", "caddyfile")
			if err != nil || !strings.Contains(out, `"provider":{"name":"`+name+`"}`) {
				t.Fatalf("adapt: %v\n%s", err, out)
			}
		})
	}
}
