package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
)

// Zoom publishes no worked example: these vectors were computed from its
// documented algorithm (developers.zoom.us/docs/api/webhooks) with
// Python's hmac module, not this package.
const (
	zoomSecret = "zoom_secret_token"
	zoomTS     = "1700000000"
	zoomBody   = `{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","start_time":"2023-11-14T22:13:20Z"}}}`
	zoomSig    = "v0=da6a9648a802c58bb9b0b636b43b0159a31740e5dabc75193adaa2b0174a6e50"
	// The URL validation Zoom sends, and the answer's encryptedToken.
	zoomValidation    = `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1700000000000,"event":"endpoint.url_validation"}`
	zoomValidationSig = "v0=7afc53d89f55168faba704b1f6035b06c120e54bb82a59246551861cf64abaa5"
	zoomEncrypted     = "bd48235863f4a6323ccc4963c594908b7c97f88b4a6a95278f4f093690b12726"
)

func newTestZoom(t *testing.T, now int64, secrets ...string) *Zoom {
	t.Helper()
	v, err := NewZoom(Config{Secrets: secrets, Now: at(now)})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func zoomHeaders(ts, sig string) http.Header {
	return headers("x-zm-request-timestamp", ts, "x-zm-signature", sig)
}

func TestZoom(t *testing.T) {
	const now = 1700000000
	for _, tc := range []struct {
		name    string
		secrets []string
		now     int64
		ts, sig string
		want    error
	}{
		{"the computed vector verifies", []string{zoomSecret}, now, zoomTS, zoomSig, nil},
		{"the second secret of a rotation verifies", []string{"zoom_old_secret", zoomSecret}, now, zoomTS, zoomSig, nil},
		{"another secret is a mismatch", []string{"zoom_other_secret"}, now, zoomTS, zoomSig, ErrMismatch},
		{"a stale timestamp is rejected", []string{zoomSecret}, now + 301, zoomTS, zoomSig, ErrStale},
		{"a future timestamp is rejected", []string{zoomSecret}, now - 301, zoomTS, zoomSig, ErrStale},
		{"no signature is missing", []string{zoomSecret}, now, zoomTS, "", ErrMissing},
		{"no timestamp is missing", []string{zoomSecret}, now, "", zoomSig, ErrMissing},
		{"a signature without v0= is malformed", []string{zoomSecret}, now, zoomTS, zoomSig[3:], ErrMalformed},
		{"a millisecond timestamp is malformed", []string{zoomSecret}, now, zoomTS + "000", zoomSig, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestZoom(t, tc.now, tc.secrets...)
			checkErr(t, verifyErr(v.Verify(zoomHeaders(tc.ts, tc.sig), []byte(zoomBody))), tc.want)
		})
	}
}

func TestZoomRejectsOneByteChanges(t *testing.T) {
	v := newTestZoom(t, 1700000000, zoomSecret)
	checkOneByteChanges(t, signedParts{body: zoomBody, ts: zoomTS, sig: zoomSig, verify: func(body, ts, sig string) error {
		return verifyErr(v.Verify(zoomHeaders(ts, sig), []byte(body)))
	}})
}

// Zoom names no event and retries with a new timestamp: the event is the
// hash of its body, so a retry is a duplicate.
func TestZoomNamesAnEventByItsBody(t *testing.T) {
	v := newTestZoom(t, 1700000000, zoomSecret)
	s, err := v.Verify(zoomHeaders(zoomTS, zoomSig), []byte(zoomBody))
	if err != nil {
		t.Fatal(err)
	}
	id, err := Identify(s, v.Locate(), nil, []byte(zoomBody), BodyFields{Type: "meeting.started"})
	sum := sha256.Sum256([]byte(zoomBody))
	if err != nil || id.ID != "sha256:"+hex.EncodeToString(sum[:]) || id.Type != "meeting.started" {
		t.Fatalf("Identify = %+v, %v", id, err)
	}
}

func TestZoomAnswersURLValidationWithTheSecretThatVerified(t *testing.T) {
	newSig := "v0=" + hex.EncodeToString(stdlibMAC(sha256.New, "zoom_new_secret", "v0:"+zoomTS+":"+zoomValidation))
	for _, tc := range []struct {
		name, sig, want string
	}{
		{"the first secret", zoomValidationSig, zoomEncrypted},
		// Computed the same way, under zoom_new_secret.
		{"the rotation's new secret", newSig, "cec514eb8bb68f669942b03518754aeac38a2015a4a08caefffa89ee5312fda8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestZoom(t, 1700000000, zoomSecret, "zoom_new_secret")
			h := zoomHeaders(zoomTS, tc.sig)
			s, err := v.Verify(h, []byte(zoomValidation))
			if err != nil {
				t.Fatal(err)
			}
			reply, ok := v.SignedHandshake(&http.Request{Header: h}, []byte(zoomValidation), s)
			want := `{"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"` + tc.want + `"}`
			if !ok || reply.ContentType != "application/json" || string(reply.Body) != want {
				t.Fatalf("SignedHandshake = %+v %q, %v; want %s", reply, reply.Body, ok, want)
			}
		})
	}
	v := newTestZoom(t, 1700000000, zoomSecret)
	if _, ok := v.UnsignedHandshake(&http.Request{Header: zoomHeaders(zoomTS, zoomValidationSig)}, []byte(zoomValidation)); ok {
		t.Error("answered a validation before its signature was checked")
	}
	h := zoomHeaders(zoomTS, zoomSig)
	if reply, ok := v.SignedHandshake(&http.Request{Header: h}, []byte(zoomBody), Signed{}); ok {
		t.Errorf("an event was answered as a validation: %+v", reply)
	}
}
