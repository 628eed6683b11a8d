package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/relay"
)

// DefaultDurabilityTimeout bounds the wait of durability replicas and fsync
// when the Caddyfile gives none.
const DefaultDurabilityTimeout = time.Second

// Durability is what a 202 waits for after Redis has executed the append.
type Durability struct {
	// Mode is "acked" (the default: Redis executed the append; what
	// survives a crash is the server's AOF policy), "replicas" (WAIT for
	// Replicas replicas once per batch) or "fsync" (WAITAOF 1 0, Redis 7.2
	// and later).
	Mode string `json:"mode,omitempty"`
	// Replicas that must acknowledge each batch, with mode replicas.
	Replicas int `json:"replicas,omitempty"`
	// Timeout bounds the wait; past it ingest answers 503 with
	// Retry-After. Default 1s; it must be below the hookgate timeout.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// durabilityOf checks the app's durability and returns what the appender
// waits for. Every connection form supports every mode.
func (a *App) durabilityOf(_ connection) (relay.Durability, error) {
	d := a.Durability
	if d == nil || d.Mode == "" || d.Mode == "acked" {
		if d != nil && (d.Replicas != 0 || d.Timeout != 0) {
			return relay.Durability{}, errors.New("hookgate durability acked takes no replicas or timeout")
		}
		return relay.Durability{}, nil
	}
	out := relay.Durability{Timeout: time.Duration(d.Timeout)}
	if out.Timeout == 0 {
		out.Timeout = DefaultDurabilityTimeout
	}
	switch d.Mode {
	case "replicas":
		if d.Replicas < 1 {
			return out, errors.New("hookgate durability replicas needs a count >= 1")
		}
		out.Replicas = d.Replicas
	case "fsync":
		if d.Replicas != 0 {
			return out, errors.New("hookgate durability fsync takes no replica count")
		}
		out.Fsync = true
	default:
		return out, fmt.Errorf("hookgate durability: unknown mode %q, want acked, replicas or fsync", d.Mode)
	}
	if out.Timeout < 0 || out.Timeout >= time.Duration(a.Timeout) {
		return out, fmt.Errorf("hookgate durability %s: the wait must be positive and below the hookgate timeout %s, which bounds the whole append",
			d.Mode, time.Duration(a.Timeout))
	}
	// On a Cluster the appender sends each batch and its wait to the master
	// that owns the stream's slot, on one connection (relay.Appender).
	return out, nil
}

// errFsyncUnknown holds appends under durability fsync while the server's
// version is not known.
var errFsyncUnknown = errors.New("durability fsync: the Redis version is not known yet")

// fsyncRefusal says why a server cannot give durability fsync, or nil.
func fsyncRefusal(facts serverFacts) error {
	for _, v := range facts.version {
		if !relay.WaitAOFSupported(v) {
			return fmt.Errorf("hookgate durability fsync needs WAITAOF, Redis 7.2 or later, but the server is Redis %s; "+
				"use durability acked with 'appendfsync always' in the server's configuration instead, which fsyncs every write before it answers", v)
		}
	}
	for _, v := range facts.appendonly {
		if v == "no" {
			return errors.New("hookgate durability fsync needs the server's append-only file (appendonly yes), but it is off")
		}
	}
	return nil
}

// checkFsync asks the server at provisioning whether it supports durability
// fsync. A server that answers and cannot refuses the config; one that does
// not answer holds ingest (503) until announce learns its version.
func checkFsync(rdb redis.UniversalClient, c connection, appender *relay.Appender) error {
	ctx, cancel := context.WithTimeout(context.Background(), max(c.timeout, 2*time.Second))
	defer cancel()
	facts, err := readServer(ctx, rdb)
	if err != nil {
		appender.Hold(errFsyncUnknown)
		return nil
	}
	return fsyncRefusal(facts)
}

// meaning states what a 202 promises under d with the server's facts.
func meaning(d relay.Durability, facts serverFacts) string {
	switch {
	case d.Fsync:
		return "a 202 is in the master's append-only file, fsynced: it survives a Redis crash and a power loss of the master"
	case d.Replicas > 0:
		return fmt.Sprintf("a 202 is on the master and acknowledged by at least %d replica(s) (in their memory): it survives losing the master when a replica is promoted", d.Replicas)
	}
	aof, fsync := strings.Join(facts.appendonly, ","), strings.Join(facts.appendfsync, ",")
	switch {
	case aof == "no":
		return "a 202 is in Redis memory only (appendonly no): a Redis crash loses the 202s since the last snapshot"
	case aof == "yes" && fsync == "always":
		return "a 202 is fsynced to the append-only file before Redis answers: it survives a Redis crash and a power loss"
	case aof == "yes" && fsync == "everysec":
		return "a 202 survives a Redis process crash; with appendfsync everysec up to 1 s of 202s can be lost on power loss"
	case aof == "yes" && fsync == "no":
		return "a 202 survives a Redis process crash; with appendfsync no, what the OS has not written out (often up to 30 s) can be lost on power loss"
	}
	return "a 202 means Redis executed the append; what survives a crash is the server's appendonly/appendfsync policy (" + aof + "/" + fsync + ")"
}
