package verifier

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestIdentify(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"invoice.paid"}`)
	stripeLike := Locator{IDField: "id", TypeField: "type"}
	wordpressLike := Locator{IDField: "id", IDOptional: true, IDHeader: "X-Event-Id", TypeField: "event"}
	githubLike := Locator{IDHeader: "X-Github-Delivery", TypeHeader: "X-Github-Event", ActionField: "action"}
	hash := signedHash("", body)
	for _, tc := range []struct {
		name             string
		action           string
		signed           Signed
		loc              Locator
		header           http.Header
		bodyID, bodyType string
		want             Identity
		err              string
	}{
		{"a signed id names the event", "", Signed{ID: "msg_1", Timestamp: "1"}, Locator{TypeField: "type"}, nil, "", "invoice.paid",
			Identity{ID: "msg_1", Type: "invoice.paid", Dedupe: "msg_1"}, ""},
		{"a signed id wins over a body field", "", Signed{ID: "msg_1"}, stripeLike, nil, "evt_1", "t",
			Identity{ID: "msg_1", Type: "t", Dedupe: "msg_1"}, ""},
		{"a signed body field names the event", "", Signed{Timestamp: "1"}, stripeLike, nil, "evt_1", "invoice.paid",
			Identity{ID: "evt_1", Type: "invoice.paid", Dedupe: "evt_1"}, ""},
		{"a required body id that is missing is refused", "", Signed{}, stripeLike, nil, "", "x",
			Identity{}, `body has no string "id" field`},
		{"an optional body id that is missing falls back to the signed bytes", "", Signed{Timestamp: "1700000000"}, wordpressLike,
			http.Header{"X-Event-Id": {"fresh-label"}}, "", "post.published",
			Identity{ID: signedHash("1700000000", body), Type: "post.published", Dedupe: signedHash("1700000000", body)}, ""},
		{"an unsigned id header that differs from the signed body id is refused", "", Signed{Timestamp: "1"}, wordpressLike,
			http.Header{"X-Event-Id": {"other"}}, "e1", "x", Identity{}, "X-Event-Id header differs"},
		{"an unsigned id header equal to the body id is fine", "", Signed{Timestamp: "1"}, wordpressLike,
			http.Header{"X-Event-Id": {"e1"}}, "e1", "x", Identity{ID: "e1", Type: "x", Dedupe: "e1"}, ""},
		{"an unsigned id header alone never names the event", "", Signed{}, githubLike,
			http.Header{"X-Github-Delivery": {"guid-1"}, "X-Github-Event": {"issues"}}, "", "",
			Identity{ID: hash, Type: "issues", Dedupe: hash}, ""},
		{"a fresh unsigned id header gives the same identity", "", Signed{}, githubLike,
			http.Header{"X-Github-Delivery": {"guid-2"}, "X-Github-Event": {"issues"}}, "", "",
			Identity{ID: hash, Type: "issues", Dedupe: hash}, ""},
		{"a type header is ignored where the body has a type field", "", Signed{}, Locator{IDField: "id", TypeField: "type", TypeHeader: "X-Type"},
			http.Header{"X-Type": {"customer.deleted"}}, "evt_1", "order.paid",
			Identity{ID: "evt_1", Type: "order.paid", Dedupe: "evt_1"}, ""},
		{"a control byte in the id is refused", "", Signed{}, stripeLike, nil, "bad\x01id", "x", Identity{}, "visible ASCII"},
		{"a space in the id is refused", "", Signed{ID: "a b"}, stripeLike, nil, "", "x", Identity{}, "visible ASCII"},
		{"a non-ASCII id is refused", "", Signed{}, stripeLike, nil, "évt", "x", Identity{}, "visible ASCII"},
		{"an id of 257 bytes is refused", "", Signed{}, stripeLike, nil, strings.Repeat("a", 257), "x", Identity{}, "visible ASCII"},
		{"an id of 256 bytes is fine", "", Signed{}, stripeLike, nil, strings.Repeat("a", 256), "x",
			Identity{ID: strings.Repeat("a", 256), Type: "x", Dedupe: strings.Repeat("a", 256)}, ""},
		{"a type with a newline is refused", "", Signed{}, stripeLike, nil, "evt_1", "a\nb", Identity{}, "event type"},
		{"a type header with a control byte is refused", "", Signed{}, githubLike, http.Header{"X-Github-Event": {"is\x7fsues"}}, "", "",
			Identity{}, "event type"},
		{"a body value is no id where the scheme names no id field", "", Signed{}, githubLike, http.Header{"X-Github-Event": {"push"}}, "x", "",
			Identity{ID: hash, Type: "push", Dedupe: hash}, ""},
		{"a signed action is joined to a header type", "opened", Signed{}, githubLike, http.Header{"X-Github-Event": {"issues"}}, "", "",
			Identity{ID: hash, Type: "issues.opened", Dedupe: hash}, ""},
		{"an action with a control byte is refused with the type", "op\x00ened", Signed{}, githubLike, http.Header{"X-Github-Event": {"issues"}}, "", "",
			Identity{}, "event type"},
		{"an action without a type header names no type", "opened", Signed{}, githubLike, nil, "", "",
			Identity{ID: hash, Dedupe: hash}, ""},
		{"an empty type is stored empty", "", Signed{}, stripeLike, nil, "evt_1", "", Identity{ID: "evt_1", Dedupe: "evt_1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Identify(tc.signed, tc.loc, tc.header, body, BodyFields{ID: tc.bodyID, Type: tc.bodyType, Action: tc.action})
			if tc.err != "" {
				var ie *IdentityError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want an IdentityError containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Identify = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSignedHashCoversTheTimestamp(t *testing.T) {
	body := []byte(`{}`)
	if signedHash("1", body) == signedHash("2", body) || signedHash("", body) == signedHash("1", body) {
		t.Fatal("the signed timestamp does not change the hash")
	}
}

func TestNormalizeTenant(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"a plain tenant is kept", "acme", "acme"},
		{"capitals are folded", "ACME", "acme"},
		{"a host is lowercased", "Hooks.Example.Test", "hooks.example.test"},
		{"a fully qualified host loses its trailing dot", "hooks.example.test.", "hooks.example.test"},
		{"digits, dot, dash and underscore are allowed", "a-1_b.2", "a-1_b.2"},
		{"64 bytes are allowed", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"a colon is refused", "acme:x", ""},
		{"a decoded %3A is refused", "acme%3Ax", ""},
		{"a control byte is refused", "ac\x01me", ""},
		{"a newline is refused", "a\nb", ""},
		{"a space is refused", "a b", ""},
		{"65 bytes are refused", strings.Repeat("a", 65), ""},
		{"2000 bytes are refused", strings.Repeat("a", 2000), ""},
		{"empty is refused", "", ""},
		{"a lone dot is kept: it is not a host with a trailing dot", ".", "."},
		{"non-ASCII is refused", "äcme", ""},
		{"braces of an unreplaced placeholder are refused", "{http.request.host}", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeTenant(tc.in)
			if tc.want == "" {
				if !errors.Is(err, ErrTenant) {
					t.Fatalf("NormalizeTenant(%q) = %q, %v; want ErrTenant", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeTenant(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	a, b := SecretScope("whsec_a"), SecretScope("whsec_b")
	if a == b {
		t.Fatal("two secrets share a scope")
	}
	if a != SecretScope("whsec_a") {
		t.Fatal("a secret's scope is not stable")
	}
	if strings.Contains(a, "whsec_a") || strings.Contains(a, ":") {
		t.Fatalf("scope %q shows the secret or a key separator", a)
	}
	n, err := NamedScope("shared")
	if err != nil || n == a || !strings.HasPrefix(n, "n-") {
		t.Fatalf("NamedScope = %q, %v", n, err)
	}
	for _, bad := range []string{"", "a:b", "a b", strings.Repeat("x", 65), "x\x00"} {
		if _, err := NamedScope(bad); err == nil {
			t.Errorf("NamedScope(%q) accepted", bad)
		}
	}
}

func FuzzIdentify(f *testing.F) {
	f.Add("msg_1", "1700000000", "evt_1", "invoice.paid", "X-Id-Label", "issues", []byte(`{"id":"evt_1"}`))
	f.Add("", "", "", "", "guid", "push", []byte(`{}`))
	f.Add("a b", "", "bad\x01id", "a\nb", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, signedID, ts, bodyID, bodyType, label, headerType string, body []byte) {
		h := http.Header{"X-Event-Id": {label}, "X-Github-Event": {headerType}}
		for _, loc := range []Locator{
			{IDField: "id", TypeField: "type"},
			{IDField: "id", IDOptional: true, IDHeader: "X-Event-Id", TypeField: "event"},
			{IDHeader: "X-Github-Delivery", TypeHeader: "X-Github-Event", ActionField: "action"},
		} {
			id, err := Identify(Signed{ID: signedID, Timestamp: ts}, loc, h, body, BodyFields{ID: bodyID, Type: bodyType, Action: label})
			if err != nil {
				continue
			}
			if !visibleASCII(id.ID, MaxIDLen) || id.Dedupe != id.ID || id.Type != "" && !visibleASCII(id.Type, MaxTypeLen) {
				t.Fatalf("Identify accepted %+v", id)
			}
			// A label the signature does not cover never decides the id.
			other := http.Header{"X-Event-Id": {label + "x"}, "X-Github-Event": {headerType}}
			if again, err := Identify(Signed{ID: signedID, Timestamp: ts}, loc, other, body, BodyFields{ID: bodyID, Type: bodyType, Action: label}); err == nil && again.Dedupe != id.Dedupe {
				t.Fatalf("a fresh label made %q into %q", id.Dedupe, again.Dedupe)
			}
		}
	})
}

func FuzzNormalizeTenant(f *testing.F) {
	for _, s := range []string{"acme", "ACME", "Hooks.Example.Test.", "acme:x", "a%3Ab", "", ".", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeTenant(in)
		if err != nil {
			return
		}
		if !tenantChars(got) || strings.ToLower(got) != got {
			t.Fatalf("NormalizeTenant(%q) = %q", in, got)
		}
		if up, err := NormalizeTenant(strings.ToUpper(in)); err != nil || up != got {
			t.Fatalf("NormalizeTenant(%q) = %q but NormalizeTenant(%q) = %q, %v", in, got, strings.ToUpper(in), up, err)
		}
	})
}
