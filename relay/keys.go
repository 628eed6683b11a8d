// Package relay holds everything that touches Redis: the stream schema, the
// atomic dedupe-and-append used by ingest, and the relay that delivers it.
package relay

import (
	"fmt"
	"strconv"
	"strings"
)

// Keys names the Redis keys of one stream. Every key of a stream carries the
// stream's name as a Redis Cluster hash tag, so each script touches one slot.
type Keys struct {
	prefix string
	tag    string
	stream string // the stream's name, as configured
	part   int    // the partition these keys are of
}

// NewKeys checks prefix and stream and returns their key names.
func NewKeys(prefix, stream string) (Keys, error) {
	if prefix == "" || stream == "" {
		return Keys{}, fmt.Errorf("prefix and stream must not be empty")
	}
	// Braces would move the hash tag; "|" separates a retry member's
	// stream key from its entry id; "~" names a partition.
	if strings.ContainsAny(prefix, "{}|") || strings.ContainsAny(stream, "{}|~") {
		return Keys{}, fmt.Errorf("prefix %q and stream %q must not contain braces, '|' or '~'", prefix, stream)
	}
	return Keys{prefix: prefix, tag: prefix + ":{" + stream + "}", stream: stream}, nil
}

// Partition is the keys of partition p of the stream. Partition 0 is the
// stream's own keys, so a stream of one partition keeps the layout it had
// before partitions existed; partition p > 0 has the hash tag
// {<stream>~<p>}, so a Cluster places it in a slot of its own.
func (k Keys) Partition(p int) Keys {
	if p == 0 {
		return Keys{prefix: k.prefix, tag: k.prefix + ":{" + k.stream + "}", stream: k.stream}
	}
	return Keys{prefix: k.prefix, tag: k.prefix + ":{" + k.stream + "~" + strconv.Itoa(p) + "}", stream: k.stream, part: p}
}

// Part is the partition k names; 0 for an unpartitioned stream.
func (k Keys) Part() int { return k.part }

// Stream is the key of the Redis Stream events are appended to.
func (k Keys) Stream() string { return k.tag }

// Name is the stream's name as configured, without prefix, hash tag or
// partition.
func (k Keys) Name() string { return k.stream }

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
