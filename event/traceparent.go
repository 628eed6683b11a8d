package event

// Traceparent returns v when it is a valid W3C trace context traceparent
// (version-traceid-parentid-flags in lowercase hex, neither id all zeros,
// version not ff) and "" otherwise: it is stored and sent on every
// delivery, so anything else the sender put there stays at the edge.
func Traceparent(v string) string {
	// Version 00 is exactly 55 bytes; a later version may append fields
	// after a dash, which receivers that know only 00 ignore.
	if len(v) < 55 || len(v) > 55 && v[55] != '-' || len(v) > 256 {
		return ""
	}
	if v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return ""
	}
	if !lowerHex(v[0:2]) || v[0:2] == "ff" || len(v) > 55 && v[0:2] == "00" {
		return ""
	}
	if !lowerHex(v[3:35]) || allZero(v[3:35]) || !lowerHex(v[36:52]) || allZero(v[36:52]) || !lowerHex(v[53:55]) {
		return ""
	}
	for i := 55; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return ""
		}
	}
	return v
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
