package event

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// This file holds the scanner's lexing of JSON scalars: strings, numbers and
// literals, and how their text becomes Go values.

// stopsString marks the bytes a string body cannot simply pass over.
var stopsString = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

// scanString validates a string whose content starts at i and returns the
// offset of its closing quote, whether it holds escapes, and whether it holds
// bytes >= 0x80 (which may be invalid UTF-8 that decoding would replace).
func scanString(b []byte, i int) (end int, escaped, high bool, err error) {
	var or uint64
	for {
		// Ordinary bytes dominate real payloads; pass over them a word at a
		// time and let the byte loop below find the exact stop.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if mayStopString(x) {
				break
			}
			or |= x
			i += 8
		}
		for i < len(b) && !stopsString[b[i]] {
			or |= uint64(b[i])
			i++
		}
		if i == len(b) {
			return 0, false, false, errAt(len(b), "unexpected end of JSON input")
		}
		c := b[i]
		switch c {
		case '"':
			return i, escaped, or&0x8080808080808080 != 0, nil
		case '\\':
			escaped = true
			if i+1 == len(b) {
				return 0, false, false, errAt(len(b), "unexpected end of JSON input")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k == len(b) {
						return 0, false, false, errAt(len(b), "unexpected end of JSON input")
					}
					if !isHex(b[k]) {
						return 0, false, false, errAt(k, "invalid character "+quoteChar(b[k])+" in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				return 0, false, false, errAt(i+1, "invalid character "+quoteChar(b[i+1])+" in string escape code")
			}
		default:
			return 0, false, false, errAt(i, "invalid character "+quoteChar(c)+" in string literal")
		}
	}
}

// mayStopString reports whether the 8 bytes in x may include a control
// byte, '"' or '\\'. It never misses one; a rare false alarm only sends the
// caller to its byte loop. (Bit tricks from "Bit Twiddling Hacks",
// "determine if a word has a byte less than n".)
func mayStopString(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	less := func(v uint64, n uint64) uint64 { return (v - ones*n) & ^v & highs }
	return less(x, 0x20)|less(x^(ones*'"'), 1)|less(x^(ones*'\\'), 1) != 0
}

// scanNumber validates the RFC 8259 number starting at i and returns the
// offset just past it.
func scanNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i == len(b):
		return 0, errAt(i, "unexpected end of JSON input")
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return 0, errAt(i, "invalid character "+quoteChar(b[i])+" in numeric literal")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errAt(i, "missing digits after decimal point")
		}
		i = skipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i == len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errAt(i, "missing digits in exponent")
		}
		i = skipDigits(b, i)
	}
	return i, nil
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func literal(b []byte, i int, word string) (int, error) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return 0, errAt(i, "invalid literal, expected "+word)
	}
	return i + len(word), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// plain reports whether a string's raw bytes already are its decoded value.
func plain(raw []byte, escaped, high bool) bool {
	return !escaped && (!high || utf8.Valid(raw))
}

func stringValue(quoted []byte, escaped, high bool) string {
	raw := quoted[1 : len(quoted)-1]
	if plain(raw, escaped, high) {
		return string(raw)
	}
	return unquote(quoted)
}

// unquote decodes an already validated JSON string through encoding/json, so
// surrogate pairs and invalid UTF-8 turn out exactly as in every other decoder
// of the same body. Only strings with escapes or bad UTF-8 come here.
func unquote(quoted []byte) string {
	var s string
	_ = json.Unmarshal(quoted, &s) // cannot fail: scanString validated it
	return s
}

// quoteChar renders one offending byte the way encoding/json does, so error
// messages never carry raw control bytes back to the sender.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}
