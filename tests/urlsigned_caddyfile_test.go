package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The URL-signing providers' options: a wrong value fails the adapter on
// its line; a public_url that resolves to no URL fails caddy validate.
func TestURLSignedProviderOptions(t *testing.T) {
	block := func(provider, option string) string {
		return "\twebhook /x " + provider + " {\n\t\tsecret {env.HG_TEST_SECRET}\n\t\t" + option + "\n\t}"
	}
	write := func(t *testing.T, site string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "Caddyfile")
		if err := os.WriteFile(path, []byte("http://localhost:8080 {\n"+site+"\n}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	adaptCases := []struct{ name, site, want string }{
		{"public_url must be http(s)", block("twilio", "public_url ftp://hooks.example.com/x"), "must start with http:// or https://"},
		{"public_url has no fragment", block("square", "public_url https://hooks.example.com/x#top"), "no fragment"},
		{"public_url takes one value", block("hubspot", "public_url https://a.example https://b.example"), "public_url takes one value"},
		{"twilio body is form or json", block("twilio", "body xml"), `twilio body "xml": want form or json`},
		{"twilio has no other options", block("twilio", "header X-Sig"), `unknown twilio option "header"`},
		{"square has no other options", block("square", "type_field x"), `unknown square option "type_field"`},
	}
	for _, c := range adaptCases {
		t.Run(c.name, func(t *testing.T) {
			path := write(t, c.site)
			out, err := caddyCmd(t, nil, "adapt", "--config", path, "--adapter", "caddyfile")
			out = strings.ReplaceAll(out, `\"`, `"`)
			if err == nil || !strings.Contains(out, c.want) || !strings.Contains(out, path+":"+strconv.Itoa(4)) {
				t.Fatalf("adapt: %v, want %q at line 4:\n%s", err, c.want, out)
			}
		})
	}
	validateCases := []struct {
		name, site, env, want string
	}{
		{"a public_url from the environment is checked once known", block("square", "public_url {env.HG_TEST_PUBLIC}"),
			"HG_TEST_PUBLIC=hooks.example.com/square", "must start with http:// or https://"},
		{"a public_url from the environment with a base and the request URI validates", block("twilio", "public_url {env.HG_TEST_PUBLIC}{http.request.orig_uri}"),
			"HG_TEST_PUBLIC=https://hooks.example.com", ""},
		{"every option together validates", block("twilio", "public_url https://hooks.example.com{http.request.orig_uri}\n\t\ttype_field CallStatus\n\t\tbody json"), "", ""},
	}
	for _, c := range validateCases {
		t.Run(c.name, func(t *testing.T) {
			path := write(t, c.site)
			env := []string{"HG_TEST_SECRET=s"}
			if c.env != "" {
				env = append(env, c.env)
			}
			out, err := caddyCmd(t, env, "validate", "--config", path, "--adapter", "caddyfile")
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("validate: %v\n%s", err, out)
			case c.want != "" && (err == nil || !strings.Contains(out, c.want)):
				t.Fatalf("validate: %v, want %q:\n%s", err, c.want, out)
			}
		})
	}
}
