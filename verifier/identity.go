package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// Bounds on what becomes a Redis key part or a delivery header.
const (
	MaxIDLen     = 256
	MaxTypeLen   = 256
	MaxTenantLen = 64
)

// Identity is what ingest stores an event under, decided once from what
// the signature covers.
type Identity struct {
	ID     string // the event id stored and delivered
	Type   string // the event type stored; filter, route and envelope use it
	Dedupe string // the id the dedupe key is built from
}

// BodyFields are the values of a Locator's IDField, TypeField and
// ActionField read from the signed body ("" where absent).
type BodyFields struct{ ID, Type, Action string }

// Fields lists the body fields Identify reads, in BodyFields order, for
// the scanner.
func (l Locator) Fields() []string { return []string{l.IDField, l.TypeField, l.ActionField} }

// IdentityError is a request whose signature verified but that names its
// event badly. Its message is safe to send back.
type IdentityError struct{ msg string }

func (e *IdentityError) Error() string { return e.msg }

// Identify decides an event's identity by the trust rule at the edge: the
// dedupe id is covered by the signature (s.ID, or loc.IDField read from the
// signed body into bodyID); otherwise it is the hash of the signed bytes,
// the signed timestamp included. An unsigned header may label the event
// (loc.IDHeader, kept for audit) but never makes a replay new; an unsigned
// type header is read only where the scheme signs no type, and the dedupe
// key leaves it out, so the first delivery's type sticks.
func Identify(s Signed, loc Locator, h http.Header, body []byte, f BodyFields) (Identity, error) {
	bodyID, bodyType := f.ID, f.Type
	var id Identity
	switch {
	case s.ID != "":
		id.ID = s.ID
	case loc.IDField != "" && bodyID != "":
		id.ID = bodyID
		if loc.IDHeader != "" {
			if label := headerValue(h, loc.IDHeader); label != "" && label != bodyID {
				return Identity{}, &IdentityError{loc.IDHeader + ` header differs from the body's "` + loc.IDField + `" field`}
			}
		}
	case loc.IDField != "" && !loc.IDOptional:
		return Identity{}, &IdentityError{`body has no string "` + loc.IDField + `" field`}
	default:
		id.ID = signedHash(s.Timestamp, body)
	}
	id.Dedupe = id.ID
	if !visibleASCII(id.ID, MaxIDLen) {
		return Identity{}, &IdentityError{"event id must be 1 to 256 visible ASCII characters"}
	}
	if loc.TypeField != "" {
		id.Type = bodyType
	} else if loc.TypeHeader != "" {
		id.Type = headerValue(h, loc.TypeHeader)
		if id.Type != "" && loc.TypeOf != nil {
			id.Type = loc.TypeOf(id.Type)
		}
	}
	if id.Type != "" && loc.ActionField != "" && f.Action != "" {
		id.Type += "." + f.Action
	}
	if id.Type != "" && !visibleASCII(id.Type, MaxTypeLen) {
		return Identity{}, &IdentityError{"event type must be at most 256 visible ASCII characters"}
	}
	return id, nil
}

// signedHash names an event by the bytes its signature covers.
func signedHash(ts string, body []byte) string {
	h := sha256.New()
	if ts != "" {
		h.Write([]byte(ts))
		h.Write([]byte{'.'})
	}
	h.Write(body)
	var sum [sha256.Size]byte
	return "sha256:" + hex.EncodeToString(h.Sum(sum[:0]))
}

// visibleASCII reports whether s is 1 to max bytes of 0x21–0x7E: no space,
// control byte or non-ASCII can reach a key or a header.
func visibleASCII(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ErrTenant is a tenant outside 1 to 64 bytes of [A-Za-z0-9._-].
var ErrTenant = errors.New("tenant must be 1 to 64 characters of A-Z a-z 0-9 . _ -")

// NormalizeTenant returns the stored form of a tenant: lowercased, so that
// one host or header spelled two ways is one tenant, and without the
// trailing dot of a fully qualified host name. Anything else is ErrTenant.
func NormalizeTenant(t string) (string, error) {
	if n := len(t); n > 1 && t[n-1] == '.' {
		t = t[:n-1]
	}
	if !tenantChars(t) {
		return "", ErrTenant
	}
	// ASCII without capitals comes back as it is, without allocating.
	return strings.ToLower(t), nil
}

// SecretScope names the dedupe namespace of one secret: who signed. It is
// a keyed hash, so the Redis key tells nothing of the secret, and two
// routes with different secrets never share a namespace.
func SecretScope(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("hookgate dedupe scope v1"))
	return "s-" + hex.EncodeToString(m.Sum(nil)[:12])
}

// NamedScope is the dedupe namespace a user names with dedupe_scope, so
// that routes can share one; it never equals a SecretScope.
func NamedScope(name string) (string, error) {
	if !tenantChars(name) {
		return "", errors.New("dedupe_scope must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
	}
	return "n-" + name, nil
}

func tenantChars(s string) bool {
	if s == "" || len(s) > MaxTenantLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
