// Templates: what a generic HMAC signs, as literal text and the
// placeholders {body}, {ts} and {id}. The grammar is closed: a brace that
// does not open one of those three is refused when the route is loaded,
// since a typo would otherwise be signed as text and fail every request.

package verifier

import (
	"fmt"
	"strings"
)

// The placeholders a template may hold.
const (
	placeBody = "{body}"
	placeTS   = "{ts}"
	placeID   = "{id}"
)

// maxTemplateParts bounds a template's pieces besides {body}: {ts} and
// {id} appear at most once and literals between them merge, so there are
// at most two placeholders and four literals. Verify builds the signed
// parts in fixed arrays of this size, on the stack.
const maxTemplateParts = 6

// templatePart is a literal, or a placeholder when lit is "".
type templatePart struct {
	lit   string
	place string // placeTS or placeID; placeBody never appears in parts
}

// Template is a parsed signed-string template: what comes before the body
// and what comes after it.
type Template struct {
	before, after []templatePart
	ts, id        bool // whether {ts} and {id} appear
}

// ParseTemplate parses a template such as "{ts}.{body}" or "v0:{ts}:{body}".
// {body} must appear exactly once (an HMAC that does not cover the body
// proves nothing about it); {ts} and {id} at most once each. "" is "{body}".
func ParseTemplate(s string) (Template, error) {
	if s == "" {
		s = placeBody
	}
	for _, pair := range []string{placeID + placeBody, placeBody + placeID} {
		// With nothing between them the sender moves the boundary
		// between the id and a body that is not JSON (the id next to a
		// digits-only timestamp is checked with its format, in the HMAC
		// options).
		if strings.Contains(s, pair) {
			return Template{}, fmt.Errorf("template %q: put a literal between %s: the id's end would be the sender's to choose", s, pair)
		}
	}
	var t Template
	seenBody := false
	for rest := s; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.add(seenBody, templatePart{lit: rest})
			break
		}
		if open > 0 {
			t.add(seenBody, templatePart{lit: rest[:open]})
			rest = rest[open:]
		}
		if rest[0] == '}' {
			return Template{}, fmt.Errorf("template %q: a } without its {", s)
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 || strings.IndexByte(rest[1:end], '{') >= 0 {
			return Template{}, fmt.Errorf("template %q: a { without its }", s)
		}
		place := rest[:end+1]
		rest = rest[end+1:]
		var seen *bool
		switch place {
		case placeBody:
			seen = &seenBody
		case placeTS:
			seen = &t.ts
		case placeID:
			seen = &t.id
		default:
			return Template{}, fmt.Errorf("template %q: unknown placeholder %s (want {body}, {ts} or {id})", s, place)
		}
		if *seen {
			return Template{}, fmt.Errorf("template %q: %s appears twice", s, place)
		}
		*seen = true
		if place != placeBody {
			t.add(seenBody, templatePart{place: place})
		}
	}
	if !seenBody {
		return Template{}, fmt.Errorf("template %q: {body} is required", s)
	}
	return t, nil
}

func (t *Template) add(afterBody bool, p templatePart) {
	if afterBody {
		t.after = append(t.after, p)
	} else {
		t.before = append(t.before, p)
	}
}

// HasTimestamp reports whether the template signs {ts}.
func (t Template) HasTimestamp() bool { return t.ts }

// HasID reports whether the template signs {id}.
func (t Template) HasID() bool { return t.id }

// expand writes the parts before and after the body into the two arrays
// and returns how many of each.
func (t Template) expand(before, after *[maxTemplateParts]string, ts, id string) (int, int) {
	fill := func(dst *[maxTemplateParts]string, parts []templatePart) int {
		for i, p := range parts {
			switch p.place {
			case placeTS:
				dst[i] = ts
			case placeID:
				dst[i] = id
			default:
				dst[i] = p.lit
			}
		}
		return len(parts)
	}
	return fill(before, t.before), fill(after, t.after)
}

// Append appends the signed string for body, timestamp ts and id to dst:
// what a sender MACs. Verify never builds it (it feeds the parts to the MAC
// in turn); the signers in sign/ do.
func (t Template) Append(dst []byte, ts, id string, body []byte) []byte {
	var before, after [maxTemplateParts]string
	nb, na := t.expand(&before, &after, ts, id)
	for _, p := range before[:nb] {
		dst = append(dst, p...)
	}
	dst = append(dst, body...)
	for _, p := range after[:na] {
		dst = append(dst, p...)
	}
	return dst
}
