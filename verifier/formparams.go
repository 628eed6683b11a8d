package verifier

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"sync"
)

// MaxFormFields bounds the fields of a form body, as ingest's own form
// parser does: each is work and memory before the signature is known.
const MaxFormFields = 1000

// Errors of a form body a scheme signs the fields of.
var (
	errFormFields    = errors.New("more than " + strconv.Itoa(MaxFormFields) + " fields")
	errFormSemicolon = errors.New("';' in a form body")
	errFormEscape    = errors.New("bad escape in a form body")
)

// formParams is an application/x-www-form-urlencoded body decoded into
// one buffer, its fields as offsets into it: parsed, sorted and MACed
// without an allocation once the pooled value has grown to the body.
type formParams struct {
	buf   []byte
	pairs []formPair
}

type formPair struct{ name, value, end int } // buf[name:value] and buf[value:end]

var formPool = sync.Pool{New: func() any { return new(formParams) }}

// parse reads body as url.ParseQuery does, strictly: an empty segment
// (a&&b) is skipped, a segment without "=" is a name with an empty value,
// "+" is a space, and a bad %-escape, a ';' or more than MaxFormFields
// segments is an error rather than a field silently dropped.
func (p *formParams) parse(body []byte) error {
	p.buf, p.pairs = p.buf[:0], p.pairs[:0]
	if len(body) == 0 {
		return nil
	}
	if bytes.Count(body, []byte{'&'}) >= MaxFormFields {
		return errFormFields
	}
	if bytes.IndexByte(body, ';') >= 0 {
		return errFormSemicolon
	}
	if cap(p.buf) < len(body) {
		// Decoding never grows a field: the buffer holds them all.
		p.buf = make([]byte, 0, len(body))
	}
	for rest := body; len(rest) > 0; {
		seg := rest
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(seg) == 0 {
			continue
		}
		name, value := seg, []byte(nil)
		if i := bytes.IndexByte(seg, '='); i >= 0 {
			name, value = seg[:i], seg[i+1:]
		}
		var pair formPair
		var ok bool
		pair.name = len(p.buf)
		if p.buf, ok = unescapeForm(p.buf, name); !ok {
			return errFormEscape
		}
		pair.value = len(p.buf)
		if p.buf, ok = unescapeForm(p.buf, value); !ok {
			return errFormEscape
		}
		pair.end = len(p.buf)
		p.pairs = append(p.pairs, pair)
	}
	return nil
}

// sortByName orders the fields by name, then by value, bytewise (Twilio's
// "Unix-style case-sensitive" order): a repeated name's values follow
// each other, sorted, each after its name (as twilio-node signs them).
func (p *formParams) sortByName() {
	buf := p.buf
	slices.SortFunc(p.pairs, func(a, b formPair) int {
		if c := bytes.Compare(buf[a.name:a.value], buf[b.name:b.value]); c != 0 {
			return c
		}
		return bytes.Compare(buf[a.value:a.end], buf[b.value:b.end])
	})
}

// appendSigned appends each field as name then value, in the current
// order: what Twilio MACs after the URL.
func (p *formParams) appendSigned(dst []byte) []byte {
	for _, f := range p.pairs {
		dst = append(dst, p.buf[f.name:f.end]...)
	}
	return dst
}

// unescapeForm appends s decoded as a form field ("+" a space, %XX a byte).
func unescapeForm(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(s) {
				return dst, false
			}
			hi, ok1 := fromHexChar(s[i+1])
			lo, ok2 := fromHexChar(s[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			dst = append(dst, hi<<4|lo)
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

// SortedFormParams returns the fields of a form body as Twilio signs
// them: sorted by name then value, each name followed by its value, all
// concatenated. sign/ and the tests use it; the verifier MACs the same
// bytes without building them.
func SortedFormParams(body []byte) ([]byte, error) {
	var p formParams
	if err := p.parse(body); err != nil {
		return nil, err
	}
	p.sortByName()
	return p.appendSigned(nil), nil
}
