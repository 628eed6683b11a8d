package verifier

import (
	"crypto/hmac"
	"crypto/sha512"
	"fmt"
	"hash"
	"net/http"
	"sync"
)

// macKey holds keyed HMAC states for one secret. Building one hashes the key
// into the inner and outer pads; Reset returns to that keyed state, so a
// pooled state serves request after request without being rebuilt.
type macKey struct {
	pool sync.Pool
}

// macState is one pooled HMAC with room for its sum and a scratch buffer:
// writing a string through the hash.Hash interface would otherwise copy it
// to the heap, and a buffer living in the pooled state is already there.
type macState struct {
	h       hash.Hash
	sum     [sha512.Size]byte
	scratch [64]byte
}

func newMACKey(newHash func() hash.Hash, secret []byte) *macKey {
	key := append([]byte(nil), secret...)
	k := &macKey{}
	k.pool.New = func() any { return &macState{h: hmac.New(newHash, key)} }
	return k
}

// macKeys builds one macKey per configured secret, used as plain bytes.
func macKeys(scheme string, secrets []string, newHash func() hash.Hash) ([]*macKey, error) {
	if err := checkSecrets(scheme, secrets); err != nil {
		return nil, err
	}
	keys := make([]*macKey, len(secrets))
	for i, s := range secrets {
		keys[i] = newMACKey(newHash, []byte(s))
	}
	return keys, nil
}

// checkSecrets refuses an empty list and empty entries alike: an empty
// secret would make every signature trivially forgeable.
func checkSecrets(scheme string, secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("%s: %w", scheme, ErrNoSecret)
	}
	for i, s := range secrets {
		if s == "" {
			return fmt.Errorf("%s: secret %d is empty: %w", scheme, i+1, ErrNoSecret)
		}
	}
	return nil
}

// signedWith reports whether, under any of keys, the MAC of parts followed
// by body is one that matches accepts. Every scheme tries its secrets this
// way: the first that matches wins.
func signedWith(keys []*macKey, matches func(mac []byte) bool, body []byte, parts ...string) bool {
	for _, k := range keys {
		m := k.get()
		for _, p := range parts {
			m.writeString(p)
		}
		m.write(body)
		ok := matches(m.mac())
		k.put(m)
		if ok {
			return true
		}
	}
	return false
}

// signedAround is signedWith for schemes whose signed string has parts
// after the body as well as before it (a template such as "{body}{ts}").
func signedAround(keys []*macKey, matches func(mac []byte) bool, before []string, body []byte, after []string) bool {
	for _, k := range keys {
		m := k.get()
		for _, p := range before {
			m.writeString(p)
		}
		m.write(body)
		for _, p := range after {
			m.writeString(p)
		}
		ok := matches(m.mac())
		k.put(m)
		if ok {
			return true
		}
	}
	return false
}

func (k *macKey) get() *macState { return k.pool.Get().(*macState) }

func (k *macKey) put(m *macState) {
	m.h.Reset()
	k.pool.Put(m)
}

func (m *macState) write(b []byte) { m.h.Write(b) }

func (m *macState) writeString(s string) {
	for len(s) > 0 {
		n := copy(m.scratch[:], s)
		m.h.Write(m.scratch[:n])
		s = s[n:]
	}
}

// mac returns the sum; it lives in m and is valid until m is put back.
func (m *macState) mac() []byte { return m.h.Sum(m.sum[:0]) }

// headerValue reads the first value of a header whose name is already in
// canonical form, skipping the canonicalisation http.Header.Get repeats
// (and, for names such as "webhook-id", allocates for) on every call.
func headerValue(h http.Header, canonicalName string) string {
	if v := h[canonicalName]; len(v) > 0 {
		return v[0]
	}
	return ""
}
