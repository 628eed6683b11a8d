package archive

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// errLocked is the error of a directory another writer holds.
var errLocked = errors.New("locked by another writer")

// file is the active archive file of one stream, locked for this writer.
type file struct {
	cfg    Config
	dir    string
	name   string // the active file's base name: <stream>.jsonl.gz
	prefix string // of rotated files: <stream>-
	lock   *os.File
	f      *os.File
	size   int64
	since  time.Time // when its first member was written; zero when empty
	last   time.Time // the time in the newest rotated file's name
}

// openFile locks dir for stream, opens its active file and cuts it back to
// its last whole gzip member. found are the entries of wanted its lines
// name.
func openFile(cfg Config, stream string, wanted map[string]bool) (*file, map[string]bool, error) {
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, nil, err
	}
	base := fileBase(stream)
	lock, err := os.OpenFile(filepath.Join(cfg.Dir, "."+base+".lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("%s: %w (another Caddy, or the config before a reload): %w", cfg.Dir, errLocked, err)
	}
	a := &file{cfg: cfg, dir: cfg.Dir, name: base + ".jsonl.gz", prefix: base + "-", lock: lock}
	a.f, err = os.OpenFile(filepath.Join(cfg.Dir, a.name), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		a.close()
		return nil, nil, err
	}
	good, first, found, err := scan(a.f, wanted)
	if err != nil {
		a.close()
		return nil, nil, err
	}
	st, err := a.f.Stat()
	if err != nil {
		a.close()
		return nil, nil, err
	}
	if st.Size() != good {
		// A member torn by a crash: its entries were never acked.
		if err := a.f.Truncate(good); err != nil {
			a.close()
			return nil, nil, err
		}
		if err := a.f.Sync(); err != nil {
			a.close()
			return nil, nil, err
		}
	}
	if _, err := a.f.Seek(good, io.SeekStart); err != nil {
		a.close()
		return nil, nil, err
	}
	a.size = good
	if good > 0 {
		// When the file was begun, for daily rotation: its first entry's
		// time (the entry id's milliseconds) is as close as it gets.
		a.since = st.ModTime()
		if ms, _, ok := strings.Cut(first, "-"); ok {
			if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
				a.since = time.UnixMilli(n)
			}
		}
	}
	return a, found, nil
}

// fileBase is the stream key made a file name: hookgate:{events} becomes
// hookgate_events_.
func fileBase(stream string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, stream)
}

// countingReader counts the bytes a gzip reader took: it reads through
// ReadByte, without reading ahead, so the count is where a member ends.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// scan reads f's gzip members from the start and returns the offset after
// the last whole one, the entry of its first line, and which entries of
// wanted its lines name.
func scan(f *os.File, wanted map[string]bool) (good int64, first string, found map[string]bool, err error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, "", nil, err
	}
	cr := &countingReader{r: bufio.NewReader(f)}
	found = map[string]bool{}
	z := new(gzip.Reader)
	for {
		if err := z.Reset(cr); err != nil {
			// io.EOF: the end, clean; anything else: a torn header.
			return good, first, found, nil
		}
		z.Multistream(false)
		var ids []string
		dec := json.NewDecoder(z)
		ok := true
		for {
			var l struct {
				Entry string `json:"entry"`
			}
			if err := dec.Decode(&l); err == io.EOF {
				break
			} else if err != nil {
				ok = false
				break
			}
			ids = append(ids, l.Entry)
		}
		if !ok {
			return good, first, found, nil
		}
		// The decoder stops at the member's end; the trailer is checked
		// once the reader is read to io.EOF.
		if _, err := io.Copy(io.Discard, z); err != nil {
			return good, first, found, nil
		}
		good = cr.n
		if first == "" && len(ids) > 0 {
			first = ids[0]
		}
		for _, id := range ids {
			if wanted[id] {
				found[id] = true
			}
		}
	}
}

// write appends the lines of msgs as one gzip member and fsyncs it. It
// returns the ids to ack: every message's, those already written
// (skip) and those trimmed from the stream (no values) included.
func (a *file) write(stream string, msgs []redis.XMessage, skip map[string]bool, now time.Time) ([]string, error) {
	ids := make([]string, 0, len(msgs))
	var lines []Line
	for _, m := range msgs {
		ids = append(ids, m.ID)
		if skip[m.ID] || len(m.Values) == 0 {
			continue
		}
		lines = append(lines, lineOf(stream, m))
	}
	if len(lines) == 0 {
		return ids, nil
	}
	w := &sizeWriter{w: a.f}
	z, _ := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	enc := json.NewEncoder(z)
	enc.SetEscapeHTML(false)
	for i := range lines {
		if err := enc.Encode(&lines[i]); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	if err := a.f.Sync(); err != nil {
		return nil, err
	}
	if a.size == 0 {
		a.since = now
	}
	a.size += w.n
	return ids, nil
}

type sizeWriter struct {
	w io.Writer
	n int64
}

func (s *sizeWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// rotateIfDue starts a new active file when this one passed its size,
// or was begun on an earlier UTC day and Daily is on.
func (a *file) rotateIfDue(now time.Time) error {
	if a.size == 0 {
		return nil
	}
	y1, m1, d1 := a.since.UTC().Date()
	y2, m2, d2 := now.UTC().Date()
	newDay := a.cfg.Daily && (y1 != y2 || m1 != m2 || d1 != d2)
	if a.size < a.cfg.RotateBytes && !newDay {
		return nil
	}
	return a.rotate(now)
}

// rotate renames the active file to <stream>-<UTC time, ms>.jsonl.gz, opens
// a new one and removes the rotated files past Keep or KeepFor.
func (a *file) rotate(now time.Time) error {
	// Names sort as the files were rotated: a name taken (two rotations
	// within a millisecond, or a clock set back) moves on by a millisecond.
	at := now.UTC()
	if a.last.After(at) || a.last.Equal(at) {
		at = a.last.Add(time.Millisecond)
	}
	var name string
	for {
		name = a.prefix + at.Format(stampLayout) + ".jsonl.gz"
		if _, err := os.Lstat(filepath.Join(a.dir, name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		at = at.Add(time.Millisecond)
	}
	a.last = at
	if err := os.Rename(filepath.Join(a.dir, a.name), filepath.Join(a.dir, name)); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(a.dir, a.name), os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	a.f.Close()
	a.f, a.size, a.since = f, 0, time.Time{}
	if err := syncDir(a.dir); err != nil {
		return err
	}
	return a.prune(now)
}

// prune removes the oldest rotated files past Keep and those rotated
// longer than KeepFor before now.
func (a *file) prune(now time.Time) error {
	rotated, err := Rotated(a.dir, a.prefix)
	if err != nil {
		return err
	}
	for i, path := range rotated {
		old := a.cfg.Keep > 0 && len(rotated)-i > a.cfg.Keep
		if a.cfg.KeepFor > 0 {
			at, err := time.Parse(stampLayout, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), a.prefix), ".jsonl.gz"))
			old = old || (err == nil && now.Sub(at) > a.cfg.KeepFor)
		}
		if !old {
			break // the rest are newer
		}
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	return nil
}

// stampLayout is the UTC time of a rotation in a rotated file's name.
const stampLayout = "20060102T150405.000Z"

// Rotated lists the rotated files of one stream in dir, oldest first; a
// stream key's prefix is fileBase(stream)+"-".
func Rotated(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".jsonl.gz") {
			out = append(out, filepath.Join(dir, n))
		}
	}
	// The UTC time in the name sorts as the files were rotated.
	slices.Sort(out)
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (a *file) close() {
	if a.f != nil {
		a.f.Close()
	}
	if a.lock != nil {
		a.lock.Close() // releases the flock
	}
}
