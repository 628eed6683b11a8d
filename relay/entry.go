package relay

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// Stream entry field names. Headers are stored one field each under
// headerField + canonical name, so an entry reads plainly in redis-cli.
const (
	fieldID          = "id"
	fieldSource      = "source"
	fieldTenant      = "tenant"
	fieldType        = "type"
	fieldReceivedAt  = "received_at"
	fieldTraceparent = "traceparent"
	fieldBody        = "body"
	headerField      = "h:"
)

// appendFields adds the stream fields of s to args as field, value pairs and
// returns how many values it added. Values point into s: s must not change
// until the command has been written.
func appendFields(args []any, s *event.Stored) ([]any, int) {
	ms := s.ReceivedAt.UnixMilli()
	return appendFieldsAt(args, s, &ms)
}

// appendFieldsAt is appendFields with s.ReceivedAt in unix milliseconds
// at *receivedAt. Values are pointers (into s), which go-redis writes
// without boxing each into an interface of its own, as a string would be.
func appendFieldsAt(args []any, s *event.Stored, receivedAt *int64) ([]any, int) {
	n := len(args)
	args = append(args,
		fieldID, &s.ID,
		fieldSource, &s.Source,
		fieldTenant, &s.Tenant,
		fieldType, &s.Type,
		fieldReceivedAt, receivedAt)
	if s.Traceparent != "" {
		args = append(args, fieldTraceparent, &s.Traceparent)
	}
	// In name order: entries with the same fields in the same order as
	// their listpack node's first entry are stored without field names.
	var names [maxSortedHeaders]string
	kept := names[:0]
	for name, values := range s.Header {
		if len(values) > 0 {
			kept = append(kept, name)
		}
	}
	slices.Sort(kept)
	for _, name := range kept {
		v := &s.Header[name][0]
		if *v == s.ID {
			// The id again (X-GitHub-Delivery, webhook-id): stored
			// empty, which no audit value is, and read back as the id.
			v = &sameAsID
		}
		args = append(args, headerFieldName(name), v)
	}
	args = append(args, fieldBody, s.Body)
	return args, len(args) - n
}

// headerFields holds headerField+name, boxed, for the audit headers met
// so far: the same few names come with every event, and building each
// field name per event would cost two allocations. Copy on write; past
// maxHeaderFields names the rest are built per event.
var (
	headerFieldsMu sync.Mutex
	headerFields   atomic.Pointer[map[string]any]
)

const maxHeaderFields = 64

// maxSortedHeaders is how many audit headers appendFieldsAt sorts without
// allocating; a provider keeps at most a handful.
const maxSortedHeaders = 16

// sameAsID is the stored value of an audit header that repeats the event
// id: empty, which an audit value never is (caddymodule's auditable).
var sameAsID = ""

func headerFieldName(name string) any {
	if m := headerFields.Load(); m != nil {
		if f, ok := (*m)[name]; ok {
			return f
		}
	}
	headerFieldsMu.Lock()
	defer headerFieldsMu.Unlock()
	var m map[string]any
	if old := headerFields.Load(); old != nil {
		if f, ok := (*old)[name]; ok {
			return f
		}
		if len(*old) >= maxHeaderFields {
			return headerField + name
		}
		m = maps.Clone(*old)
	} else {
		m = make(map[string]any, 1)
	}
	var f any = headerField + name
	m[name] = f
	headerFields.Store(&m)
	return f
}

// Decode turns the values of a stream entry back into the stored event.
func Decode(values map[string]any) (event.Stored, error) {
	var s event.Stored
	str := func(k string) string { v, _ := values[k].(string); return v }
	s.ID, s.Source, s.Tenant, s.Type = str(fieldID), str(fieldSource), str(fieldTenant), str(fieldType)
	s.Traceparent = str(fieldTraceparent)
	if s.ID == "" || s.Source == "" {
		return s, fmt.Errorf("stream entry lacks %q or %q", fieldID, fieldSource)
	}
	ms, err := strconv.ParseInt(str(fieldReceivedAt), 10, 64)
	if err != nil {
		return s, fmt.Errorf("stream entry %q: bad %s: %w", s.ID, fieldReceivedAt, err)
	}
	s.ReceivedAt = time.UnixMilli(ms).UTC()
	body, ok := values[fieldBody].(string)
	if !ok {
		return s, fmt.Errorf("stream entry %q has no body", s.ID)
	}
	s.Body = []byte(body)
	for k, v := range values {
		if name, ok := strings.CutPrefix(k, headerField); ok {
			if s.Header == nil {
				s.Header = http.Header{}
			}
			value, ok := v.(string) // what go-redis reads; fmt.Sprint would copy it
			if !ok {
				value = fmt.Sprint(v)
			}
			if value == sameAsID {
				value = s.ID
			}
			s.Header.Set(name, value)
		}
	}
	return s, nil
}
