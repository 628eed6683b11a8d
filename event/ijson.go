package event

import (
	"unicode"
	"unicode/utf8"
)

// ijsonString reports whether a JSON string that scanString accepted is
// also I-JSON (RFC 7493 §2.1): valid UTF-8, and no escape of a lone
// surrogate. Decoders differ on such strings (Go reads U+FFFD, PHP's
// json_decode refuses the document), so one body could mean two things.
// Only strings with escapes or bytes past ASCII need the look.
func ijsonString(quoted []byte, escaped, high bool) bool {
	raw := quoted[1 : len(quoted)-1]
	if high && !utf8.Valid(raw) {
		return false
	}
	if !escaped {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if raw[i] != 'u' {
			continue
		}
		r := hex4(raw[i+1 : i+5])
		i += 4
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return false
		case r >= 0xd800 && r < 0xdc00:
			// A high surrogate must be followed at once by a low one.
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			if low := hex4(raw[i+3 : i+7]); low < 0xdc00 || low > 0xdfff {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads four hex digits scanString already checked.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// errNotIJSON is ScanStrict's word for a string ijsonString refuses.
const errNotIJSON = "string is not I-JSON (invalid UTF-8 or a lone surrogate escape)"

// appendFolded appends name folded so that two names fold alike exactly
// when bytes.EqualFold, and so encoding/json's struct decoding, takes them
// for one: each rune becomes the smallest of its Unicode fold set, and an
// ASCII letter its lowercase, so a lowercase ASCII name folds to itself.
func appendFolded(dst []byte, name string) []byte {
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			dst = append(dst, asciiLower(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		if f := foldRune(r); f < utf8.RuneSelf {
			dst = append(dst, asciiLower(byte(f)))
		} else {
			dst = utf8.AppendRune(dst, f)
		}
		i += n
	}
	return dst
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func foldRune(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}
