// Signature formats: how a generic HMAC's signature header holds its
// signatures. "plain" (the default) is the whole value, after the prefix;
// each value of a repeated header is a candidate. A key-value list
// ("kv sep=, ts=t sig=v1" for Calendly's t=…,v1=…, "kv sep=; ts=ts sig=h1"
// for Paddle's ts=…;h1=…) carries the signed timestamp and any number of
// signatures in one value: fields are key=value split on sep, with no
// spaces trimmed; the ts key must appear exactly once, every sig key is a
// candidate, and other keys are ignored.

package verifier

import (
	"fmt"
	"strings"
)

// SignatureFormat is a parsed signature_format.
type SignatureFormat struct {
	// KV is true for a key-value list, false for a plain signature.
	KV bool
	// Sep separates the list's fields.
	Sep byte
	// TSKey is the field with the signed timestamp; "" when the list
	// carries none.
	TSKey string
	// SigKey is the field with a signature; it may repeat.
	SigKey string
}

// ParseSignatureFormat parses "plain" (or "") and
// "kv [sep=<char>] [ts=<key>] sig=<key>"; sep defaults to ",".
func ParseSignatureFormat(s string) (SignatureFormat, error) {
	words := strings.Fields(s)
	if len(words) == 0 || (len(words) == 1 && words[0] == "plain") {
		return SignatureFormat{}, nil
	}
	if words[0] != "kv" {
		return SignatureFormat{}, fmt.Errorf("signature_format %q: want plain or kv [sep=<char>] [ts=<key>] sig=<key>", s)
	}
	f := SignatureFormat{KV: true, Sep: ','}
	seen := map[string]bool{}
	for _, w := range words[1:] {
		key, val, ok := strings.Cut(w, "=")
		if !ok || seen[key] {
			return SignatureFormat{}, fmt.Errorf("signature_format %q: %q is not a new sep=, ts= or sig= option", s, w)
		}
		seen[key] = true
		switch key {
		case "sep":
			if len(val) != 1 || val[0] <= ' ' || val[0] > '~' || val[0] == '=' {
				return SignatureFormat{}, fmt.Errorf("signature_format %q: sep must be one visible character other than =", s)
			}
			f.Sep = val[0]
		case "ts":
			f.TSKey = val
		case "sig":
			f.SigKey = val
		default:
			return SignatureFormat{}, fmt.Errorf("signature_format %q: unknown option %q (want sep=, ts= or sig=)", s, key)
		}
	}
	if f.SigKey == "" {
		return SignatureFormat{}, fmt.Errorf("signature_format %q: sig=<key> is required", s)
	}
	for _, k := range []string{f.TSKey, f.SigKey} {
		if strings.IndexByte(k, f.Sep) >= 0 {
			return SignatureFormat{}, fmt.Errorf("signature_format %q: key %q contains the separator", s, k)
		}
	}
	if f.TSKey == f.SigKey {
		return SignatureFormat{}, fmt.Errorf("signature_format %q: ts and sig must be different keys", s)
	}
	return f, nil
}

// String is the format as ParseSignatureFormat reads it.
func (f SignatureFormat) String() string {
	if !f.KV {
		return "plain"
	}
	s := "kv sep=" + string(f.Sep)
	if f.TSKey != "" {
		s += " ts=" + f.TSKey
	}
	return s + " sig=" + f.SigKey
}

// kvTimestamp returns the list's timestamp field and whether the list is
// well formed: every field a key=value, the ts key (when the format has
// one) exactly once, and at least one sig field that wellFormed accepts.
func (f SignatureFormat) kvTimestamp(list string, wellFormed func(string) bool) (ts string, ok bool) {
	seenTS, usable := false, false
	for rest, more := list, true; more; {
		var field string
		field, rest, more = cut(rest, f.Sep)
		key, value, found := strings.Cut(field, "=")
		if !found || key == "" {
			return "", false
		}
		switch key {
		case f.TSKey:
			if seenTS {
				return "", false
			}
			seenTS, ts = true, value
		case f.SigKey:
			usable = usable || wellFormed(value)
		}
	}
	return ts, usable && (seenTS || f.TSKey == "")
}

// kvAnyMatches reports whether any sig field of a list kvTimestamp
// accepted is one matches accepts.
func (f SignatureFormat) kvAnyMatches(list string, matches func(string) bool) bool {
	for rest, more := list, true; more; {
		var field string
		field, rest, more = cut(rest, f.Sep)
		if key, value, _ := strings.Cut(field, "="); key == f.SigKey && matches(value) {
			return true
		}
	}
	return false
}

// cut is strings.Cut on one byte.
func cut(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
