package event

import (
	"errors"
	"strings"
)

// A normalizer that decodes with encoding/json reads its body several
// times: Scan validates it, json.Unmarshal validates it again and decodes
// it, an inner object is validated and decoded once more, and the envelope's
// encoder compacts its data. walkMembers does the reading in one pass: it
// validates the body as Scan does and notes where the few members the
// normalizer needs lie, so that it can build the envelope from those spans.
// Where encoding/json might read a member differently from a plain walk (a
// name differing only in case, a repeated member, escapes in a name), the
// walk says errUnsure and the normalizer decodes the encoding/json way: the
// envelope is the same either way.

// memberTree names the members a normalizer reads, as dotted paths from the
// top-level object; member i's value lands in spans[i]. A path's parent is
// listed in the same tree. Names are plain lowercase ASCII, as the
// normalizers' struct tags are.
type memberTree struct {
	name []string // last element of each path
	kids [][]int  // kids[0] are the top-level members; kids[i+1] member i's
}

func newMemberTree(paths ...string) *memberTree {
	t := &memberTree{name: make([]string, len(paths)), kids: make([][]int, len(paths)+1)}
	index := map[string]int{"": -1}
	for i, p := range paths {
		dir, name := "", p
		if j := strings.LastIndexByte(p, '.'); j >= 0 {
			dir, name = p[:j], p[j+1:]
		}
		parent, ok := index[dir]
		if !ok || strings.ToLower(name) != name {
			panic("event: member " + p + " without its parent listed before it, or not lowercase")
		}
		index[p] = i
		t.name[i] = name
		t.kids[parent+1] = append(t.kids[parent+1], i)
	}
	if len(paths) > 64 {
		panic("event: more than 64 members")
	}
	return t
}

// span is where a member's value lies: body[start:end], end 0 when the
// member is absent. For a string, escaped and high are scanString's.
type span struct {
	start, end    int
	escaped, high bool
}

func (s span) present() bool { return s.end > 0 }

// kind is the first byte of the value: '{', '[', '"', 't', 'f', 'n', or a
// number's first; 0 when absent.
func (s span) kind(b []byte) byte {
	if !s.present() {
		return 0
	}
	return b[s.start]
}

// str is the member as a Go string field decodes it: a string's value, and
// "" for an absent member, null or a value of another type (which
// encoding/json leaves as it was, and decodeObject forgives).
func (s span) str(b []byte) string {
	if s.kind(b) != '"' {
		return ""
	}
	return stringValue(b[s.start:s.end], s.escaped, s.high)
}

// errUnsure sends a normalizer to its encoding/json reading.
var errUnsure = errors.New("event: body needs the encoding/json reading")

// walkDepth bounds the walk's recursion; a body nested deeper is read the
// encoding/json way, which has no such bound below Scan's.
const walkDepth = 128

// walkMembers checks that body is one JSON object, with Scan's verdict, and
// fills spans (len(t.name) of them) with where t's members lie. It returns
// errUnsure, or the syntax error, when the caller must read the body the
// encoding/json way; spans are then of no use. plain says that the body
// has no space between its tokens, so that compacting a part of it only
// escapes what json.Marshal escapes.
func walkMembers(body []byte, t *memberTree, spans []span) (plain bool, err error) {
	clear(spans)
	w := walker{b: body, t: t, spans: spans[:len(t.name)]}
	i := w.skip(0)
	if i == len(body) || body[i] != '{' {
		return false, errUnsure // Scan's error, worded by the encoding/json reading
	}
	end, err := w.value(i, 0, -1)
	if err != nil {
		return false, err
	}
	if w.skip(end) != len(body) {
		return false, errUnsure
	}
	return !w.spaced, nil
}

// noMember marks a value that is not one of the tree's members.
const noMember = -2

type walker struct {
	b      []byte
	t      *memberTree
	spans  []span
	seen   uint64 // bit i: member i met already
	spaced bool   // space met between tokens
}

func (w *walker) skip(i int) int {
	j := skipSpace(w.b, i)
	w.spaced = w.spaced || j != i
	return j
}

// value walks the value at i (no space before it) and returns the offset
// after it. member is the tree member it is (-1 the top-level object), or
// noMember.
func (w *walker) value(i, depth, member int) (int, error) {
	b := w.b
	start := i
	var err error
	var escaped, high bool
	switch c := b[i]; c {
	case '{':
		i, err = w.object(i, depth, member)
	case '[':
		i, err = w.array(i, depth)
	case '"':
		var end int
		if end, escaped, high, err = scanString(b, i+1); err == nil {
			i = end + 1
		}
	case 't':
		i, err = literal(b, i, "true")
	case 'f':
		i, err = literal(b, i, "false")
	case 'n':
		i, err = literal(b, i, "null")
	default:
		if c != '-' && (c < '0' || c > '9') {
			return 0, errUnsure
		}
		i, err = scanNumber(b, i)
	}
	if err != nil {
		return 0, err
	}
	if member >= 0 {
		w.spans[member] = span{start: start, end: i, escaped: escaped, high: high}
	}
	return i, nil
}

func (w *walker) object(i, depth, member int) (int, error) {
	if depth == walkDepth {
		return 0, errUnsure
	}
	b := w.b
	var kids []int
	if member != noMember {
		kids = w.t.kids[member+1]
	}
	i = w.skip(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i == len(b) || b[i] != '"' {
			return 0, errUnsure
		}
		end, escaped, high, err := scanString(b, i+1)
		if err != nil {
			return 0, err
		}
		kid := noMember
		if len(kids) > 0 {
			if kid, err = w.match(kids, b[i+1:end], escaped || high); err != nil {
				return 0, err
			}
		}
		i = w.skip(end + 1)
		if i == len(b) || b[i] != ':' {
			return 0, errUnsure
		}
		if i = w.skip(i + 1); i == len(b) {
			return 0, errUnsure
		}
		if i, err = w.value(i, depth+1, kid); err != nil {
			return 0, err
		}
		var closed bool
		if i, closed, err = w.after(i, '}'); err != nil || closed {
			return i, err
		}
	}
}

func (w *walker) array(i, depth int) (int, error) {
	if depth == walkDepth {
		return 0, errUnsure
	}
	b := w.b
	i = w.skip(i + 1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		if i == len(b) {
			return 0, errUnsure
		}
		var err error
		if i, err = w.value(i, depth+1, noMember); err != nil {
			return 0, err
		}
		var closed bool
		if i, closed, err = w.after(i, ']'); err != nil || closed {
			return i, err
		}
	}
}

// after reads what follows a value in a container that closer ends: a
// comma, then the next value's start, or closer, then what follows it.
func (w *walker) after(i int, closer byte) (next int, closed bool, err error) {
	i = w.skip(i)
	switch {
	case i == len(w.b):
		return 0, false, errUnsure
	case w.b[i] == ',':
		return w.skip(i + 1), false, nil
	case w.b[i] == closer:
		return i + 1, true, nil
	}
	return 0, false, errUnsure
}

// match returns which of kids the member name raw is, or noMember. It is
// unsure where encoding/json could match differently: a name with escapes
// or bytes past ASCII (which it unescapes and folds), one equal to a kid
// only ignoring case (which it accepts), or a kid met twice (where it keeps
// the last, or merges two objects).
func (w *walker) match(kids []int, raw []byte, escapedOrHigh bool) (int, error) {
	if escapedOrHigh {
		return 0, errUnsure
	}
	for _, k := range kids {
		if string(raw) == w.t.name[k] {
			if w.seen&(1<<k) != 0 {
				return 0, errUnsure
			}
			w.seen |= 1 << k
			return k, nil
		}
	}
	if hasUpper(raw) {
		for _, k := range kids {
			if equalFoldASCII(raw, w.t.name[k]) {
				return 0, errUnsure
			}
		}
	}
	return noMember, nil
}

func equalFoldASCII(raw []byte, name string) bool {
	if len(raw) != len(name) {
		return false
	}
	for i := range raw {
		if asciiLower(raw[i]) != name[i] {
			return false
		}
	}
	return true
}

// intValue is the member as an int64 field decodes it: a number written
// as an integer, else 0 (where encoding/json reports a type error and
// decodeObject forgives it). It reads times: past 18 digits it is 0 too,
// as is every time an envelope cannot hold.
func intValue(b []byte, s span) int64 {
	if k := s.kind(b); k != '-' && (k < '0' || k > '9') {
		return 0
	}
	text := b[s.start:s.end]
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	if len(text) > 18 {
		return 0
	}
	var n int64
	for _, c := range text {
		if c < '0' || c > '9' {
			return 0 // a fraction or an exponent
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// stringOrNull reports whether a member decodes into a Go string without
// an error: absent, null, or a string.
func stringOrNull(b []byte, s span) bool {
	k := s.kind(b)
	return k == 0 || k == 'n' || k == '"'
}
