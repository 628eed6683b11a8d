package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"testing"
)

func stdlibMAC(newHash func() hash.Hash, secret, msg string) []byte {
	m := hmac.New(newHash, []byte(secret))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func TestHMAC(t *testing.T) {
	githubLike := HMACOptions{Header: "X-Hub-Signature-256", Prefix: "sha256="}
	wooLike := HMACOptions{Header: "X-WC-Webhook-Signature", Encoding: "base64"}
	wordpressLike := HMACOptions{Header: "X-WP-Signature", Encoding: "base64", TimestampHeader: "X-WP-Timestamp"}
	const (
		wooSecret     = "wc_secret"
		wooBody       = `{"id":42,"status":"processing"}`
		wooSig        = "dmwcb6L9aIu90M++pOAHF9GHWA91WKGmhSdb//EsSU0="
		shopifySecret = "shpss_test"
		shopifyBody   = `{"id":820982911946154508,"email":"jon@example.com"}`
		shopifySig    = "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ="
		body          = "payload"
	)
	sha1Hex := hex.EncodeToString(stdlibMAC(sha1.New, "s1", body))
	sha512B64 := base64.StdEncoding.EncodeToString(stdlibMAC(sha512.New, "s5", body))
	sha256Hex := hex.EncodeToString(stdlibMAC(sha256.New, "s2", body))
	for _, tc := range []struct {
		name    string
		opts    HMACOptions
		secrets []string
		header  []string // name, value pairs
		body    string
		now     int64
		want    error
	}{
		{"GitHub's vector verifies as hex sha256 with a prefix", githubLike, []string{githubSecret}, []string{"X-Hub-Signature-256", githubSig}, githubBody, 0, nil},
		{"WooCommerce's vector verifies as base64", wooLike, []string{wooSecret}, []string{"X-WC-Webhook-Signature", wooSig}, wooBody, 0, nil},
		{"Shopify's vector verifies as base64", HMACOptions{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64"}, []string{shopifySecret}, []string{"X-Shopify-Hmac-Sha256", shopifySig}, shopifyBody, 0, nil},
		{"WordPress's vector verifies with a timestamp header", wordpressLike, []string{wordpressSecret}, []string{"X-WP-Timestamp", wordpressTS, "X-WP-Signature", wordpressSig}, wordpressBody, 1700000000, nil},
		{"sha1 hex verifies", HMACOptions{Header: "X-Sig", Algorithm: "sha1"}, []string{"s1"}, []string{"X-Sig", sha1Hex}, body, 0, nil},
		{"sha512 base64 verifies", HMACOptions{Header: "X-Sig", Algorithm: "sha512", Encoding: "base64"}, []string{"s5"}, []string{"X-Sig", sha512B64}, body, 0, nil},
		{"the default is sha256 hex", HMACOptions{Header: "X-Sig"}, []string{"s2"}, []string{"X-Sig", sha256Hex}, body, 0, nil},
		{"the header name is case-insensitive", HMACOptions{Header: "x-sig"}, []string{"s2"}, []string{"X-SIG", sha256Hex}, body, 0, nil},
		{"the second secret matches during rotation", wooLike, []string{"old", wooSecret}, []string{"X-WC-Webhook-Signature", wooSig}, wooBody, 0, nil},
		{"a sha1 signature does not pass as sha256", HMACOptions{Header: "X-Sig"}, []string{"s1"}, []string{"X-Sig", sha1Hex}, body, 0, ErrMalformed},
		{"a stale timestamp is rejected", wordpressLike, []string{wordpressSecret}, []string{"X-WP-Timestamp", wordpressTS, "X-WP-Signature", wordpressSig}, wordpressBody, 1700000301, ErrStale},
		{"a future timestamp is rejected", wordpressLike, []string{wordpressSecret}, []string{"X-WP-Timestamp", wordpressTS, "X-WP-Signature", wordpressSig}, wordpressBody, 1699999699, ErrStale},
		{"a missing timestamp is rejected", wordpressLike, []string{wordpressSecret}, []string{"X-WP-Signature", wordpressSig}, wordpressBody, 1700000000, ErrMissing},
		{"a missing signature is rejected", wooLike, []string{wooSecret}, nil, wooBody, 0, ErrMissing},
		{"a missing prefix is malformed", githubLike, []string{githubSecret}, []string{"X-Hub-Signature-256", githubSig[7:]}, githubBody, 0, ErrMalformed},
		{"garbage is malformed", wooLike, []string{wooSecret}, []string{"X-WC-Webhook-Signature", "%%%"}, wooBody, 0, ErrMalformed},
		{"a wrong secret is a mismatch", wooLike, []string{"wc_other"}, []string{"X-WC-Webhook-Signature", wooSig}, wooBody, 0, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewHMAC(Config{Secrets: tc.secrets, Now: at(tc.now)}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkErr(t, verifyErr(v.Verify(headers(tc.header...), []byte(tc.body))), tc.want)
		})
	}
}

func TestHMACOptions(t *testing.T) {
	secrets := Config{Secrets: []string{"s"}}
	for _, tc := range []struct {
		name string
		opts HMACOptions
		ok   bool
	}{
		{"a header is required", HMACOptions{}, false},
		{"an unknown algorithm is refused", HMACOptions{Header: "X-Sig", Algorithm: "md5"}, false},
		{"algorithm names are exact", HMACOptions{Header: "X-Sig", Algorithm: "SHA256"}, false},
		{"an unknown encoding is refused", HMACOptions{Header: "X-Sig", Encoding: "base32"}, false},
		{"the id header cannot be the signature header", HMACOptions{Header: "X-Sig", IDHeader: "x-sig"}, false},
		{"the timestamp header cannot be the signature header", HMACOptions{Header: "X-Sig", TimestampHeader: "X-SIG"}, false},
		{"every documented choice builds", HMACOptions{Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "v1=", TimestampHeader: "X-Ts"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHMAC(secrets, tc.opts)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestHMACRejectsOneByteChanges(t *testing.T) {
	opts := HMACOptions{Header: "X-Sig", Algorithm: "sha512", Encoding: "base64", Prefix: "v1=", TimestampHeader: "X-Ts"}
	const secret, ts, body = "s5", "1700000000", "a body of some length"
	sig := "v1=" + base64.StdEncoding.EncodeToString(stdlibMAC(sha512.New, secret, ts+"."+body))
	v, err := NewHMAC(Config{Secrets: []string{secret}, Now: at(1700000000)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(ts, sig, body string) error {
		return verifyErr(v.Verify(headers("X-Ts", ts, "X-Sig", sig), []byte(body)))
	}
	checkErr(t, verify(ts, sig, body), nil)
	for _, tc := range []struct {
		name     string
		original string
		verify   func(string) error
	}{
		{"any change of the body is rejected", body, func(s string) error { return verify(ts, sig, s) }},
		{"any change of the timestamp is rejected", ts, func(s string) error { return verify(s, sig, body) }},
		{"any change of the signature is rejected", sig, func(s string) error { return verify(ts, s, body) }},
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
