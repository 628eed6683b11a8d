package event

import "strings"

// Path reads one member at a dotted path, in the one walk over the body the
// normalizers use (walk.go): a relay's ordering key is read from every
// entry it delivers.
type Path struct {
	tree  *memberTree
	depth int
}

// NewPath is the path of members, nil when a member is not plain lowercase
// ASCII (the walk matches only those; the caller reads such a path another
// way).
func NewPath(members []string) *Path {
	if len(members) == 0 || len(members) > 64 {
		return nil
	}
	paths := make([]string, len(members))
	for i, m := range members {
		for _, c := range []byte(m) {
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '.' || ('A' <= c && c <= 'Z') {
				return nil
			}
		}
		paths[i] = strings.Join(members[:i+1], ".")
	}
	return &Path{tree: newMemberTree(paths...), depth: len(members)}
}

// Value is the string, or the number's literal text, at p in body. ok is
// false when the walk cannot tell as encoding/json would (see walk.go) or
// the body is no JSON object: the caller reads it the encoding/json way.
// A missing member, or a value of another kind, is "" with ok.
func (p *Path) Value(body []byte) (v string, ok bool) {
	var buf [16]span
	var spans []span
	if p.depth > len(buf) {
		spans = make([]span, p.depth)
	} else {
		spans = buf[:p.depth]
	}
	if _, err := walkMembers(body, p.tree, spans); err != nil {
		return "", false
	}
	s := spans[p.depth-1]
	switch k := s.kind(body); {
	case k == '"':
		return s.str(body), true
	case k == '-' || ('0' <= k && k <= '9'):
		return string(body[s.start:s.end]), true
	}
	return "", true
}
