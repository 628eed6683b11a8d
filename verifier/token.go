// Token: a static shared secret sent as it is in a configured header
// (GitLab's X-Gitlab-Token and the like). It is not a MAC: it proves the
// sender knows the token and says nothing about the body, so it is for
// senders that sign nothing.

package verifier

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
)

// TokenOptions describe a shared-token scheme.
type TokenOptions struct {
	Header string // header carrying the token; required

	// IDFrom and TypeFrom are "header:<Name>" or "json:<field>";
	// IDHeader/IDField and TypeHeader/TypeField are their older spellings.
	// A header id is a label: nothing here is signed.
	IDFrom, IDHeader, IDField       string
	TypeFrom, TypeHeader, TypeField string
	// Body is "json" (default), "form" or "any", as for HMACOptions.
	Body string
}

// Token verifies a static shared token.
type Token struct {
	header string
	// Tokens are compared as HMACs under a key drawn at start-up, not as
	// text: that keeps the time taken independent of the secret's length as
	// well as its content, and the attacker cannot precompute the values.
	mac     *macKey
	digests [][sha256.Size]byte
	locator Locator
}

// NewToken builds a shared-token verifier.
func NewToken(cfg Config, opts TokenOptions) (*Token, error) {
	return newToken("token", cfg, opts)
}

func newToken(scheme string, cfg Config, opts TokenOptions) (*Token, error) {
	if opts.Header == "" {
		return nil, errors.New(scheme + ": header is required")
	}
	if err := checkSecrets(scheme, cfg.Secrets); err != nil {
		return nil, err
	}
	loc, err := tokenLocator(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", scheme, err)
	}
	key := make([]byte, sha256.Size)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	t := &Token{
		header:  http.CanonicalHeaderKey(opts.Header),
		mac:     newMACKey(sha256.New, key),
		digests: make([][sha256.Size]byte, len(cfg.Secrets)),
		locator: loc,
	}
	for i, s := range cfg.Secrets {
		t.digest(&t.digests[i], s)
	}
	for _, name := range []string{t.locator.IDHeader, t.locator.TypeHeader} {
		if name == t.header {
			// It would be stored with the event, and the token with it.
			return nil, errors.New(scheme + ": the id or type header must not be the token header")
		}
		if name != "" {
			t.locator.Audit = append(t.locator.Audit, name)
		}
	}
	return t, nil
}

func tokenLocator(opts TokenOptions) (Locator, error) {
	id, err := mergeSource("id_from", opts.IDFrom, opts.IDHeader, opts.IDField)
	if err != nil {
		return Locator{}, err
	}
	typ, err := mergeSource("type_from", opts.TypeFrom, opts.TypeHeader, opts.TypeField)
	if err != nil {
		return Locator{}, err
	}
	loc := eventLocator(id, typ, false)
	if loc.Body, err = bodyKind(opts.Body, id, typ); err != nil {
		return Locator{}, err
	}
	return loc, nil
}

// CheckTokenOptions reports what NewToken would refuse in opts, secrets
// aside.
func CheckTokenOptions(opts TokenOptions) error {
	if opts.Header == "" {
		return errors.New("header is required")
	}
	_, err := tokenLocator(opts)
	return err
}

// Verify compares the header's token with every secret, all of them every
// time, so the time taken does not tell which one matched.
func (t *Token) Verify(h http.Header, _ []byte) (Signed, error) {
	token := headerValue(h, t.header)
	if token == "" {
		return Signed{}, ErrMissing
	}
	var got [sha256.Size]byte
	t.digest(&got, token)
	match := false
	for i := range t.digests {
		match = hmac.Equal(got[:], t.digests[i][:]) || match
	}
	if !match {
		return Signed{}, ErrMismatch
	}
	return Signed{}, nil
}

func (t *Token) digest(dst *[sha256.Size]byte, token string) {
	m := t.mac.get()
	m.writeString(token)
	copy(dst[:], m.mac())
	t.mac.put(m)
}

// Locate returns the locations given in the options; the slices are shared
// and must not be modified.
func (t *Token) Locate() Locator { return t.locator }

var _ Verifier = (*Token)(nil)
