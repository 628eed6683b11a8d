package caddytest

import (
	"reflect"
	"strings"
	"testing"
)

func TestConfigSecretsFindsEverySecretACaddyfileConfigures(t *testing.T) {
	env := map[string]string{"RELAY_SECRET": "whsec_fromTheEnvironment", "REDIS_PASSWORD": "redis-password-env", "SENTINEL_PASSWORD": "sentinel-password-env", "SHORT": "abc", "TENANT_LIST": "acme:whsec_acme_secret_1, beta:whsec_beta_secret_2"}
	caddyfile := `{
	hookgate {
		redis redis://default:redis-pass-0123@127.0.0.1:6379/0
		password {env.REDIS_PASSWORD}
		sentinel_username hookgate-sentinel
		sentinel_password {env.SENTINEL_PASSWORD}
		relay wp {
			to http://127.0.0.1:9/
			secret {env.RELAY_SECRET}
			auth basic admin "app password 1234"
			header X-Site example
			header X-Api-Key api-key-value-77
			alert https://hooks.slack.com/services/T0/B0/alert-credential {
				format json
			}
		}
		relay crm {
			auth bearer bt-bearer-token-1
		}
	}
}
:8080 {
	webhook /stripe stripe {
		secret whsec_current_1234 whsec_retired_5678
	}
	webhook /meta meta {
		verify_token vt-verify-token-1
		secret {env.SHORT} {env.UNSET_VARIABLE}
	}
	webhook /hooks/stripe/* stripe {
		tenant {http.request.uri.path.2}
		tenant_secret long-tenant-name whsec_tenant_secret_1
		tenant_secrets {env.TENANT_LIST}
	}
	webhook /gitlab gitlab {
		header X-Gitlab-Token
	}
	header Content-Type text/plain-response
	webhook /jwt jwt {
		body_signature X-Signature hs-body-secret-1
	}
}`
	got := ConfigSecrets(caddyfile, func(k string) string { return env[k] })
	want := []string{"redis-pass-0123", "redis-password-env", "sentinel-password-env", "whsec_fromTheEnvironment", "app password 1234", "api-key-value-77",
		"https://hooks.slack.com/services/T0/B0/alert-credential", "bt-bearer-token-1", "whsec_current_1234", "whsec_retired_5678", "vt-verify-token-1", "whsec_tenant_secret_1", "whsec_acme_secret_1", "whsec_beta_secret_2", "hs-body-secret-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigSecrets =\n%q\nwant\n%q", got, want)
	}
}

func TestLeaksFindsASecretAnywhereInAnyLogAndMasksIt(t *testing.T) {
	logs := []string{
		`{"level":"info","msg":"accepted","event_id":"evt_1"}`,
		"{\"level\":\"debug\",\"msg\":\"config\",\"secret\":\"whsec_current_1234\"}\nclean line",
	}
	got := Leaks(logs, []string{"whsec_current_1234", "never-logged-1"})
	escaped := Leaks([]string{`{"msg":"x","v":"a\"quoted\"secret-value"}`, `{"v":"https://x/a\u0026b-secret"}`},
		[]string{`a"quoted"secret-value`, "https://x/a&b-secret"})
	if len(escaped) != 2 {
		t.Errorf("secrets as JSON strings carry them: found %q", escaped)
	}
	if len(got) != 1 || !strings.Contains(got[0], "whse…") || strings.Contains(got[0], "current_1234") {
		t.Fatalf("Leaks = %q, want one masked finding", got)
	}
	if got := Leaks(logs[:1], []string{"whsec_current_1234"}); len(got) != 0 {
		t.Errorf("a clean log reported %q", got)
	}
}
