package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/sign"
)

// hmac and token take bodies that are not JSON objects when told: a form
// (ids and types from form fields) or any bytes (named by their hash).
func TestGenericRoutesTakeFormAndAnyBodies(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `
	webhook /form hmac {
		secret form_route_secret
		header X-Sig
		body form
		id_from form:MessageSid
		type_from form:Status
	}
	webhook /any hmac {
		secret any_route_secret
		header X-Sig
		body any
	}
	webhook /tokenform token {
		secret token-form-secret-1
		header X-Token
		body form
		id_from form:id
	}`)
	hmacSigned := func(secret, body, contentType string) http.Header {
		h, err := sign.HMAC(secret, []byte(body), time.Now(), "", sign.Options{Header: "X-Sig"})
		if err != nil {
			t.Fatal(err)
		}
		h.Set("Content-Type", contentType)
		return h
	}
	form := "application/x-www-form-urlencoded"
	tokenForm := http.Header{"X-Token": {"token-form-secret-1"}, "Content-Type": {form}}
	cases := []struct {
		name, path string
		header     http.Header
		body       string
		want       int
		reply      string
	}{
		{"a signed form is stored under its form id", "/form", hmacSigned("form_route_secret", "MessageSid=SM1&Status=sent", form), "MessageSid=SM1&Status=sent", 202, `"id":"SM1"`},
		{"the same form again is a duplicate", "/form", hmacSigned("form_route_secret", "MessageSid=SM1&Status=sent", form), "MessageSid=SM1&Status=sent", 200, `"duplicate"`},
		{"a form without its id field is refused", "/form", hmacSigned("form_route_secret", "Status=sent", form), "Status=sent", 400, "MessageSid"},
		{"a form with a bad escape is refused", "/form", hmacSigned("form_route_secret", "MessageSid=%zz", form), "MessageSid=%zz", 400, "malformed form body"},
		{"a form with ';' separators is refused", "/form", hmacSigned("form_route_secret", "MessageSid=SM2;Status=x", form), "MessageSid=SM2;Status=x", 400, "malformed form body"},
		{"a forged form is refused", "/form", hmacSigned("another_secret", "MessageSid=SM3", form), "MessageSid=SM3", 401, "signature mismatch"},
		{"any bytes are stored, named by their hash", "/any", hmacSigned("any_route_secret", "plain text, not JSON", "text/plain"), "plain text, not JSON", 202, `"id":"sha256:`},
		{"the same bytes again are a duplicate", "/any", hmacSigned("any_route_secret", "plain text, not JSON", "text/plain"), "plain text, not JSON", 200, `"duplicate"`},
		{"a token route takes a form", "/tokenform", tokenForm, "id=tf1&x=1", 202, `"id":"tf1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, reply := c.post(t, tc.path, tc.header, []byte(tc.body))
			if status != tc.want || !strings.Contains(reply, tc.reply) {
				t.Fatalf("%d %s, want %d with %s", status, reply, tc.want, tc.reply)
			}
		})
	}
	if n, _ := srv.Do("XLEN", "hookgate:{events}"); n != ":3" {
		t.Errorf("the stream holds %s entries, want 3", n)
	}
}
