package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	mailgunKey   = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	mailgunToken = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123"
)

// mailgunSig is the documented algorithm, written out with the standard
// library: hex HMAC-SHA256 of timestamp+token under the signing key. The
// vectors below are computed with it (Mailgun publishes none).
func mailgunSig(key, ts, token string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + token))
	return hex.EncodeToString(m.Sum(nil))
}

func mailgunTestBody(sigObject, eventData string) []byte {
	return []byte(`{"signature":` + sigObject + `,"event-data":` + eventData + `}`)
}

func mailgunSigObject(ts, token, sig string) string {
	return fmt.Sprintf(`{"timestamp":%s,"token":%q,"signature":%q}`, ts, token, sig)
}

func TestMailgunRules(t *testing.T) {
	at := time.Unix(1770920772, 0)
	ts := "1770920772"
	v, err := NewMailgun(Config{Secrets: []string{"key-retired", mailgunKey}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	good := mailgunSig(mailgunKey, ts, mailgunToken)
	data := `{"event":"delivered","id":"ev-1","recipient":"alice@example.com"}`
	obj := func(ts, token, sig string) []byte {
		return mailgunTestBody(mailgunSigObject(`"`+ts+`"`, token, sig), data)
	}
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 1; return string(b) }
	cases := []struct {
		name string
		body []byte
		want error
	}{
		{"a signature object made with the signing key is accepted", obj(ts, mailgunToken, good), nil},
		{"the key of an earlier secret (rotation) is accepted", obj(ts, mailgunToken, mailgunSig("key-retired", ts, mailgunToken)), nil},
		{"upper-case hex is accepted", obj(ts, mailgunToken, strings.ToUpper(good)), nil},
		{"a timestamp sent as a JSON number is accepted", mailgunTestBody(mailgunSigObject(ts, mailgunToken, good), data), nil},
		{"a subaccount's parent-signature is accepted", mailgunTestBody(fmt.Sprintf(`{"timestamp":%q,"token":%q,"signature":%q,"parent-signature":%q}`,
			ts, mailgunToken, mailgunSig("key-subaccount", ts, mailgunToken), good), data), nil},
		// What the signature does not cover: see mailgun.go.
		{"another event-data under a captured signature object verifies: the token replay cache must stop it", mailgunTestBody(mailgunSigObject(`"`+ts+`"`, mailgunToken, good), `{"event":"complained","id":"forged"}`), nil},

		{"a signature under another key is refused", obj(ts, mailgunToken, mailgunSig("key-other", ts, mailgunToken)), ErrMismatch},
		{"a one-byte change of the signature is refused", obj(ts, mailgunToken, flip(good, 10)), ErrMismatch},
		{"a one-byte change of the token is refused", obj(ts, flip(mailgunToken, 3), good), ErrMismatch},
		{"a one-byte change of the timestamp is refused", obj("1770920773", mailgunToken, good), ErrMismatch},
		{"a stale timestamp is refused", obj("1770920471", mailgunToken, mailgunSig(mailgunKey, "1770920471", mailgunToken)), ErrStale},
		{"a future timestamp is refused", obj("1770921073", mailgunToken, mailgunSig(mailgunKey, "1770921073", mailgunToken)), ErrStale},
		{"a timestamp at the edge of the tolerance is accepted", obj("1770920472", mailgunToken, mailgunSig(mailgunKey, "1770920472", mailgunToken)), nil},

		{"a body without a signature object is missing its signature", mailgunTestBody(`null`, data), ErrMissing},
		{"a body that is not JSON is missing its signature", []byte(`timestamp=1&token=t&signature=s`), ErrMissing},
		{"a timestamp that is not digits is malformed", obj("1770920772.5", mailgunToken, good), ErrMalformed},
		{"a signed timestamp of twelve digits is malformed", obj("177092077200", mailgunToken, good), ErrMalformed},
		{"an empty token is malformed", obj(ts, "", good), ErrMalformed},
		{"a token with a space is malformed", obj(ts, "two words", good), ErrMalformed},
		{"a token longer than an id may be is malformed", obj(ts, strings.Repeat("t", MaxIDLen+1), good), ErrMalformed},
		{"a signature that is not 64 hex digits is malformed", obj(ts, mailgunToken, good[:62]), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := v.Verify(nil, tc.body)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %+v, %v; want %v", s, err, tc.want)
			}
		})
	}
}

// The token names the event and is its replay value, remembered for as
// long as its timestamp stays within the tolerance.
func TestMailgunSignedNamesTheEventByItsToken(t *testing.T) {
	at := time.Unix(1770920772, 0)
	v, err := NewMailgun(Config{Secrets: []string{mailgunKey}, Now: func() time.Time { return at.Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Verify(nil, mailgunTestBody(mailgunSigObject(`"1770920772"`, mailgunToken, mailgunSig(mailgunKey, "1770920772", mailgunToken)), `{"id":"unsigned"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Signed{ID: mailgunToken, Timestamp: "1770920772", Replay: mailgunToken, ReplayTTL: DefaultTolerance - time.Minute + time.Second}
	if s != want {
		t.Errorf("Signed = %+v, want %+v", s, want)
	}
	if loc := v.Locate(); loc.IDField != "" || loc.ContentType != "application/json" || loc.Body != BodyOwn {
		t.Errorf("Locate = %+v: no body field may name the event", loc)
	}
}

func TestMailgunReadFields(t *testing.T) {
	v, _ := NewMailgun(Config{Secrets: []string{mailgunKey}})
	cases := []struct {
		name, body string
		want       BodyFields
		err        bool
	}{
		{"the type is event-data.event", `{"signature":{},"event-data":{"event":"delivered","id":"x"}}`, BodyFields{Type: "delivered"}, false},
		{"no event-data: no type", `{"signature":{}}`, BodyFields{}, false},
		{"a repeated member is refused", `{"event-data":{"event":"a"},"event-data":{"event":"b"}}`, BodyFields{}, true},
		{"event-data that is not an object is refused", `{"event-data":"delivered"}`, BodyFields{}, true},
		{"a body that is not an object is refused", `[1]`, BodyFields{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.ReadFields([]byte(tc.body), 64)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ReadFields = %+v, %v", got, err)
			}
		})
	}
}

func TestMailgunNeedsASigningKey(t *testing.T) {
	if _, err := NewMailgun(Config{}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("NewMailgun without a key = %v", err)
	}
}

// FuzzMailgunSignatureObject: whatever timestamp and token a signature
// object carries, correctly signed, Verify accepts it exactly when the
// timestamp is unix seconds within the tolerance and the token can be an
// id, and the id is then the token as sent.
func FuzzMailgunSignatureObject(f *testing.F) {
	for _, s := range [][2]string{{"1700000000", mailgunToken}, {"1700000000", ""}, {"17000000.0", "t"}, {"-1700000000", "t"},
		{"01700000000", "t"}, {"1700000000", "two words"}, {"1700000000", "é"}, {"", "t"}, {"1700000300", "t"}, {"1700000301", "t"}} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], s[1], true)
	}
	at := time.Unix(1700000000, 0)
	v, err := NewMailgun(Config{Secrets: []string{mailgunKey}, Now: func() time.Time { return at }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ts, token string, number bool) {
		tsJSON, _ := json.Marshal(ts)
		if number {
			if _, ok := parseTimestamp(ts); !ok || (len(ts) > 1 && ts[0] == '0') {
				return // not a JSON number
			}
			tsJSON = []byte(ts)
		}
		tokJSON, _ := json.Marshal(token)
		body := []byte(`{"signature":{"timestamp":` + string(tsJSON) + `,"token":` + string(tokJSON) +
			`,"signature":"` + mailgunSig(mailgunKey, ts, token) + `"},"event-data":{}}`)
		s, err := v.Verify(nil, body)
		unix, digits := parseTimestamp(ts)
		want := digits && visibleASCII(token, MaxIDLen) &&
			time.Unix(unix, 0).Sub(at).Abs() <= DefaultTolerance
		if (err == nil) != want {
			t.Fatalf("ts %q token %q: Verify = %+v, %v; want accepted %v", ts, token, s, err, want)
		}
		if err == nil && (s.ID != token || s.Replay != token || s.Timestamp != ts) {
			t.Fatalf("Signed = %+v for ts %q token %q", s, ts, token)
		}
	})
}
