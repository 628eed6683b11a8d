package verifier

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The vector SendGrid's own libraries test with (sendgrid-go, -java,
// -nodejs, -csharp: helpers/eventwebhook).
const (
	sendGridDocKey       = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
	sendGridDocSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="
	sendGridDocTimestamp = "1588788367"
	sendGridDocPayload   = `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
)

func sendGridHeader(sig, ts string) http.Header {
	h := http.Header{}
	h.Set(sendGridSignature, sig)
	h.Set(sendGridTimestamp, ts)
	return h
}

// sendGridKey is a fresh key pair: the private key signs, the public one is
// the route's secret, as base64 DER.
func sendGridKey(t testing.TB) (*ecdsa.PrivateKey, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return priv, base64.StdEncoding.EncodeToString(der)
}

func sendGridSign(t testing.TB, priv *ecdsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	d := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridAcceptsItsOwnLibrariesVector(t *testing.T) {
	at := time.Unix(1588788367, 0)
	v, err := NewSendGrid(Config{Secrets: []string{sendGridDocKey}, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(sendGridHeader(sendGridDocSignature, sendGridDocTimestamp), []byte(sendGridDocPayload)); err != nil {
		t.Fatalf("published vector: %v", err)
	}
	// The libraries' own negative cases.
	for name, h := range map[string]http.Header{
		"their bad signature": sendGridHeader("MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=", sendGridDocTimestamp),
		"their bad timestamp": sendGridHeader(sendGridDocSignature, "1388788367"),
	} {
		if _, err := v.Verify(h, []byte(sendGridDocPayload)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := v.Verify(sendGridHeader(sendGridDocSignature, sendGridDocTimestamp), []byte("payload")); !errors.Is(err, ErrMismatch) {
		t.Errorf("their bad payload: %v", err)
	}
}

func TestSendGridRules(t *testing.T) {
	now := time.Unix(1700000000, 0)
	priv, pub := sendGridKey(t)
	oldPriv, oldPub := sendGridKey(t)
	v, err := NewSendGrid(Config{Secrets: []string{pub, oldPub}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"email":"a@example.com","event":"delivered","sg_event_id":"ev1","timestamp":1700000000}]` + "\r\n")
	ts := strconv.FormatInt(now.Unix(), 10)
	good := sendGridSign(t, priv, ts, body)
	flip := func(s string, i int) string { b := []byte(s); b[i] ^= 1; return string(b) }
	cases := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"a signature by the current key is accepted", sendGridHeader(good, ts), body, nil},
		{"a signature by the rotated-out key is accepted", sendGridHeader(sendGridSign(t, oldPriv, ts, body), ts), body, nil},
		{"a changed body byte is refused", sendGridHeader(good, ts), []byte(flip(string(body), 10)), ErrMismatch},
		{"a changed timestamp is refused", sendGridHeader(good, strconv.FormatInt(now.Unix()+1, 10)), body, ErrMismatch},
		{"a changed signature byte is refused", sendGridHeader(flip(good, 20), ts), body, nil},
		{"a missing signature is refused", sendGridHeader("", ts), body, ErrMissing},
		{"a missing timestamp is refused", sendGridHeader(good, ""), body, ErrMissing},
		{"a timestamp that is not digits is malformed", sendGridHeader(good, "12a"), body, ErrMalformed},
		{"an oversized signature is malformed", sendGridHeader(good+good, ts), body, ErrMalformed},
		{"a signature that is not base64 is malformed", sendGridHeader("!!!!", ts), body, ErrMalformed},
		{"a stale timestamp is refused", sendGridHeader(sendGridSign(t, priv, strconv.FormatInt(now.Unix()-301, 10), body), strconv.FormatInt(now.Unix()-301, 10)), body, ErrStale},
		{"a future timestamp is refused", sendGridHeader(sendGridSign(t, priv, strconv.FormatInt(now.Unix()+301, 10), body), strconv.FormatInt(now.Unix()+301, 10)), body, ErrStale},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.h, tc.body)
			switch {
			case tc.name == "a changed signature byte is refused":
				if err == nil {
					t.Fatal("accepted")
				}
			case !errors.Is(err, tc.want) && !(tc.want == nil && err == nil):
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if loc := v.Locate(); loc.Body != BodyJSONArray || loc.IDField != "sg_event_id" || loc.TypeField != "event" {
		t.Errorf("Locate = %+v", loc)
	}
}

func TestSendGridKeysAreChecked(t *testing.T) {
	rsa := "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB"
	_, pub := sendGridKey(t)
	der, _ := base64.StdEncoding.DecodeString(pub)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, tc := range []struct {
		name, key string
		ok        bool
	}{
		{"base64 DER is the dashboard's form", pub, true},
		{"PEM is accepted too", pemKey, true},
		{"an RSA key is refused", rsa, false},
		{"text that is not base64 is refused", "not a key", false},
		{"base64 that is not DER is refused", base64.StdEncoding.EncodeToString([]byte("hello")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSendGrid(Config{Secrets: []string{tc.key}})
			if (err == nil) != tc.ok {
				t.Fatalf("NewSendGrid: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func FuzzSendGridHeaders(f *testing.F) {
	f.Add(sendGridDocSignature, sendGridDocTimestamp, []byte(sendGridDocPayload))
	f.Add("", "", []byte{})
	f.Add("MEUCIQ==", "99999999999999999999", []byte("[]"))
	f.Add("====", "-1", []byte(`[{}]`))
	v, err := NewSendGrid(Config{Secrets: []string{sendGridDocKey}, Tolerance: 1 << 62})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		s, err := v.Verify(sendGridHeader(sig, ts), body)
		if err == nil && (sig != sendGridDocSignature || ts != sendGridDocTimestamp || string(body) != sendGridDocPayload) {
			t.Fatalf("accepted a signature SendGrid did not make: %q %q %q (%+v)", sig, ts, body, s)
		}
	})
}
