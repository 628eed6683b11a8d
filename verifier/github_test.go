package verifier

import (
	"net/http"
	"testing"
)

const (
	githubPubSecret = "It's a Secret to Everybody"
	githubPubBody   = "Hello, World!"
	githubPubSig    = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	githubSecret    = "gh_secret"
	githubBody      = `{"action":"opened","number":1}`
	githubSig       = "sha256=e7df90e2ef8be86e5a09004d917f414df0fd99706ea5d39153e7cd5d59a02bb3"
)

func TestGitHub(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []string
		body    string
		sigs    []string // values of X-Hub-Signature-256, one header line each
		want    error
	}{
		{"GitHub's published example verifies", []string{githubPubSecret}, githubPubBody, []string{githubPubSig}, nil},
		{"the test vector verifies", []string{githubSecret}, githubBody, []string{githubSig}, nil},
		{"the second secret matches during rotation", []string{"old", githubSecret}, githubBody, []string{githubSig}, nil},
		{"any one repeated signature header may match", []string{githubSecret}, githubBody, []string{githubPubSig, githubSig}, nil},
		{"a wrong secret is a mismatch", []string{"not_gh_secret"}, githubBody, []string{githubSig}, ErrMismatch},
		{"another body's signature is a mismatch", []string{githubSecret}, githubBody, []string{"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}, ErrMismatch},
		{"a missing header is rejected", []string{githubSecret}, githubBody, nil, ErrMissing},
		{"an empty header is rejected as missing", []string{githubSecret}, githubBody, []string{""}, ErrMissing},
		{"a signature without the sha256= prefix is malformed", []string{githubSecret}, githubBody, []string{githubSig[len("sha256="):]}, ErrMalformed},
		{"a sha1= signature is malformed", []string{githubSecret}, githubBody, []string{"sha1=0123456789abcdef0123456789abcdef01234567"}, ErrMalformed},
		{"garbage is malformed", []string{githubSecret}, githubBody, []string{"sha256=garbage"}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewGitHub(Config{Secrets: tc.secrets})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for _, s := range tc.sigs {
				h.Add("X-Hub-Signature-256", s)
			}
			checkErr(t, verifyErr(v.Verify(h, []byte(tc.body))), tc.want)
		})
	}
}

func TestGitHubRejectsOneByteChanges(t *testing.T) {
	v, err := NewGitHub(Config{Secrets: []string{githubSecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("any change of the body is rejected", func(t *testing.T) {
		for _, body := range oneByteChanges(githubBody) {
			if verifyErr(v.Verify(headers("X-Hub-Signature-256", githubSig), []byte(body))) == nil {
				t.Fatalf("accepted body %q", body)
			}
		}
	})
	t.Run("any change of the signature is rejected", func(t *testing.T) {
		for _, sig := range oneByteChanges(githubSig) {
			if verifyErr(v.Verify(headers("X-Hub-Signature-256", sig), []byte(githubBody))) == nil {
				t.Fatalf("accepted signature %q", sig)
			}
		}
	})
}
