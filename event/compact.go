package event

// appendCompact appends src, JSON that was validated already, the way
// encoding/json writes a json.RawMessage inside an Envelope: without
// whitespace between tokens, and with <, >, & and U+2028, U+2029 escaped
// (its HTML-safe default). It is json.Marshal's output for the same bytes,
// without a second validation.
func appendCompact(dst, src []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !compactStops[c] {
			continue
		}
		switch c {
		case '"':
			inString = !inString
		case '\\':
			i++ // only in a string: the escaped byte is no quote's end
		case ' ', '\t', '\n', '\r':
			if !inString {
				dst = append(dst, src[start:i]...)
				start = i + 1
			}
		case '<', '>', '&':
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			start = i + 1
		case 0xe2:
			if i+2 < len(src) && src[i+1] == 0x80 && src[i+2]&^1 == 0xa8 {
				dst = append(dst, src[start:i]...)
				dst = append(dst, '\\', 'u', '2', '0', '2', hex[src[i+2]&0xf])
				start = i + 3
				i += 2
			}
		}
	}
	return append(dst, src[start:]...)
}

// compactStops marks the bytes appendCompact looks at.
var compactStops = func() (t [256]bool) {
	for _, c := range []byte{'"', '\\', ' ', '\t', '\n', '\r', '<', '>', '&', 0xe2} {
		t[c] = true
	}
	return t
}()
