package event

import (
	"hash/maphash"
	"slices"
	"sync"
)

// ScanStrict is Scan for bodies that several readers will decode: on top of
// Scan's checks it refuses a body nesting arrays and objects deeper than
// maxDepth, and any object, at any depth, with two members of the same name
// after unescaping (I-JSON, RFC 7493). Decoders disagree on which of two
// such members wins, so one signed body could mean two things. maxDepth
// must be between 1 and MaxDepthLimit.
func ScanStrict(body []byte, maxDepth int, keys []string, out []string) error {
	if len(keys) > maxScanKeys {
		panic("event.ScanStrict: more than 64 keys")
	}
	if maxDepth < 1 || maxDepth > MaxDepthLimit {
		panic("event.ScanStrict: maxDepth out of range")
	}
	out = out[:len(keys)]
	clear(out)
	names := namesPool.Get().(*memberNames)
	s := scanner{b: body, keys: keys, out: out, maxDepth: maxDepth, names: names}
	err := s.object()
	if err != nil {
		clear(out)
	}
	names.reset()
	namesPool.Put(names)
	return err
}

// memberNames holds the member names of the open objects, innermost last,
// as hashes of their decoded text with where they start; each object's are
// checked for repeats when it closes.
type memberNames struct {
	refs   []nameRef
	starts []int // per open object, its first index in refs
}

type nameRef struct {
	hash  uint64
	start int // offset of the opening quote
	end   int // offset after the closing quote
	plain bool
}

// nameSeed is drawn at start-up, so a sender cannot pick names whose hashes
// collide; a collision would only cost an exact comparison anyway.
var nameSeed = maphash.MakeSeed()

var namesPool = sync.Pool{New: func() any { return new(memberNames) }}

// pooledNames keeps one huge body from pinning its bookkeeping in the pool.
const pooledNames = 4096

func (m *memberNames) reset() {
	if cap(m.refs) > pooledNames {
		m.refs = nil
	}
	m.refs, m.starts = m.refs[:0], m.starts[:0]
}

func (m *memberNames) open() { m.starts = append(m.starts, len(m.refs)) }

// close forgets the innermost object, which had no members.
func (m *memberNames) close() { m.starts = m.starts[:len(m.starts)-1] }

func (m *memberNames) add(quoted []byte, at int, escaped, high bool) {
	raw := quoted[1 : len(quoted)-1]
	r := nameRef{start: at, end: at + len(quoted), plain: plain(raw, escaped, high)}
	if r.plain {
		r.hash = maphash.Bytes(nameSeed, raw)
	} else {
		r.hash = maphash.String(nameSeed, unquote(quoted))
	}
	m.refs = append(m.refs, r)
}

// closeUnique forgets the innermost object and returns the offset of a
// member name it repeats, or -1.
func (m *memberNames) closeUnique(b []byte) int {
	top := len(m.starts) - 1
	from := m.starts[top]
	refs := m.refs[from:]
	m.refs, m.starts = m.refs[:from], m.starts[:top]
	if len(refs) <= 8 {
		for i := 1; i < len(refs); i++ {
			for j := 0; j < i; j++ {
				if refs[i].hash == refs[j].hash && sameName(b, refs[i], refs[j]) {
					return refs[i].start
				}
			}
		}
		return -1
	}
	slices.SortFunc(refs, func(x, y nameRef) int {
		switch {
		case x.hash < y.hash:
			return -1
		case x.hash > y.hash:
			return 1
		}
		return x.start - y.start
	})
	for i := 1; i < len(refs); i++ {
		for j := i - 1; j >= 0 && refs[j].hash == refs[i].hash; j-- {
			if sameName(b, refs[i], refs[j]) {
				return max(refs[i].start, refs[j].start)
			}
		}
	}
	return -1
}

func sameName(b []byte, x, y nameRef) bool {
	if x.plain && y.plain {
		return string(b[x.start:x.end]) == string(b[y.start:y.end])
	}
	return nameText(b, x) == nameText(b, y)
}

func nameText(b []byte, r nameRef) string {
	if r.plain {
		return string(b[r.start+1 : r.end-1])
	}
	return unquote(b[r.start:r.end])
}
