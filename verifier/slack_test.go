package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// Slack's published example (docs.slack.dev, "Verifying requests from
// Slack"): a slash command signed at 1531420618.
const (
	slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackTS     = "1531420618"
	slackBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func slackSign(secret, ts, body string) string {
	return "v0=" + hex.EncodeToString(stdlibMAC(sha256.New, secret, "v0:"+ts+":"+body))
}

func newTestSlack(t *testing.T, now int64, secrets ...string) *Slack {
	t.Helper()
	v, err := NewSlack(Config{Secrets: secrets, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func slackHeaders(ts, sig string) http.Header {
	return headers("X-Slack-Request-Timestamp", ts, "X-Slack-Signature", sig)
}

func TestSlack(t *testing.T) {
	const now = 1531420618
	for _, tc := range []struct {
		name     string
		secrets  []string
		now      int64
		ts, body string
		sig      string
		want     error
	}{
		{"slack's published example verifies (pub)", []string{slackSecret}, now, slackTS, slackBody, slackSig, nil},
		{"providers.md's vector verifies", []string{slackSecret}, now, slackTS,
			"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather",
			"v0=6b8b0b4cff7baf56906b6a54056df891b9cc8292bc01770e0e1d6dd9bc623977", nil},
		{"the second secret of a rotation verifies", []string{"old-secret", slackSecret}, now, slackTS, slackBody, slackSig, nil},
		{"another secret is a mismatch", []string{"another-secret"}, now, slackTS, slackBody, slackSig, ErrMismatch},
		{"five minutes old is accepted", []string{slackSecret}, now + 300, slackTS, slackBody, slackSig, nil},
		{"a stale timestamp is rejected", []string{slackSecret}, now + 301, slackTS, slackBody, slackSig, ErrStale},
		{"a future timestamp is rejected", []string{slackSecret}, now - 301, slackTS, slackBody, slackSig, ErrStale},
		{"no signature is missing", []string{slackSecret}, now, slackTS, slackBody, "", ErrMissing},
		{"no timestamp is missing", []string{slackSecret}, now, "", slackBody, slackSig, ErrMissing},
		{"a signature without v0= is malformed", []string{slackSecret}, now, slackTS, slackBody, slackSig[3:], ErrMalformed},
		{"a v1= signature is malformed", []string{slackSecret}, now, slackTS, slackBody, "v1=" + slackSig[3:], ErrMalformed},
		{"a timestamp that is not digits is malformed", []string{slackSecret}, now, "+1531420618", slackBody, slackSig, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestSlack(t, tc.now, tc.secrets...)
			checkErr(t, verifyErr(v.Verify(slackHeaders(tc.ts, tc.sig), []byte(tc.body))), tc.want)
		})
	}
}

func TestSlackRejectsOneByteChanges(t *testing.T) {
	v := newTestSlack(t, 1531420618, slackSecret)
	checkOneByteChanges(t, signedParts{body: slackBody, ts: slackTS, sig: slackSig, verify: func(body, ts, sig string) error {
		return verifyErr(v.Verify(slackHeaders(ts, sig), []byte(body)))
	}})
}

// slack-go's SecretsVerifier is the oracle: for a fresh request signed
// with the right secret, a wrong one, or altered, both agree.
func TestSlackAgreesWithSlackGo(t *testing.T) {
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	body := `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"U1"}}`
	v, err := NewSlack(Config{Secrets: []string{slackSecret}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, sig, body string }{
		{"signed with the secret", slackSign(slackSecret, ts, body), body},
		{"signed with another secret", slackSign("other", ts, body), body},
		{"the body changed", slackSign(slackSecret, ts, body), body + " "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := slackHeaders(ts, tc.sig)
			sv, err := slack.NewSecretsVerifier(h, slackSecret)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = sv.Write([]byte(tc.body))
			sdk, ours := sv.Ensure(), verifyErr(v.Verify(h, []byte(tc.body)))
			if (sdk == nil) != (ours == nil) {
				t.Errorf("slack-go says %v, Slack's verifier %v", sdk, ours)
			}
		})
	}
}

func TestSlackReadsEachBodyKind(t *testing.T) {
	v := newTestSlack(t, 0, slackSecret)
	for _, tc := range []struct {
		name, body string
		want       BodyFields
		refused    bool
	}{
		{"an event callback is named by event_id and typed by event.type",
			`{"token":"z","team_id":"T1","api_app_id":"A1","event":{"type":"reaction_added","user":"U1","reaction":"thumbsup","event_ts":"1360782804.083113"},"type":"event_callback","event_id":"Ev08MFMKH6","event_time":1234567890}`,
			BodyFields{ID: "Ev08MFMKH6", Type: "reaction_added"}, false},
		{"app_rate_limited keeps its outer type",
			`{"token":"z","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`,
			BodyFields{Type: "app_rate_limited"}, false},
		{"a slash command is named by trigger_id", slackBody,
			BodyFields{ID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", Type: "slash_command"}, false},
		{"an interaction is typed by its payload's type",
			"payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A%2212466734323.1395872398%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D",
			BodyFields{ID: "12466734323.1395872398", Type: "block_actions"}, false},
		{"a repeated JSON member is refused", `{"type":"event_callback","type":"x"}`, BodyFields{}, true},
		{"an interaction payload that is not JSON is refused", "payload=nope", BodyFields{}, true},
		{"a bad escape in a form is refused", "command=%zz", BodyFields{}, true},
		{"a ';' separator is refused", "command=%2Fa;trigger_id=1", BodyFields{}, true},
		{"a form of neither kind is refused", "foo=bar", BodyFields{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.ReadFields([]byte(tc.body), 64)
			if tc.refused {
				if err == nil {
					t.Fatalf("ReadFields = %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ReadFields = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSlackAnswersURLVerification(t *testing.T) {
	v := newTestSlack(t, 0, slackSecret)
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	reply, ok := v.SignedHandshake(nil, []byte(body), Signed{})
	if !ok || reply.ContentType != "text/plain" || string(reply.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" || reply.Status != 0 {
		t.Fatalf("SignedHandshake = %+v, %v", reply, ok)
	}
	for _, other := range []string{
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"url_verification"}}`,
		`{"type":"url_verification"}`,
		slackBody,
	} {
		if reply, ok := v.SignedHandshake(nil, []byte(other), Signed{}); ok {
			t.Errorf("%s answered %+v", other, reply)
		}
	}
	if _, ok := v.UnsignedHandshake(nil, []byte(body)); ok {
		t.Error("an unsigned url_verification was answered")
	}
	if reply, ok := v.SignedHandshake(nil, []byte("ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO"), Signed{}); !ok || reply.Status != 0 || len(reply.Body) != 0 {
		t.Errorf("ssl_check answered %+v, %v", reply, ok)
	}
	if reply, ok := v.SignedHandshake(nil, []byte("command=%2Fweather&ssl_check=1&trigger_id=1"), Signed{}); ok {
		t.Errorf("a command was answered as an ssl_check: %+v", reply)
	}
}

// FuzzSlackBody: whatever a verified body holds, ReadFields answers with
// fields or a body error and never panics; a form it accepts is one
// url.ParseQuery accepts, naming the same command or payload.
func FuzzSlackBody(f *testing.F) {
	for _, seed := range []string{
		slackBody,
		"payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A%221.2%22%7D",
		"payload=%7B%22type%22%3A%22x%22%2C%22type%22%3A%22y%22%7D",
		"command=%2Fa&command=%2Fb&trigger_id=1",
		"command=%zz", "command=a;b", "a&&b=&=c", "payload=", strings.Repeat("a&", 1000),
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`,
		`{"type":"event_callback","event":"x"}`, `{"event":{"type":1}}`, ` {"type":"url_verification","challenge":"c"}`,
		"", "{", "\xff",
	} {
		f.Add([]byte(seed))
	}
	v, err := NewSlack(Config{Secrets: []string{slackSecret}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := v.ReadFields(body, 64)
		if err != nil {
			var be *bodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a body error", err)
			}
			return
		}
		if isJSONObject(body) {
			return
		}
		form, perr := url.ParseQuery(string(body))
		if perr != nil {
			t.Fatalf("accepted a form url.ParseQuery refuses: %v", perr)
		}
		if form.Get("payload") == "" && (got.Type != "slash_command" || got.ID != form.Get("trigger_id")) {
			t.Fatalf("a command read as %+v", got)
		}
		_, _ = v.SignedHandshake(nil, body, Signed{})
	})
}
