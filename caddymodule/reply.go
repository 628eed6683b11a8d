package caddymodule

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// retryAfter is what a provider is told to wait after a 503.
const retryAfter = "5"

// replyStatus writes {"status":…,"id":…}, the answer for a stored event.
func replyStatus(w http.ResponseWriter, code int, status, id string) error {
	b := make([]byte, 0, 48+len(id))
	b = append(b, `{"status":`...)
	b = appendJSONString(b, status)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, id)
	b = append(b, '}', '\n')
	return write(w, code, b)
}

// replyError writes {"error":…}. msg must never hold a secret or an
// expected signature: senders read it.
func replyError(w http.ResponseWriter, code int, msg string) error {
	b := make([]byte, 0, 16+len(msg))
	b = append(b, `{"error":`...)
	b = appendJSONString(b, msg)
	b = append(b, '}', '\n')
	return write(w, code, b)
}

func write(w http.ResponseWriter, code int, body []byte) error {
	// One allocation for both values where Header.Set would make two; each
	// header gets a slice of its own (capacity 1), so an append or an
	// in-place edit by a later handler touches only its own header.
	v := make([]string, 2)
	v[0], v[1] = "application/json", strconv.Itoa(len(body))
	h := w.Header()
	h["Content-Type"], h["Content-Length"] = v[0:1:1], v[1:2:2]
	w.WriteHeader(code)
	_, err := w.Write(body)
	return err
}

// appendJSONString quotes s as a JSON string. Ids come from attacker bytes,
// so control characters and invalid UTF-8 are escaped or replaced.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
