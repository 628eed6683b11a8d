package verifier

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Published examples, verified through the generic engine with the
// template each provider documents.
func TestHMACTemplatesVerifyPublishedExamples(t *testing.T) {
	stdKey, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	for _, tc := range []struct {
		name    string
		opts    HMACOptions
		secret  string
		header  []string
		body    string
		now     time.Time
		want    Signed
		wantErr error
	}{
		{"Slack's published example: v0:{ts}:{body}",
			HMACOptions{Header: "X-Slack-Signature", Prefix: "v0=", Template: "v0:{ts}:{body}", TimestampFrom: "header:X-Slack-Request-Timestamp"},
			"8f742231b10e8888abcd99yyyzzz85a5",
			[]string{"X-Slack-Request-Timestamp", "1531420618", "X-Slack-Signature", "v0=6b8b0b4cff7baf56906b6a54056df891b9cc8292bc01770e0e1d6dd9bc623977"},
			"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather",
			time.Unix(1531420618, 0), Signed{Timestamp: "1531420618"}, nil},
		{"Standard Webhooks' published example: {id}.{ts}.{body} signs the id",
			HMACOptions{Header: "Webhook-Signature", Prefix: "v1,", Encoding: "base64", Template: "{id}.{ts}.{body}",
				TimestampFrom: "header:webhook-timestamp", IDFrom: "header:webhook-id"},
			string(stdKey),
			[]string{"Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "Webhook-Timestamp", "1614265330",
				"Webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			`{"test": 2432232314}`, time.Unix(1614265330, 0), Signed{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Timestamp: "1614265330"}, nil},
		{"Zendesk's older published example: {body}{ts} with an RFC 3339 timestamp",
			HMACOptions{Header: "X-Zendesk-Webhook-Signature", Encoding: "base64", Template: "{body}{ts}",
				TimestampFrom: "header:X-Zendesk-Webhook-Signature-Timestamp", TimestampFormat: "rfc3339"},
			"HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=",
			[]string{"X-Zendesk-Webhook-Signature-Timestamp", "2021-07-25T10:00:00Z", "X-Zendesk-Webhook-Signature", "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="},
			`{"say": "hello"}`, time.Date(2021, 7, 25, 10, 1, 0, 0, time.UTC), Signed{Timestamp: "2021-07-25T10:00:00Z"}, nil},
		{"the same example with the timestamp first does not verify",
			HMACOptions{Header: "X-Zendesk-Webhook-Signature", Encoding: "base64", Template: "{ts}{body}",
				TimestampFrom: "header:X-Zendesk-Webhook-Signature-Timestamp", TimestampFormat: "rfc3339"},
			"HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=",
			[]string{"X-Zendesk-Webhook-Signature-Timestamp", "2021-07-25T10:00:00Z", "X-Zendesk-Webhook-Signature", "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="},
			`{"say": "hello"}`, time.Date(2021, 7, 25, 10, 1, 0, 0, time.UTC), Signed{}, ErrMismatch},
		{"the older timestamp_header still signs {ts}.{body}",
			HMACOptions{Header: "X-WP-Signature", Encoding: "base64", TimestampHeader: "X-WP-Timestamp"},
			wordpressSecret, []string{"X-WP-Timestamp", wordpressTS, "X-WP-Signature", wordpressSig}, wordpressBody,
			time.Unix(1700000000, 0), Signed{Timestamp: wordpressTS}, nil},
		{"a millisecond header timestamp", HMACOptions{Header: "X-Sig", Template: "{ts}.{body}", TimestampFrom: "header:X-Ts", TimestampFormat: "unix_ms"},
			"s", []string{"X-Ts", "1700000000123", "X-Sig", hexMAC("s", "1700000000123.b")},
			"b", time.Unix(1700000000, 0), Signed{Timestamp: "1700000000123"}, nil},
		{"a millisecond timestamp is not read as seconds", HMACOptions{Header: "X-Sig", Template: "{ts}.{body}", TimestampFrom: "header:X-Ts"},
			"s", []string{"X-Ts", "1700000000123", "X-Sig", hexMAC("s", "1700000000123.b")},
			"b", time.Unix(1700000000, 0), Signed{}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewHMAC(Config{Secrets: []string{tc.secret}, Now: func() time.Time { return tc.now }}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			s, err := v.Verify(headers(tc.header...), []byte(tc.body))
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == nil && s != tc.want {
				t.Errorf("Signed = %+v, want %+v", s, tc.want)
			}
		})
	}
}

// Each template in the grammar, signed with Append (what sign/ uses) and
// verified by the engine: every one-byte change of body, timestamp, id and
// signature is refused.
func TestHMACTemplatesRejectOneByteChanges(t *testing.T) {
	const secret, ts, id, body = "tpl-secret", "1700000000", "msg_1", `{"a":1}`
	for _, template := range []string{"{body}", "{ts}.{body}", "v0:{ts}:{body}", "{ts}:{body}", "{id}.{ts}.{body}", "{ts}{body}", "{body}{ts}", "{body}.{id}"} {
		t.Run(template, func(t *testing.T) {
			tpl, err := ParseTemplate(template)
			if err != nil {
				t.Fatal(err)
			}
			opts := HMACOptions{Header: "X-Sig", Template: template}
			if tpl.HasTimestamp() {
				opts.TimestampFrom = "header:X-Ts"
			}
			if tpl.HasID() {
				opts.IDFrom = "header:X-Id"
			}
			v, err := NewHMAC(Config{Secrets: []string{secret}, Now: at(1700000000)}, opts)
			if err != nil {
				t.Fatal(err)
			}
			sig := hexMAC(secret, string(tpl.Append(nil, ts, id, []byte(body))))
			verify := func(ts, id, sig, body string) error {
				return verifyErr(v.Verify(headers("X-Ts", ts, "X-Id", id, "X-Sig", sig), []byte(body)))
			}
			checkErr(t, verify(ts, id, sig, body), nil)
			for _, changed := range oneByteChanges(body) {
				if verify(ts, id, sig, changed) == nil {
					t.Fatalf("accepted body %q", changed)
				}
			}
			for _, changed := range oneByteChanges(sig) {
				if verify(ts, id, changed, body) == nil {
					t.Fatalf("accepted signature %q", changed)
				}
			}
			if tpl.HasTimestamp() {
				for _, changed := range oneByteChanges(ts) {
					if verify(changed, id, sig, body) == nil {
						t.Fatalf("accepted timestamp %q", changed)
					}
				}
			}
			if tpl.HasID() {
				for _, changed := range oneByteChanges(id) {
					if verify(ts, changed, sig, body) == nil {
						t.Fatalf("accepted id %q", changed)
					}
				}
			}
		})
	}
}

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
		want     string // Append with ts=T id=I body=B
	}{
		{"the empty template is the body", "", true, "B"},
		{"literal text around placeholders", "v0:{ts}:{body}", true, "v0:T:B"},
		{"text after the body", "{body}.{ts}!", true, "B.T!"},
		{"every placeholder", "{id}.{ts}.{body}", true, "I.T.B"},
		{"the body is required", "{ts}.", false, ""},
		{"the body appears once", "{body}{body}", false, ""},
		{"ts appears once", "{ts}{ts}{body}", false, ""},
		{"an unknown placeholder is refused", "{method}{url}{body}", false, ""},
		{"placeholders are exact", "{TS}.{body}", false, ""},
		{"an unclosed brace is refused", "{ts.{body}", false, ""},
		{"a stray closing brace is refused", "ts}.{body}", false, ""},
		{"an empty placeholder is refused", "{}{body}", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := ParseTemplate(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if tc.ok {
				if got := string(tpl.Append(nil, "T", "I", []byte("B"))); got != tc.want {
					t.Errorf("Append = %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestHMACRefusesSchemesItCouldNotTrust(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts HMACOptions
		want string
	}{
		{"an unsigned header timestamp", HMACOptions{Header: "X-Sig", Template: "{body}", TimestampFrom: "header:X-Ts"}, "not signed"},
		{"{ts} without a source", HMACOptions{Header: "X-Sig", Template: "{ts}.{body}"}, "no timestamp_from"},
		{"{id} without a header source", HMACOptions{Header: "X-Sig", Template: "{id}.{body}", IDFrom: "json:id"}, "id_from header:"},
		{"two timestamp sources", HMACOptions{Header: "X-Sig", SignatureFormat: "kv ts=t sig=v1", TimestampFrom: "header:X-Ts"}, "one place"},
		{"a kv timestamp the template leaves out", HMACOptions{Header: "X-Sig", SignatureFormat: "kv ts=t sig=v1", Template: "{body}"}, "not signed"},
		{"id_from and id_header together", HMACOptions{Header: "X-Sig", IDFrom: "header:X-Id", IDHeader: "X-Id"}, "not both"},
		{"a source that is neither header, json nor form", HMACOptions{Header: "X-Sig", TypeFrom: "query:type"}, "want header:<Name>, json:<top-level field> or form:<field>"},
		{"a form field read from a JSON body", HMACOptions{Header: "X-Sig", TypeFrom: "form:type"}, "form:type reads a form body, but the body is json"},
		{"a JSON field read from a form body", HMACOptions{Header: "X-Sig", Body: "form", IDFrom: "json:id"}, "json:id reads a JSON body, but the body is form"},
		{"a body kind that does not exist", HMACOptions{Header: "X-Sig", Body: "xml"}, "body \"xml\": want json, form or any"},
		{"a dotted json path", HMACOptions{Header: "X-Sig", IDFrom: "json:data.id"}, "dotted"},
		{"a header name with a space", HMACOptions{Header: "X-Sig", IDFrom: "header:X Id"}, "want header:"},
		{"an unknown timestamp format", HMACOptions{Header: "X-Sig", Template: "{ts}.{body}", TimestampFrom: "header:X-Ts", TimestampFormat: "auto"}, "timestamp_format"},
		{"the id header is the signature header", HMACOptions{Header: "X-Sig", IDFrom: "header:x-sig"}, "must not be the signature header"},
		{"an unknown signature format", HMACOptions{Header: "X-Sig", SignatureFormat: "list"}, "signature_format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHMACOptions(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseSignatureFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want string
	}{
		{"", true, "plain"},
		{"plain", true, "plain"},
		{"kv sig=v1", true, "kv sep=, sig=v1"},
		{"kv sep=, ts=t sig=v1", true, "kv sep=, ts=t sig=v1"},
		{"kv sep=; ts=ts sig=h1", true, "kv sep=; ts=ts sig=h1"},
		{"kv ts=t", false, ""},
		{"kv sep=,, sig=v1", false, ""},
		{"kv sep== sig=v1", false, ""},
		{"kv sig=v1 sig=v2", false, ""},
		{"kv ts=v1 sig=v1", false, ""},
		{"kv sep=; ts=a;b sig=v1", false, ""},
		{"kv colour=red sig=v1", false, ""},
		{"stripe", false, ""},
	} {
		f, err := ParseSignatureFormat(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if tc.ok && f.String() != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, f.String(), tc.want)
		}
	}
}

func hexMAC(secret, msg string) string { return hex.EncodeToString(stdlibMAC(sha256.New, secret, msg)) }
