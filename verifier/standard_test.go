package verifier

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const (
	standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	standardID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	standardTS     = "1614265330"
	standardBody   = `{"test": 2432232314}`
	standardSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// standardRequest builds the three headers under the webhook- or svix-
// prefix; an empty value leaves that header out.
func standardRequest(prefix, id, ts, sig string) http.Header {
	h := http.Header{}
	for name, value := range map[string]string{"-id": id, "-timestamp": ts, "-signature": sig} {
		if value != "" {
			h.Set(prefix+name, value)
		}
	}
	return h
}

func TestStandard(t *testing.T) {
	const now = 1614265330
	otherSig := "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
	for _, tc := range []struct {
		name    string
		secrets []string
		prefix  string
		id, ts  string
		sig     string
		now     int64
		want    error
	}{
		{"the published example verifies", []string{standardSecret}, "webhook", standardID, standardTS, standardSig, now, nil},
		{"svix names verify the same way", []string{standardSecret}, "svix", standardID, standardTS, standardSig, now, nil},
		{"a secret without whsec_ is base64 all the same", []string{standardSecret[len("whsec_"):]}, "webhook", standardID, standardTS, standardSig, now, nil},
		{"the second secret matches during rotation", []string{"whsec_c2VjcmV0", standardSecret}, "webhook", standardID, standardTS, standardSig, now, nil},
		{"any one v1 in the list may match", []string{standardSecret}, "webhook", standardID, standardTS, otherSig + " " + standardSig, now, nil},
		{"other versions are ignored", []string{standardSecret}, "webhook", standardID, standardTS, "v1a,c2lnbmF0dXJl v2,abc " + standardSig, now, nil},
		{"extra spaces between entries are ignored", []string{standardSecret}, "webhook", standardID, standardTS, otherSig + "   " + standardSig, now, nil},
		{"a stale timestamp is rejected", []string{standardSecret}, "webhook", standardID, standardTS, standardSig, now + 301, ErrStale},
		{"a future timestamp is rejected", []string{standardSecret}, "webhook", standardID, standardTS, standardSig, now - 301, ErrStale},
		{"a wrong secret is a mismatch", []string{"whsec_c2VjcmV0"}, "webhook", standardID, standardTS, standardSig, now, ErrMismatch},
		{"another id is a mismatch", []string{standardSecret}, "webhook", "msg_other", standardTS, standardSig, now, ErrMismatch},
		{"a missing signature is rejected", []string{standardSecret}, "webhook", standardID, standardTS, "", now, ErrMissing},
		{"a missing id is rejected", []string{standardSecret}, "webhook", "", standardTS, standardSig, now, ErrMissing},
		{"a missing timestamp is rejected", []string{standardSecret}, "webhook", standardID, "", standardSig, now, ErrMissing},
		{"a non-numeric timestamp is malformed", []string{standardSecret}, "webhook", standardID, "yesterday", standardSig, now, ErrMalformed},
		{"a negative timestamp is malformed", []string{standardSecret}, "webhook", standardID, "-1614265330", standardSig, now, ErrMalformed},
		{"a millisecond timestamp is malformed", []string{standardSecret}, "webhook", standardID, "1614265330000", standardSig, now, ErrMalformed},
		{"only v1a is malformed: nothing to check", []string{standardSecret}, "webhook", standardID, standardTS, "v1a,c2lnbmF0dXJl", now, ErrMalformed},
		{"a garbage list is malformed", []string{standardSecret}, "webhook", standardID, standardTS, "garbage", now, ErrMalformed},
		{"a bare signature without version is malformed", []string{standardSecret}, "webhook", standardID, standardTS, standardSig[3:], now, ErrMalformed},
		{"url-safe base64 is malformed", []string{standardSecret}, "webhook", standardID, standardTS, "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=", now, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewStandard(Config{Secrets: tc.secrets, Now: at(tc.now)})
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, verifyErr(v.Verify(standardRequest(tc.prefix, tc.id, tc.ts, tc.sig), []byte(standardBody))), tc.want)
		})
	}
}

func TestStandardSvixNames(t *testing.T) {
	v, err := NewStandard(Config{Secrets: []string{standardSecret}, Now: at(1614265330)})
	if err != nil {
		t.Fatal(err)
	}
	signedAs := func(t *testing.T, h http.Header, want Signed) {
		t.Helper()
		before := h.Clone()
		got, err := v.Verify(h, []byte(standardBody))
		checkErr(t, err, nil)
		if got != want {
			t.Fatalf("Verify = %+v, want %+v", got, want)
		}
		if !reflect.DeepEqual(h, before) {
			t.Fatalf("Verify changed the headers: %v, was %v", h, before)
		}
	}
	t.Run("a verified svix delivery returns its signed id and timestamp", func(t *testing.T) {
		signedAs(t, standardRequest("svix", standardID, standardTS, standardSig), Signed{ID: standardID, Timestamp: standardTS})
	})
	t.Run("an unsigned webhook-id added to a svix delivery is ignored", func(t *testing.T) {
		h := standardRequest("svix", standardID, standardTS, standardSig)
		h.Set("Webhook-Id", "msg_fresh_replay")
		signedAs(t, h, Signed{ID: standardID, Timestamp: standardTS})
	})
	t.Run("webhook names win over svix names", func(t *testing.T) {
		h := standardRequest("webhook", standardID, standardTS, standardSig)
		h.Set("Svix-Id", "msg_other")
		h.Set("Svix-Timestamp", standardTS)
		h.Set("Svix-Signature", standardSig)
		signedAs(t, h, Signed{ID: standardID, Timestamp: standardTS})
	})
	t.Run("a rejected svix delivery returns nothing signed", func(t *testing.T) {
		h := standardRequest("svix", standardID, standardTS, "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")
		got, err := v.Verify(h, []byte(standardBody))
		checkErr(t, err, ErrMismatch)
		if got != (Signed{}) {
			t.Fatalf("Verify = %+v", got)
		}
	})
	t.Run("names of both families are not mixed", func(t *testing.T) {
		h := standardRequest("svix", standardID, standardTS, standardSig)
		h.Del("Svix-Id")
		h.Set("Webhook-Id", standardID)
		checkErr(t, verifyErr(v.Verify(h, []byte(standardBody))), ErrMissing)
	})
}

func TestStandardSecrets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret string
		ok     bool
	}{
		{"whsec_ and base64 is accepted", standardSecret, true},
		{"bare base64 is accepted", "c2VjcmV0", true},
		{"a secret that is not base64 is refused", "whsec_not base64!", false},
		{"a secret with nothing after whsec_ is refused", "whsec_", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewStandard(Config{Secrets: []string{tc.secret}})
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if err != nil && len(tc.secret) > 8 && strings.Contains(err.Error(), tc.secret[6:]) {
				t.Fatalf("error %q shows the secret", err)
			}
		})
	}
}

func TestStandardAcceptsWhatTheLibrarySigns(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(standardSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, body string
		ts             int64
	}{
		{"the published message", standardID, standardBody, 1614265330},
		{"an empty body", "msg_1", "", 1},
		{"a body with every byte value", "msg_2", allBytes(), 1700000000},
		{"a long id", "msg_" + string(make([]byte, 300)), "{}", 1700000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := wh.Sign(tc.id, time.Unix(tc.ts, 0), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewStandard(Config{Secrets: []string{standardSecret}, Now: at(tc.ts)})
			if err != nil {
				t.Fatal(err)
			}
			h := standardRequest("webhook", tc.id, strconv.FormatInt(tc.ts, 10), sig)
			checkErr(t, verifyErr(v.Verify(h, []byte(tc.body))), nil)
		})
	}
}

func TestStandardRejectsOneByteChanges(t *testing.T) {
	v, err := NewStandard(Config{Secrets: []string{standardSecret}, Now: at(1614265330)})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(id, ts, sig, body string) error {
		return verifyErr(v.Verify(standardRequest("webhook", id, ts, sig), []byte(body)))
	}
	for _, tc := range []struct {
		name     string
		original string
		verify   func(changed string) error
	}{
		{"any change of the body is rejected", standardBody, func(s string) error { return verify(standardID, standardTS, standardSig, s) }},
		{"any change of the id is rejected", standardID, func(s string) error { return verify(s, standardTS, standardSig, standardBody) }},
		{"any change of the timestamp is rejected", standardTS, func(s string) error { return verify(standardID, s, standardSig, standardBody) }},
		{"any change of the signature list is rejected", standardSig, func(s string) error { return verify(standardID, standardTS, s, standardBody) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, changed := range oneByteChanges(tc.original) {
				if tc.verify(changed) == nil {
					t.Fatalf("accepted %q", changed)
				}
			}
		})
	}
}
