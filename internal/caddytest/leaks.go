package caddytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// audit holds the output of every Caddy this test binary ran and every
// secret their Caddyfiles configured, so Main can check the whole run's
// logs for every secret, not only the logs of the test that used it.
var audit struct {
	mu      sync.Mutex
	logs    []*SyncBuffer
	secrets map[string]bool
}

// minSecret is the shortest value taken as a secret: below it, a value
// such as "x" would match unrelated log text.
const minSecret = 8

// secretLine finds Caddyfile lines that configure a secret: "secret …",
// "secrets …", "token …", "password …", "sentinel_password …" (any
// "…password"), "auth basic <user> <password>",
// "auth bearer <token>", "verify_token …", "body_signature <header> <secret>",
// "tenant_secret <tenant> <secret>…", "tenant_secrets tenant:secret,…".
var secretLine = regexp.MustCompile(`^\s*(secrets?|tenant_secrets?|[a-z_]*token|[a-z_]*password|auth|body_signature|alert|redis|header)\s+(.+)$`)

// relayBlock opens a relay block of the hookgate option.
var relayBlock = regexp.MustCompile(`^\s*relay\s+\S+\s*\{\s*$`)

// envPlaceholder is Caddy's {env.NAME}.
var envPlaceholder = regexp.MustCompile(`\{env\.([A-Za-z0-9_]+)\}`)

// ConfigSecrets lists the secrets caddyfile configures, placeholders
// replaced from getenv. Values shorter than minSecret are left out.
func ConfigSecrets(caddyfile string, getenv func(string) string) []string {
	var out []string
	depth, relayDepth := 0, -1 // brace depth, and the depth inside a relay block
	for _, line := range strings.Split(caddyfile, "\n") {
		inRelay := relayDepth >= 0 && depth >= relayDepth
		if relayBlock.MatchString(line) {
			relayDepth = depth + 1
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if relayDepth >= 0 && depth < relayDepth {
			relayDepth = -1
		}
		m := secretLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		args := caddyfileArgs(strings.TrimSuffix(strings.TrimSpace(m[2]), "{"))
		switch m[1] {
		case "auth":
			if len(args) > 0 && args[0] == "basic" && len(args) == 3 {
				args = args[2:]
			} else if len(args) > 0 {
				args = args[1:]
			}
		case "body_signature", "tenant_secret":
			if len(args) > 0 {
				args = args[1:]
			}
		case "header":
			// A relay's header <name> <value> (an API key, often); a
			// webhook's header <name> names one, and Caddy's header
			// directive sets response headers.
			if len(args) == 2 && inRelay {
				args = args[1:]
			} else {
				args = nil
			}
		case "redis":
			// Only the password of a redis://user:pass@host URL.
			args = redisPasswords(args, getenv)
		}
		for _, a := range args {
			a = envPlaceholder.ReplaceAllStringFunc(a, func(p string) string {
				return getenv(envPlaceholder.FindStringSubmatch(p)[1])
			})
			values := []string{a}
			if m[1] == "tenant_secrets" {
				// tenant:secret,tenant:secret
				values = nil
				for _, entry := range strings.Split(a, ",") {
					if _, secret, ok := strings.Cut(strings.TrimSpace(entry), ":"); ok {
						values = append(values, secret)
					}
				}
			}
			for _, v := range values {
				if len(v) >= minSecret && !strings.Contains(v, "{") {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// redisPasswords are the passwords in redis URLs.
func redisPasswords(args []string, getenv func(string) string) []string {
	var out []string
	for _, a := range args {
		a = envPlaceholder.ReplaceAllStringFunc(a, func(p string) string {
			return getenv(envPlaceholder.FindStringSubmatch(p)[1])
		})
		if u, err := url.Parse(a); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// caddyfileArgs splits a line's arguments as the Caddyfile does: on
// blanks, except inside double quotes or backticks, which are removed.
func caddyfileArgs(s string) []string {
	var args []string
	var cur strings.Builder
	var quote rune
	inArg := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '`':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// WatchConfig adds the secrets of a config a test loads by itself (through
// the admin endpoint's /load) to those the run's logs are checked for.
func WatchConfig(caddyfile string) { watch(nil, caddyfile) }

// watch records a Caddy's output and its config's secrets for Main.
func watch(log *SyncBuffer, caddyfile string) {
	audit.mu.Lock()
	defer audit.mu.Unlock()
	if log != nil {
		audit.logs = append(audit.logs, log)
	}
	if audit.secrets == nil {
		audit.secrets = map[string]bool{}
	}
	for _, s := range ConfigSecrets(caddyfile, os.Getenv) {
		audit.secrets[s] = true
	}
}

// Leaks reports every line of logs that holds one of secrets, the secret
// shown by its first four characters only.
func Leaks(logs []string, secrets []string) []string {
	sort.Strings(secrets)
	var out []string
	for _, log := range logs {
		for _, line := range strings.Split(log, "\n") {
			for _, s := range secrets {
				if containsAnyForm(line, s) {
					masked := strings.ReplaceAll(line, s, s[:4]+"…")
					if len(masked) > 300 {
						masked = masked[:300] + "…"
					}
					out = append(out, fmt.Sprintf("secret %s… in: %s", s[:4], masked))
				}
			}
		}
	}
	return out
}

// containsAnyForm reports whether line holds s as it is or as a JSON
// string would carry it (escaped quotes, backslashes, control bytes, and
// <, >, & as encoding/json writes them).
func containsAnyForm(line, s string) bool {
	if strings.Contains(line, s) {
		return true
	}
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	html, _ := json.Marshal(s)
	for _, form := range []string{strings.TrimSpace(plain.String()), string(html)} {
		if inner := form[1 : len(form)-1]; inner != s && strings.Contains(line, inner) {
			return true
		}
	}
	return false
}

// checkLeaks is Main's check over the whole run: 0 when no log holds a
// secret, 1 after printing where one does.
func checkLeaks() int {
	audit.mu.Lock()
	defer audit.mu.Unlock()
	logs := make([]string, len(audit.logs))
	for i, l := range audit.logs {
		logs[i] = l.String()
	}
	secrets := make([]string, 0, len(audit.secrets))
	for s := range audit.secrets {
		secrets = append(secrets, s)
	}
	leaks := Leaks(logs, secrets)
	if len(leaks) == 0 {
		fmt.Fprintf(os.Stderr, "caddytest: no secret in the logs of %d Caddy runs (%d secrets checked)\n", len(logs), len(secrets))
		return 0
	}
	fmt.Fprintf(os.Stderr, "FAIL: %d log lines of this run hold a configured secret:\n", len(leaks))
	for _, l := range leaks {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
	return 1
}
