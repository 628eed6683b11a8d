package verifier

import (
	"crypto/sha512"
	"encoding/base64"
)

// strictBase64 refuses non-zero padding bits, so exactly one text encodes a
// given MAC and a changed character can never decode to the same bytes.
var strictBase64 = base64.StdEncoding.Strict()

// decodeHex fills dst from s, which must be exactly 2*len(dst) hex digits
// of either case. It works on the string itself so the attacker's header is
// never copied.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHexChar(s[2*i])
		lo, ok2 := fromHexChar(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHexChar(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeBase64 fills dst (at most sha512.Size bytes) from s, which must be
// the padded standard encoding of exactly len(dst) bytes. The decoder may
// use up to DecodedLen bytes of room, one more than the MAC, hence the
// local buffer.
func decodeBase64(dst []byte, s string) bool {
	var buf [sha512.Size + 2]byte
	if len(dst) > sha512.Size || len(s) != strictBase64.EncodedLen(len(dst)) {
		return false
	}
	n, err := strictBase64.Decode(buf[:], []byte(s))
	if err != nil || n != len(dst) {
		return false
	}
	copy(dst, buf[:n])
	return true
}
