package verifier

import (
	"net/http"
	"testing"
)

func TestToken(t *testing.T) {
	const secret = "glpat-shared-token"
	for _, tc := range []struct {
		name    string
		secrets []string
		token   []string // values of X-Gitlab-Token
		want    error
	}{
		{"the shared token is accepted", []string{secret}, []string{secret}, nil},
		{"the second secret matches during rotation", []string{"old-token", secret}, []string{secret}, nil},
		{"a wrong token is a mismatch", []string{secret}, []string{"glpat-shared-tokeN"}, ErrMismatch},
		{"a prefix of the token is a mismatch", []string{secret}, []string{secret[:len(secret)-1]}, ErrMismatch},
		{"the token with more after it is a mismatch", []string{secret}, []string{secret + "x"}, ErrMismatch},
		{"only the first header value counts", []string{secret}, []string{"wrong", secret}, ErrMismatch},
		{"a missing header is rejected", []string{secret}, nil, ErrMissing},
		{"an empty header is rejected as missing", []string{secret}, []string{""}, ErrMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewToken(Config{Secrets: tc.secrets}, TokenOptions{Header: "X-Gitlab-Token"})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for _, tok := range tc.token {
				h.Add("X-Gitlab-Token", tok)
			}
			checkErr(t, verifyErr(v.Verify(h, []byte("{}"))), tc.want)
		})
	}
}

func TestTokenOptions(t *testing.T) {
	t.Run("a header is required", func(t *testing.T) {
		if _, err := NewToken(Config{Secrets: []string{"s"}}, TokenOptions{}); err == nil {
			t.Fatal("err = nil")
		}
	})
	t.Run("the id header cannot be the token header, or audit would keep the token", func(t *testing.T) {
		if _, err := NewToken(Config{Secrets: []string{"s"}}, TokenOptions{Header: "X-Gitlab-Token", IDHeader: "x-gitlab-token"}); err == nil {
			t.Fatal("err = nil")
		}
	})
	t.Run("any one-byte change of the token is rejected", func(t *testing.T) {
		const secret = "glpat-shared-token"
		v, err := NewToken(Config{Secrets: []string{secret}}, TokenOptions{Header: "X-Gitlab-Token"})
		if err != nil {
			t.Fatal(err)
		}
		for _, changed := range oneByteChanges(secret) {
			if verifyErr(v.Verify(headers("X-Gitlab-Token", changed), nil)) == nil {
				t.Fatalf("accepted %q", changed)
			}
		}
	})
}
