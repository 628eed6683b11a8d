package event

import (
	"hash/maphash"
	"math/bits"
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
	s := scanner{b: body, keys: keys, maxDepth: maxDepth, names: names}
	err := s.object(out)
	if err != nil {
		clear(out)
	}
	names.reset()
	namesPool.Put(names)
	return err
}

// memberNames holds the member names of the open objects, innermost last,
// as where they lie in the body (and their decoded text where that is not
// the raw bytes); each object's are checked for repeats when it closes.
type memberNames struct {
	refs   []nameRef
	starts []int    // per open object, its first index in refs
	texts  []string // decoded names that differ from their raw bytes
	table  []uint64 // closeUnique's hash table: hash<<32 | index+1, 0 empty
}

type nameRef struct {
	start int // offset of the opening quote
	end   int // offset after the closing quote
	text  int // index in texts of the decoded name, or -1: the raw bytes are the name
}

// nameSeed is drawn at start-up, so a sender cannot pick names whose hashes
// collide; a collision would only cost an exact comparison anyway.
var nameSeed = maphash.MakeSeed()

var namesPool = sync.Pool{New: func() any { return new(memberNames) }}

// pooledNames keeps one huge body from pinning its bookkeeping in the pool.
const pooledNames = 4096

// smallObject is the most members an object may have for its names to be
// compared pair by pair; a larger one is checked through a hash table.
// Most objects of real payloads are small, and comparing a few names
// (lengths first) is cheaper than hashing each of them.
const smallObject = 16

func (m *memberNames) reset() {
	if cap(m.refs) > pooledNames {
		m.refs = nil
	}
	if cap(m.table) > 4*pooledNames {
		m.table = nil
	}
	clear(m.texts)
	m.refs, m.starts, m.texts = m.refs[:0], m.starts[:0], m.texts[:0]
}

func (m *memberNames) open() { m.starts = append(m.starts, len(m.refs)) }

// close forgets the innermost object, which had no members.
func (m *memberNames) close() { m.starts = m.starts[:len(m.starts)-1] }

// add records a member name as encoding/json's struct decoding matches it,
// case folded, so that {"email":…,"EMAIL":…} is a repeat: the normalizers
// would read one of them and every other reader both. A plain lowercase
// ASCII name, the usual one, is its own folded form and costs no copy.
func (m *memberNames) add(quoted []byte, at int, escaped, high bool) {
	r := nameRef{start: at, end: at + len(quoted), text: -1}
	raw := quoted[1 : len(quoted)-1]
	if escaped || high || hasUpper(raw) {
		name := string(raw)
		if escaped || high {
			name = unquote(quoted)
		}
		r.text = len(m.texts)
		m.texts = append(m.texts, string(appendFolded(nil, name)))
	}
	m.refs = append(m.refs, r)
}

func hasUpper(b []byte) bool {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// closeUnique forgets the innermost object and returns the offset of the
// first member name in it that repeats an earlier one, or -1.
func (m *memberNames) closeUnique(b []byte) int {
	top := len(m.starts) - 1
	from := m.starts[top]
	refs := m.refs[from:]
	m.refs, m.starts = m.refs[:from], m.starts[:top]
	if len(refs) <= smallObject {
		for i := 1; i < len(refs); i++ {
			for j := 0; j < i; j++ {
				if m.sameName(b, refs[i], refs[j]) {
					return refs[i].start
				}
			}
		}
		return -1
	}
	// Open addressing, linear probing, at most half full.
	size := 1 << bits.Len(uint(2*len(refs)-1))
	m.table = slices.Grow(m.table[:0], size)[:size]
	clear(m.table)
	mask := uint64(size - 1)
	for i, r := range refs {
		h := m.hash(b, r)
		tag := h >> 32 << 32
		for slot := h & mask; ; slot = (slot + 1) & mask {
			e := m.table[slot]
			if e == 0 {
				m.table[slot] = tag | uint64(i+1)
				break
			}
			if e>>32<<32 == tag && m.sameName(b, r, refs[e&0xffffffff-1]) {
				return r.start
			}
		}
	}
	return -1
}

func (m *memberNames) hash(b []byte, r nameRef) uint64 {
	if r.text < 0 {
		return maphash.Bytes(nameSeed, b[r.start+1:r.end-1])
	}
	return maphash.String(nameSeed, m.texts[r.text])
}

// sameName compares two names as decoded, without building a string of a
// plain one.
func (m *memberNames) sameName(b []byte, x, y nameRef) bool {
	switch {
	case x.text < 0 && y.text < 0:
		return string(b[x.start+1:x.end-1]) == string(b[y.start+1:y.end-1])
	case x.text < 0:
		return string(b[x.start+1:x.end-1]) == m.texts[y.text]
	case y.text < 0:
		return m.texts[x.text] == string(b[y.start+1:y.end-1])
	}
	return m.texts[x.text] == m.texts[y.text]
}
