package verifier

import "testing"

const (
	wordpressSecret = "wp_shared_secret"
	wordpressBody   = `{"event":"post.published","post_id":7}`
	wordpressTS     = "1700000000"
	wordpressSig    = "uHs2k2U0vAUmYr/fApnM8JMBsI8U271PRvU4/UbdEr0="
)

func TestWordPress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []string
		ts, sig string // "" leaves the header out
		now     int64
		want    error
	}{
		{"the test vector verifies", []string{wordpressSecret}, wordpressTS, wordpressSig, 1700000000, nil},
		{"the second secret matches during rotation", []string{"old", wordpressSecret}, wordpressTS, wordpressSig, 1700000000, nil},
		{"a stale timestamp is rejected", []string{wordpressSecret}, wordpressTS, wordpressSig, 1700000301, ErrStale},
		{"a future timestamp is rejected", []string{wordpressSecret}, wordpressTS, wordpressSig, 1699999699, ErrStale},
		{"a wrong secret is a mismatch", []string{"wp_other_secret"}, wordpressTS, wordpressSig, 1700000000, ErrMismatch},
		{"another timestamp is a mismatch", []string{wordpressSecret}, "1700000001", wordpressSig, 1700000000, ErrMismatch},
		{"a missing signature is rejected", []string{wordpressSecret}, wordpressTS, "", 1700000000, ErrMissing},
		{"a missing timestamp is rejected", []string{wordpressSecret}, "", wordpressSig, 1700000000, ErrMissing},
		{"a non-numeric timestamp is malformed", []string{wordpressSecret}, "now", wordpressSig, 1700000000, ErrMalformed},
		{"a negative timestamp is malformed", []string{wordpressSecret}, "-1", wordpressSig, 1700000000, ErrMalformed},
		{"garbage is malformed", []string{wordpressSecret}, wordpressTS, "garbage", 1700000000, ErrMalformed},
		{"unpadded base64 is malformed", []string{wordpressSecret}, wordpressTS, wordpressSig[:43], 1700000000, ErrMalformed},
		{"hex is malformed", []string{wordpressSecret}, wordpressTS, "b87b36936534bc052662bfdf0299ccf093016c8f14dbbd8f46f538fd46dd12bd", 1700000000, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewWordPress(Config{Secrets: tc.secrets, Now: at(tc.now)})
			if err != nil {
				t.Fatal(err)
			}
			h := headers("X-Event-Id", "evt_7")
			if tc.ts != "" {
				h.Set("X-WP-Timestamp", tc.ts)
			}
			if tc.sig != "" {
				h.Set("X-WP-Signature", tc.sig)
			}
			checkErr(t, verifyErr(v.Verify(h, []byte(wordpressBody))), tc.want)
		})
	}
}

func TestWordPressRejectsOneByteChanges(t *testing.T) {
	v, err := NewWordPress(Config{Secrets: []string{wordpressSecret}, Now: at(1700000000)})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(ts, sig, body string) error {
		return verifyErr(v.Verify(headers("X-WP-Timestamp", ts, "X-WP-Signature", sig), []byte(body)))
	}
	t.Run("any change of the body is rejected", func(t *testing.T) {
		for _, body := range oneByteChanges(wordpressBody) {
			if verify(wordpressTS, wordpressSig, body) == nil {
				t.Fatalf("accepted body %q", body)
			}
		}
	})
	t.Run("any change of the timestamp is rejected", func(t *testing.T) {
		for _, ts := range oneByteChanges(wordpressTS) {
			if verify(ts, wordpressSig, wordpressBody) == nil {
				t.Fatalf("accepted timestamp %q", ts)
			}
		}
	})
	t.Run("any change of the signature is rejected", func(t *testing.T) {
		for _, sig := range oneByteChanges(wordpressSig) {
			if verify(wordpressTS, sig, wordpressBody) == nil {
				t.Fatalf("accepted signature %q", sig)
			}
		}
	})
}
