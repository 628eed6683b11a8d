package archive

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/relay"
)

// Line is one archived event: what the stream entry holds, decoded.
type Line struct {
	Entry       string            `json:"entry"`  // the stream entry id
	Stream      string            `json:"stream"` // the stream's key
	ID          string            `json:"id,omitempty"`
	Source      string            `json:"source,omitempty"`
	Tenant      string            `json:"tenant,omitempty"`
	Type        string            `json:"type,omitempty"`
	ReceivedAt  string            `json:"received_at,omitempty"` // RFC 3339, UTC, milliseconds
	Traceparent string            `json:"traceparent,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	// Body is the exact bytes that were signed when they are UTF-8 (a
	// JSON body always is); BodyBase64 holds them otherwise.
	Body       string `json:"body,omitempty"`
	BodyBase64 []byte `json:"body_base64,omitempty"`
	// Fields and Error stand for an entry Hookgate cannot decode (none
	// that ingest wrote): its raw fields, and why.
	Fields map[string]any `json:"fields,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// lineOf decodes one stream entry.
func lineOf(stream string, m redis.XMessage) Line {
	l := Line{Entry: m.ID, Stream: stream}
	s, err := relay.Decode(m.Values)
	if err != nil {
		l.Fields, l.Error = m.Values, err.Error()
		return l
	}
	l.ID, l.Source, l.Tenant, l.Type, l.Traceparent = s.ID, s.Source, s.Tenant, s.Type, s.Traceparent
	l.ReceivedAt = s.ReceivedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	if len(s.Header) > 0 {
		l.Headers = make(map[string]string, len(s.Header))
		for k := range s.Header {
			l.Headers[k] = s.Header.Get(k)
		}
	}
	if utf8.Valid(s.Body) {
		l.Body = string(s.Body)
	} else {
		l.BodyBase64 = s.Body
	}
	return l
}

// Files are the archive files of stream in dir, oldest first, the active
// one last.
func Files(dir string, keys relay.Keys) ([]string, error) {
	base := fileBase(keys.Stream())
	out, err := Rotated(dir, base+"-")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, base+".jsonl.gz")); err == nil {
		out = append(out, filepath.Join(dir, base+".jsonl.gz"))
	}
	return out, nil
}

// ReadFile reads every line of one archive file; it fails on a file that
// is not whole gzip JSON lines.
func ReadFile(path string) ([]Line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty: the active file just after a rotation
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Line
	dec := json.NewDecoder(z)
	dec.DisallowUnknownFields()
	for {
		var l Line
		if err := dec.Decode(&l); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, l)
	}
}

// BodyBytes is the exact body a line holds.
func (l Line) BodyBytes() []byte {
	if l.BodyBase64 != nil {
		return l.BodyBase64
	}
	return []byte(l.Body)
}
