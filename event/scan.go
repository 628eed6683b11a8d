package event

import (
	"errors"
	"strconv"
)

// maxDepth is encoding/json's nesting limit; sharing it keeps Scan's verdict
// equal to json.Valid's on every input.
const maxDepth = 10000

// MaxDepthLimit is the deepest nesting ScanStrict can be asked to allow.
const MaxDepthLimit = maxDepth

// maxScanKeys bounds len(keys) so that "already seen" fits in one word and
// Scan never allocates for bookkeeping.
const maxScanKeys = 64

// ErrNotObject is returned by Scan when the body is not a JSON object (an
// array, a scalar, or anything that does not start with '{').
var ErrNotObject = errors.New("body is not a JSON object")

// SyntaxError describes where a body stops being JSON. Its message names
// only a byte offset and at most the one offending character, so it is safe
// to send back to the sender.
type SyntaxError struct {
	Offset int64 // byte offset in the body where the error was found
	msg    string
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.msg
}

// Scan checks that body is exactly one JSON object (whitespace around it is
// allowed) and, in the same pass, extracts top-level fields: for each
// keys[i] present as a top-level key whose value is a string or a number,
// out[i] is set to the unescaped string or to the number's literal text.
// Every other out[i] (key absent, value of another type) is "".
//
// The verdict is json.Valid's for bodies that start with '{', including its
// nesting limit of 10000. Keys are compared after unescaping. When a
// top-level key repeats, the first occurrence decides (encoding/json keeps
// the last); a repeated name in keys only fills its first index.
//
// out[i] never aliases body: each found field costs one small allocation,
// and nothing else on the success path allocates. On error every out[i] is
// "". Scan panics if len(keys) > 64 or len(out) < len(keys), which are
// programming errors.
func Scan(body []byte, keys []string, out []string) error {
	if len(keys) > maxScanKeys {
		panic("event.Scan: more than 64 keys")
	}
	out = out[:len(keys)]
	clear(out)
	s := scanner{b: body, keys: keys, maxDepth: maxDepth}
	err := s.object(out)
	if err != nil {
		clear(out)
	}
	return err
}

// scanner walks a body iteratively: the container nesting lives in a bit
// stack instead of the Go call stack, so hostile depth costs 1.25 KB at most.
type scanner struct {
	b        []byte
	keys     []string
	seen     uint64                  // bit i: keys[i] already met at top level
	depth    int                     // open containers, the top-level object is 1
	maxDepth int                     // deepest nesting allowed
	stack    [maxDepth/64 + 1]uint64 // bit d: container at depth d+1 is an object
	names    *memberNames            // ScanStrict's member names of open objects; nil for Scan
}

// object scans the body into out. out is no field of s, so that it does
// not escape with the rest of s: a caller's array stays on its stack.
func (s *scanner) object(out []string) error {
	b := s.b
	i := skipSpace(b, 0)
	if i == len(b) {
		return s.eof()
	}
	if b[i] != '{' {
		return ErrNotObject
	}
	want := -1 // index in keys of the top-level member whose value is next
	var err error
	for {
		// A value starts at i.
		i = skipSpace(b, i)
		if i == len(b) {
			return s.eof()
		}
		switch c := b[i]; c {
		case '{', '[':
			if s.depth == s.maxDepth {
				return errAt(i, "nesting deeper than "+strconv.Itoa(s.maxDepth)+" levels")
			}
			s.push(c == '{')
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				if c == '{' && s.names != nil {
					s.names.close()
				}
				s.depth--
				i++
				break
			}
			if c == '{' {
				if i, want, err = s.key(i); err != nil {
					return err
				}
			}
			continue
		case '"':
			end, escaped, high, err := scanString(b, i+1)
			if err != nil {
				return err
			}
			if s.names != nil && (escaped || high) && !ijsonString(b[i:end+1], escaped, high) {
				return errAt(i, errNotIJSON)
			}
			if want >= 0 && s.depth == 1 {
				out[want] = stringValue(b[i:end+1], escaped, high)
			}
			i = end + 1
		case 't':
			if i, err = literal(b, i, "true"); err != nil {
				return err
			}
		case 'f':
			if i, err = literal(b, i, "false"); err != nil {
				return err
			}
		case 'n':
			if i, err = literal(b, i, "null"); err != nil {
				return err
			}
		default:
			if c != '-' && (c < '0' || c > '9') {
				return errAt(i, "invalid character "+quoteChar(c)+" looking for beginning of value")
			}
			start := i
			if i, err = scanNumber(b, i); err != nil {
				return err
			}
			if want >= 0 && s.depth == 1 {
				out[want] = string(b[start:i])
			}
		}
		want = -1
		// A value just ended: close containers until a comma asks for the
		// next value or the top-level object is closed.
	closing:
		for {
			i = skipSpace(b, i)
			if s.depth == 0 {
				if i != len(b) {
					return errAt(i, "invalid character "+quoteChar(b[i])+" after top-level value")
				}
				return nil
			}
			if i == len(b) {
				return s.eof()
			}
			inObject := s.inObject()
			switch b[i] {
			case ',':
				i++
				if inObject {
					if i, want, err = s.key(i); err != nil {
						return err
					}
				}
				break closing
			case '}':
				if !inObject {
					return errAt(i, "invalid character '}' after array element")
				}
				if s.names != nil {
					if at := s.names.closeUnique(b); at >= 0 {
						return errAt(at, "duplicate object key")
					}
				}
			case ']':
				if inObject {
					return errAt(i, "invalid character ']' after object key:value pair")
				}
			default:
				if inObject {
					return errAt(i, "invalid character "+quoteChar(b[i])+" after object key:value pair")
				}
				return errAt(i, "invalid character "+quoteChar(b[i])+" after array element")
			}
			s.depth--
			i++
		}
	}
}

// key reads `"name":` starting at i and returns the offset after the colon
// and, for a top-level key that names a wanted field not yet seen, its index.
func (s *scanner) key(i int) (int, int, error) {
	b := s.b
	i = skipSpace(b, i)
	if i == len(b) {
		return 0, 0, s.eof()
	}
	if b[i] != '"' {
		return 0, 0, errAt(i, "invalid character "+quoteChar(b[i])+" looking for beginning of object key string")
	}
	end, escaped, high, err := scanString(b, i+1)
	if err != nil {
		return 0, 0, err
	}
	want := -1
	if s.depth == 1 && len(s.keys) > 0 {
		want = s.match(b[i:end+1], escaped, high)
	}
	if s.names != nil {
		if (escaped || high) && !ijsonString(b[i:end+1], escaped, high) {
			return 0, 0, errAt(i, errNotIJSON)
		}
		s.names.add(b[i:end+1], i, escaped, high)
	}
	i = skipSpace(b, end+1)
	if i == len(b) {
		return 0, 0, s.eof()
	}
	if b[i] != ':' {
		return 0, 0, errAt(i, "invalid character "+quoteChar(b[i])+" after object key")
	}
	return i + 1, want, nil
}

// match returns the index of the wanted key equal to quoted (a JSON string
// with its quotes), or -1. Whichever occurrence comes first claims the index.
func (s *scanner) match(quoted []byte, escaped, high bool) int {
	j := -1
	raw := quoted[1 : len(quoted)-1]
	if plain(raw, escaped, high) {
		for k, key := range s.keys {
			if string(raw) == key {
				j = k
				break
			}
		}
	} else {
		name := unquote(quoted)
		for k, key := range s.keys {
			if name == key {
				j = k
				break
			}
		}
	}
	if j < 0 || s.seen&(1<<j) != 0 {
		return -1
	}
	s.seen |= 1 << j
	return j
}

func (s *scanner) push(object bool) {
	w, bit := s.depth>>6, uint(s.depth&63)
	if object {
		s.stack[w] |= 1 << bit
		if s.names != nil {
			s.names.open()
		}
	} else {
		s.stack[w] &^= 1 << bit
	}
	s.depth++
}

func (s *scanner) inObject() bool {
	d := s.depth - 1
	return s.stack[d>>6]&(1<<uint(d&63)) != 0
}

func (s *scanner) eof() error {
	return &SyntaxError{Offset: int64(len(s.b)), msg: "unexpected end of JSON input"}
}

func errAt(i int, msg string) error {
	return &SyntaxError{Offset: int64(i), msg: msg}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}
