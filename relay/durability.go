package relay

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Durability is what an append waits for once Redis has executed it, beyond
// the server's own AOF policy. It is asked once per script call (a batch of
// events), never per event, on the connection that ran the script: on a
// Cluster, the master that owns the stream's slot.
type Durability struct {
	// Replicas, when above 0, is the replicas that must acknowledge the
	// batch (WAIT Replicas Timeout).
	Replicas int
	// Fsync waits for the master's AOF to be fsynced (WAITAOF 1 0
	// Timeout), Redis 7.2 and later.
	Fsync bool
	// Timeout bounds the wait; past it the events of the batch get
	// ErrUnavailable.
	Timeout time.Duration
}

// command is the wait sent after the script, nil when none is asked.
func (d Durability) command() []any {
	ms := max(d.Timeout.Milliseconds(), 1) // 0 would mean forever
	switch {
	case d.Fsync:
		return []any{"waitaof", 1, 0, ms}
	case d.Replicas > 0:
		return []any{"wait", d.Replicas, ms}
	}
	return nil
}

// check reads the wait's answer: nil when enough acknowledged in time.
func (d Durability) check(res any) error {
	switch {
	case d.Fsync:
		counts, ok := res.([]any)
		if !ok || len(counts) != 2 {
			return fmt.Errorf("waitaof answered %v", res)
		}
		if local, _ := counts[0].(int64); local < 1 {
			return fmt.Errorf("%w: the AOF was not fsynced within %s", errNotDurable, d.Timeout)
		}
	case d.Replicas > 0:
		n, ok := res.(int64)
		if !ok {
			return fmt.Errorf("wait answered %v", res)
		}
		if n < int64(d.Replicas) {
			return fmt.Errorf("%w: %d of %d replicas acknowledged within %s", errNotDurable, n, d.Replicas, d.Timeout)
		}
	}
	return nil
}

var errNotDurable = errors.New("not durable")

// String names the setting as the Caddyfile spells it.
func (d Durability) String() string {
	switch {
	case d.Fsync:
		return "fsync " + d.Timeout.String()
	case d.Replicas > 0:
		return "replicas " + strconv.Itoa(d.Replicas) + " " + d.Timeout.String()
	}
	return "acked"
}

// WaitAOFSupported says whether a Redis version (INFO's redis_version, such
// as "7.0.15") has WAITAOF, which came in 7.2.
func WaitAOFSupported(version string) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 7 || major == 7 && minor >= 2
}
