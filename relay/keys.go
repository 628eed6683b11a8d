// Package relay holds everything that touches Redis: the stream schema, the
// atomic dedupe-and-append used by ingest, and the relay that delivers it.
package relay

import (
	"fmt"
	"strings"
)

// Keys names the Redis keys of one stream. Every key of a stream carries the
// stream's name as a Redis Cluster hash tag, so each script touches one slot.
type Keys struct {
	prefix string
	tag    string
}

// NewKeys checks prefix and stream and returns their key names.
func NewKeys(prefix, stream string) (Keys, error) {
	if prefix == "" || stream == "" {
		return Keys{}, fmt.Errorf("prefix and stream must not be empty")
	}
	// Braces would move the hash tag; "|" separates a retry member's
	// stream key from its entry id.
	if strings.ContainsAny(prefix, "{}|") || strings.ContainsAny(stream, "{}|") {
		return Keys{}, fmt.Errorf("prefix %q and stream %q must not contain braces or '|'", prefix, stream)
	}
	return Keys{prefix: prefix, tag: prefix + ":{" + stream + "}"}, nil
}

// Stream is the key of the Redis Stream events are appended to.
func (k Keys) Stream() string { return k.tag }

// Name is the stream's name as configured, without prefix or hash tag.
func (k Keys) Name() string {
	return strings.TrimSuffix(strings.TrimPrefix(k.tag, k.prefix+":{"), "}")
}

// Seen is the dedupe key of one provider event in one signer's scope
// (verifier.SecretScope or NamedScope). Neither source nor scope holds a
// colon, so the id, last, needs no escaping for keys to stay distinct.
func (k Keys) Seen(source, scope, id string) string {
	return k.tag + ":seen:" + source + ":" + scope + ":" + id
}

// Retry is the sorted set of one relay's scheduled retries: member
// "<stream key>|<entry id>", score the due time in unix milliseconds.
func (k Keys) Retry(relay string) string { return k.tag + ":retry:" + relay }

// Attempts is the hash of one relay's attempt records, by retry member.
func (k Keys) Attempts(relay string) string { return k.tag + ":attempts:" + relay }

// Dead is one relay's dead-letter stream.
func (k Keys) Dead(relay string) string { return k.tag + ":dead:" + relay }

// Replay is the stream replayed dead letters go to; only that relay's
// group reads it, so a replay does not fan out to the other relays.
func (k Keys) Replay(relay string) string { return k.tag + ":replay:" + relay }
