package relay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/hookgate/caddy-hookgate/event"
)

// OrderBy names what makes events one ordered sequence (a relay's
// order_by): events with the same key are delivered in ingest order, one at
// a time. The zero OrderBy orders nothing.
type OrderBy struct {
	spec   string      // as configured, for messages
	kind   byte        // 0 none, 'p' JSON path, 'h' header, 't' tenant, 's' source
	path   []string    // the JSON path's members
	fast   *event.Path // the path read in one walk; nil when it cannot be
	header string      // canonical header name
}

// OnDead says what a dead-lettered head does to the events behind it.
type OnDead int

const (
	// DeadSkips lets the next event of the key go once its head is dead-lettered.
	DeadSkips OnDead = iota
	// DeadBlocks holds the key until its dead head is replayed or purged.
	DeadBlocks
)

// maxOrderPath bounds a path's depth; nothing a provider sends needs more.
const maxOrderPath = 16

// ParseOrderBy reads an order_by value: "tenant", "source", "header:<Name>",
// or a dotted JSON path into the stored body such as data.object.customer.
func ParseOrderBy(spec string) (OrderBy, error) {
	o := OrderBy{spec: spec}
	switch {
	case spec == "":
		return OrderBy{}, nil
	case spec == "tenant":
		o.kind = 't'
	case spec == "source":
		o.kind = 's'
	case strings.HasPrefix(spec, "header:"):
		name := strings.TrimPrefix(spec, "header:")
		if name == "" || strings.ContainsAny(name, " \t:\r\n") {
			return OrderBy{}, fmt.Errorf("order_by %q: want header:<Name>", spec)
		}
		o.kind, o.header = 'h', textproto.CanonicalMIMEHeaderKey(name)
	default:
		o.kind, o.path = 'p', strings.Split(spec, ".")
		if len(o.path) > maxOrderPath {
			return OrderBy{}, fmt.Errorf("order_by %q: a path of at most %d members", spec, maxOrderPath)
		}
		for _, m := range o.path {
			if m == "" {
				return OrderBy{}, fmt.Errorf("order_by %q: want a dotted JSON path such as data.object.customer, tenant, source or header:<Name>", spec)
			}
		}
		o.fast = event.NewPath(o.path)
	}
	return o, nil
}

// Signed reports whether o reads only what a body-signing scheme covers:
// a JSON path into the body, or the route's source.
func (o OrderBy) Signed() bool { return o.kind == 'p' || o.kind == 's' }

// Ordered reports whether o orders anything.
func (o OrderBy) Ordered() bool { return o.kind != 0 }

func (o OrderBy) String() string { return o.spec }

// maxKeyLen is the longest key kept as it is in a Redis key name; a longer
// one, or one with bytes an operator could not read in redis-cli, is hashed.
const maxKeyLen = 64

// Key is the ordering key of st, "" when it has none (its event is then
// delivered unordered). Ingest and relay both compute it from the stored
// event, so they agree on every entry.
func (o OrderBy) Key(st *event.Stored) string {
	var k string
	switch o.kind {
	case 't':
		k = st.Tenant
	case 's':
		k = st.Source
	case 'h':
		k = st.Header.Get(o.header)
	case 'p':
		var ok bool
		if o.fast != nil {
			k, ok = o.fast.Value(st.Body)
		}
		if !ok {
			k = pathValue(st.Body, o.path)
		}
	}
	if k == "" {
		return ""
	}
	if len(k) > maxKeyLen || strings.IndexFunc(k, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		sum := sha256.Sum256([]byte(k))
		return "#" + hex.EncodeToString(sum[:16])
	}
	return k
}

// pathValue is the string or number at path in a JSON body, "" when the
// body is not JSON, the path is missing or its value is of another kind.
func pathValue(body []byte, path []string) string {
	raw := json.RawMessage(body)
	for _, member := range path {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return ""
		}
		var ok bool
		if raw, ok = obj[member]; !ok {
			return ""
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw)
	}
	return ""
}

// Queue is the list of the entries of one ordering key that relay has not
// finished, oldest first: ingest pushes each new entry's id, and the
// relay's moves pop it when they finish it. Its head is the one entry of
// the key that may be in flight. An element is an entry id of the stream,
// "R"+id for a dead letter replayed into the replay stream, or "D"+id for
// a dead head that blocks its key.
func (k Keys) Queue(relay, key string) string { return k.tag + ":fifo:" + relay + ":" + key }

// Ordered is one relay with order_by on a stream, as ingest sees it.
type Ordered struct {
	Relay string
	By    OrderBy
}

// QueuesOf names the queues ingest pushes st's new entry to: one per
// ordered relay that gives st a key. Nil when there are none.
func (k Keys) QueuesOf(ordered []Ordered, st *event.Stored) []string {
	var queues []string
	for _, o := range ordered {
		if key := o.By.Key(st); key != "" {
			queues = append(queues, k.Queue(o.Relay, key))
		}
	}
	return queues
}
