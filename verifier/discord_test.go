package verifier

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// providers.md's vector: the key pair of the seed bytes 0..31, PING
// signed at 1700000000 (computed with Go's crypto/ed25519 over the
// documented timestamp + body; Discord publishes no worked example).
const (
	discordPublic = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
	discordTS     = "1700000000"
	discordBody   = `{"type":1}`
	discordSig    = "c1098e97d711377f30225d53d94b89d43537f92e5b3afaddc590781b1f9f9d4b2eeab335d370be3b9a090bc61a85b86448bc140dcd195f1569c2bff181257607"
)

func discordSeedKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func discordSign(key ed25519.PrivateKey, ts, body string) string {
	return hex.EncodeToString(ed25519.Sign(key, []byte(ts+body)))
}

func newTestDiscord(t *testing.T, now int64, keys ...string) *Discord {
	t.Helper()
	v, err := NewDiscord(Config{Secrets: keys, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func discordHeaders(ts, sig string) http.Header {
	return headers("X-Signature-Timestamp", ts, "X-Signature-Ed25519", sig)
}

func TestDiscord(t *testing.T) {
	if got := hex.EncodeToString(discordSeedKey().Public().(ed25519.PublicKey)); got != discordPublic {
		t.Fatalf("the seed's public key is %s", got)
	}
	other := ed25519.NewKeyFromSeed(make([]byte, 32))
	otherPublic := hex.EncodeToString(other.Public().(ed25519.PublicKey))
	const now = 1700000000
	for _, tc := range []struct {
		name    string
		keys    []string
		now     int64
		ts, sig string
		want    error
	}{
		{"providers.md's vector verifies", []string{discordPublic}, now, discordTS, discordSig, nil},
		{"an upper-case public key is the same key", []string{strings.ToUpper(discordPublic)}, now, discordTS, discordSig, nil},
		{"the second key of a rotation verifies", []string{otherPublic, discordPublic}, now, discordTS, discordSig, nil},
		{"another application's key is a mismatch", []string{otherPublic}, now, discordTS, discordSig, ErrMismatch},
		{"a stale timestamp is rejected", []string{discordPublic}, now + 301, discordTS, discordSig, ErrStale},
		{"a future timestamp is rejected", []string{discordPublic}, now - 301, discordTS, discordSig, ErrStale},
		{"no signature is missing", []string{discordPublic}, now, discordTS, "", ErrMissing},
		{"no timestamp is missing", []string{discordPublic}, now, "", discordSig, ErrMissing},
		{"a short signature is malformed", []string{discordPublic}, now, discordTS, discordSig[2:], ErrMalformed},
		{"a non-hex signature is malformed", []string{discordPublic}, now, discordTS, "zz" + discordSig[2:], ErrMalformed},
		{"a timestamp that is not digits is malformed", []string{discordPublic}, now, "1700000000.0", discordSig, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestDiscord(t, tc.now, tc.keys...)
			checkErr(t, verifyErr(v.Verify(discordHeaders(tc.ts, tc.sig), []byte(discordBody))), tc.want)
		})
	}
}

func TestDiscordRejectsOneByteChanges(t *testing.T) {
	body := `{"id":"786008729715212338","type":2,"application_id":"775799577604964352","data":{"id":"771825006014889984","name":"blep","type":1}}`
	v := newTestDiscord(t, 1700000000, discordPublic)
	checkOneByteChanges(t, signedParts{body: body, ts: discordTS, sig: discordSign(discordSeedKey(), discordTS, body), verify: func(body, ts, sig string) error {
		return verifyErr(v.Verify(discordHeaders(ts, sig), []byte(body)))
	}})
}

func TestDiscordKeysAreCheckedAtProvisioning(t *testing.T) {
	for _, key := range []string{discordPublic[2:], discordPublic + "00", "zz" + discordPublic[2:], "whsec_" + discordPublic[6:]} {
		_, err := NewDiscord(Config{Secrets: []string{key}})
		if err == nil || strings.Contains(err.Error(), key) {
			t.Errorf("key %q: %v", key, err)
		}
	}
	if _, err := NewDiscord(Config{}); !errors.Is(err, ErrNoSecret) {
		t.Errorf("no key: %v", err)
	}
}

func TestDiscordVerifyAllocatesNothing(t *testing.T) {
	v := newTestDiscord(t, 1700000000, discordPublic)
	h := discordHeaders(discordTS, discordSig)
	body := []byte(discordBody)
	if n := testing.AllocsPerRun(100, func() { _, _ = v.Verify(h, body) }); n != 0 {
		t.Errorf("Verify allocates %v times", n)
	}
}

func TestDiscordAnswersPings(t *testing.T) {
	v := newTestDiscord(t, 1700000000, discordPublic)
	for _, tc := range []struct {
		name, body   string
		status       int
		contentType  string
		reply        string
		notHandshake bool
	}{
		{"an interaction PING is answered {\"type\":1} as JSON",
			`{"app_permissions":"0","application_id":"775799577604964352","id":"1127151520582975548","token":"aW50","type":1,"user":{"id":"53908232506183680"},"version":1}`,
			0, "application/json", `{"type":1}`, false},
		{"a webhook event PING is answered 204", `{"version":1,"application_id":"1234560123453231555","type":0}`, 204, "", "", false},
		{"an application command is an event", `{"id":"786008729715212338","type":2,"data":{"name":"blep"}}`, 0, "", "", true},
		{"a webhook event is an event", `{"version":1,"application_id":"1","type":1,"event":{"type":"APPLICATION_AUTHORIZED"}}`, 0, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, ok := v.SignedHandshake(nil, []byte(tc.body), Signed{})
			if ok == tc.notHandshake {
				t.Fatalf("SignedHandshake = %+v, %v", reply, ok)
			}
			if ok && (reply.Status != tc.status || reply.ContentType != tc.contentType || string(reply.Body) != tc.reply) {
				t.Fatalf("reply %+v %q", reply, reply.Body)
			}
		})
	}
	if _, ok := v.UnsignedHandshake(nil, []byte(`{"type":1}`)); ok {
		t.Error("an unsigned PING was answered")
	}
}

func TestDiscordReadsInteractionsAndWebhookEvents(t *testing.T) {
	v := newTestDiscord(t, 0, discordPublic)
	for _, tc := range []struct {
		name, body string
		want       BodyFields
	}{
		{"an application command by its id and kind", `{"id":"786008729715212338","type":2,"data":{"name":"blep"}}`,
			BodyFields{ID: "786008729715212338", Type: "application_command"}},
		{"a modal submit", `{"id":"1","type":5}`, BodyFields{ID: "1", Type: "modal_submit"}},
		{"an unknown kind has no type", `{"id":"1","type":42}`, BodyFields{ID: "1"}},
		{"a webhook event by its event.type", `{"version":1,"application_id":"1","type":1,"event":{"type":"ENTITLEMENT_CREATE","timestamp":"2024-10-18T18:41:21.109604"}}`,
			BodyFields{Type: "ENTITLEMENT_CREATE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.ReadFields([]byte(tc.body), 64)
			if err != nil || got != tc.want {
				t.Fatalf("ReadFields = %+v, %v", got, err)
			}
		})
	}
	if _, err := v.ReadFields([]byte(`{"id":"1","id":"2"}`), 64); err == nil {
		t.Error("a repeated member was read")
	}
}

// FuzzDiscordHeaders: any signature and timestamp header is accepted only
// when it is the exact signature of the exact timestamp (hex case aside),
// and refused with one of the package's errors otherwise.
func FuzzDiscordHeaders(f *testing.F) {
	f.Add(discordSig, discordTS, []byte(discordBody))
	f.Add(strings.ToUpper(discordSig), discordTS, []byte(discordBody))
	f.Add(discordSig[:127], discordTS, []byte(discordBody))
	f.Add(discordSig+"0", discordTS, []byte(discordBody))
	f.Add("g"+discordSig[1:], discordTS, []byte(discordBody))
	f.Add(discordSig, "01700000000", []byte(discordBody))
	f.Add(discordSig, "-1700000000", []byte(discordBody))
	f.Add(discordSig, "99999999999999999999", []byte(discordBody))
	f.Add("", "", []byte(nil))
	v, err := NewDiscord(Config{Secrets: []string{discordPublic}, Now: at(1700000000)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		_, err := v.Verify(discordHeaders(ts, sig), body)
		checkSentinel(t, err)
		if err == nil && (!strings.EqualFold(sig, discordSig) || ts != discordTS || string(body) != discordBody) {
			t.Fatalf("accepted %q %q %q", sig, ts, body)
		}
	})
}
